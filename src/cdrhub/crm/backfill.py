"""Run the CRM hook over legs stored earlier (before the archive or a connector was switched on).

Idempotent like the hook itself: jobs are keyed on the leg's content, recordings already noted
are not downloaded again, so running it twice enqueues nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, func, select

from cdrhub.config import Settings
from cdrhub.crm.hook import make_crm_hook
from cdrhub.ingest.pipeline import StoredLeg
from cdrhub.store.engine import write_transaction
from cdrhub.store.legs import row_to_leg
from cdrhub.store.schema import legs

BATCH = 500


Progress = Callable[[int, int], None]  # (done, total)


def backfill(
    engine: Engine,
    settings: Settings,
    *,
    since: datetime,
    now: datetime,
    progress: Progress | None = None,
) -> int:
    """Legs started at or after `since` run through the CRM hook; returns how many were seen.
    `progress` is told the legs seen so far and how many there are."""
    hook = make_crm_hook(settings)
    last_id, seen = 0, 0
    with engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(legs).where(legs.c.started_at >= since)
        ).scalar_one()
    while True:
        with write_transaction(engine) as conn:
            rows = (
                conn.execute(
                    select(legs)
                    .where(legs.c.started_at >= since, legs.c.id > last_id)
                    .order_by(legs.c.id)
                    .limit(BATCH)
                )
                .mappings()
                .all()
            )
            hook(conn, [StoredLeg(r["id"], "new", row_to_leg(r), None, now) for r in rows])
        if not rows:
            return seen
        seen += len(rows)
        last_id = rows[-1]["id"]
        if progress:
            progress(seen, max(seen, total))
