"""Recompute every rollup from the legs: after a threshold change, or to verify them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, delete, func, select

from cdrhub.analytics.config import analytics_settings
from cdrhub.analytics.facts import leg_facts
from cdrhub.analytics.rollup import Deltas
from cdrhub.analytics.stored import FACT_FIELDS, stored_leg
from cdrhub.analytics.tables import ROLLUPS, names, numbers
from cdrhub.config import Settings
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import legs


def count_legs(engine: Engine) -> int:
    """How many legs a rebuild will read (for its progress bar)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(legs)).scalar_one())


def rebuild(
    engine: Engine,
    settings: Settings,
    batch_size: int = 20000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """One transaction: readers see the old rollups until the new ones are complete.
    `progress` is told how many legs each batch read."""
    tz, cfg = settings.tz, analytics_settings(settings)
    count = 0
    with write_transaction(engine) as conn:
        for table in (*ROLLUPS.values(), numbers, names):
            conn.execute(delete(table))
        last_id = 0
        while True:
            query = (
                select(legs.c.id, *(legs.c[name] for name in FACT_FIELDS))
                .where(legs.c.id > last_id)
                .order_by(legs.c.id)
                .limit(batch_size)
            )
            rows = conn.execute(query).mappings().all()
            if not rows:
                break
            deltas = Deltas()
            for row in rows:
                deltas.add(leg_facts(stored_leg(row), tz, cfg))
            deltas.write(conn)
            count += len(rows)
            if progress:
                progress(len(rows))
            last_id = rows[-1]["id"]
    return count
