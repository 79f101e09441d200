"""The one path every CDR takes into the database, whatever brought it (webhook, import,
backfill, replay): store the leg, then let each domain react inside the same transaction.

A hook sees the legs of one transaction that are new or whose content changed (never a plain
redelivery), in arrival order, all at once: a hook that can merge its writes (rollups) does so
once per transaction, and the ingest endpoint's group commit makes that many legs under load.
Hooks run in the legs' transaction: rollups, outbox jobs and callback items commit with the leg
or not at all. Hooks must be idempotent for a given (leg, content) and must not commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine

from cdrhub.config import Settings
from cdrhub.store import legs as legs_repo
from cdrhub.store.engine import write_transaction

# Defined with the legs repository, which saves the one and returns the other; every domain
# imports them from here, with LegHook.
Incoming = legs_repo.Incoming
StoredLeg = legs_repo.StoredLeg
SaveKind = legs_repo.SaveKind

LegHook = Callable[[Connection, Sequence[StoredLeg]], None]


def build_hooks(settings: Settings) -> list[LegHook]:
    """The hooks every ingest runs, in order: rollups, automations, CRM pushes."""
    # Imported here: each domain's hook module imports this one for StoredLeg and LegHook.
    from cdrhub.analytics.hook import rollup_hook
    from cdrhub.automations.hook import make_hook as automations_hook
    from cdrhub.crm.hook import make_crm_hook

    return [rollup_hook(settings), automations_hook(settings), make_crm_hook(settings)]


def save_legs(
    conn: Connection, items: Iterable[Incoming], received_at: datetime
) -> list[StoredLeg]:
    """Store legs, without hooks, on an open write transaction."""
    return legs_repo.save_legs(conn, list(items), received_at)


def run_hooks(conn: Connection, hooks: Sequence[LegHook], stored: Iterable[StoredLeg]) -> None:
    """Let each domain react, once, to the legs of this transaction that are new or changed."""
    changed = [s for s in stored if s.kind != "duplicate"]
    if changed:
        for hook in hooks:
            hook(conn, changed)


def store_legs(
    conn: Connection, items: Iterable[Incoming], hooks: Sequence[LegHook], received_at: datetime
) -> list[StoredLeg]:
    """Store legs and run hooks on an open write transaction (the caller commits)."""
    stored = save_legs(conn, items, received_at)
    run_hooks(conn, hooks, stored)
    return stored


def ingest(
    engine: Engine, items: Iterable[Incoming], hooks: Sequence[LegHook], received_at: datetime
) -> list[StoredLeg]:
    """Store legs in one committed transaction; returns only after the commit."""
    with write_transaction(engine) as conn:
        return store_legs(conn, items, hooks, received_at)
