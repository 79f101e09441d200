"""The planner's statistics after a bulk load. PostgreSQL's planner needs them: without them it
guessed that a contact's linked legs were ~40% of all legs and read the table whole (0.9 s at a
million legs against 40 ms; bench/README.md, Dashboard). Autovacuum refreshes them in time on a
server that runs it, but only a while after the load, and not at all where it is off; so a load
that changes more than autovacuum itself would wait for refreshes them at once. SQLite's
planner does without."""

from __future__ import annotations

from sqlalchemy import Engine, text

# autovacuum's own defaults: analyze after 50 rows and a tenth of the table have changed
BASE_ROWS = 50
SCALE = 0.1


def refresh_after_load(engine: Engine, added: int) -> bool:
    """ANALYZE the database (PostgreSQL) when a load added `added` legs, more than autovacuum
    would wait for; whether it ran."""
    if engine.dialect.name != "postgresql" or added <= BASE_ROWS:
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # the rows at the last ANALYZE (or VACUUM, or CREATE INDEX); -1: never counted
        known = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'legs'::regclass"))
        rows = float(known.scalar_one())
        if rows >= 0 and added <= BASE_ROWS + SCALE * rows:
            return False
        conn.execute(text("ANALYZE"))
    return True
