"""Quarantine replay: run kept bodies through ingest again, after a fix to decoding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.pipeline import LegHook, store_legs
from cdrhub.store import quarantine
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.receive import receive


@dataclass(frozen=True, slots=True)
class ReplayResult:
    quarantine_id: int
    stored: int
    error: str | None


def replay(
    engine: Engine, settings: Settings, hooks: list[LegHook], *, include_replayed: bool = False
) -> list[ReplayResult]:
    """Each pending body in its own transaction: a body that still fails stays pending."""
    with engine.connect() as conn:
        rows = quarantine.pending(conn, include_replayed=include_replayed)
    results = []
    for row in rows:
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
        results.append(ReplayResult(row["id"], len(stored), error))
    return results
