"""Quarantine replay: run kept bodies through the pipeline again, after a fix to decoding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, RowMapping

from cdrhub.config import Settings
from cdrhub.ingest.pipeline import LegHook, receive, store_legs
from cdrhub.store import quarantine
from cdrhub.store.engine import write_transaction


@dataclass(frozen=True, slots=True)
class ReplayResult:
    quarantine_id: int
    stored: int
    error: str | None


def replay(
    engine: Engine, settings: Settings, hooks: list[LegHook], *, include_replayed: bool = False
) -> list[ReplayResult]:
    """Each pending delivery in its own transaction: one that still fails stays pending. Read a
    page at a time (bodies can be large)."""
    results: list[ReplayResult] = []
    after: int | None = None
    while True:
        with engine.connect() as conn:
            rows, after = quarantine.page(
                conn, after=after, include_replayed=include_replayed, with_body=True
            )
        results.extend(_replay_row(engine, hooks, settings, row) for row in rows)
        if after is None:
            return results


def _replay_row(
    engine: Engine, hooks: list[LegHook], settings: Settings, row: RowMapping
) -> ReplayResult:
    """A GET delivery is read from its stored query, as it was at ingest."""
    now = datetime.now(UTC).replace(tzinfo=None)
    received = receive(row["body"], row["content_type"], row["query"] or "", settings, now)
    with write_transaction(engine) as conn:
        stored = store_legs(conn, received.items, hooks, now)
        if received.errors:
            error = "; ".join(received.errors)
            quarantine.mark_replayed(conn, row["id"], None, f"still failing: {error}")
        else:
            error = None
            quarantine.mark_replayed(conn, row["id"], now, f"stored {len(stored)} leg(s)")
    return ReplayResult(row["id"], len(stored), error)
