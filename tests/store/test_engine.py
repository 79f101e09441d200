"""make_engine's settings of a PostgreSQL connection, and the plans its reads get."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, text

from cdrhub.crm.tables import recordings
from cdrhub.store.bulk import OnConflict, insert_rows
from cdrhub.store.engine import make_engine


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_plans_each_execution_for_its_parameters(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        for _ in range(2):  # a new connection, and one back from the pool
            with engine.connect() as conn:
                mode = conn.execute(text("SHOW plan_cache_mode")).scalar_one()
                assert mode == "force_custom_plan"
                conn.execute(text("SELECT 1"))
                conn.commit()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_prepared_read_is_still_planned_for_its_values(db_url: str) -> None:
    """psycopg prepares a statement from its sixth run on; PostgreSQL then plans each of its
    executions for its values (no generic plan kept from a time the table was small)."""
    engine = make_engine(db_url)
    rows = [(f"plan-{i}", "https://rec.example/1.mp3", "x", None, None) for i in range(8)]
    try:
        with engine.begin() as conn:
            insert_rows(
                conn, recordings,
                ("ivruniqueid", "source_url", "status", "error", "call_started_at"),
                rows, on_conflict=OnConflict(("ivruniqueid",)), returning=("ivruniqueid",),
            )  # fmt: skip
            read = select(recordings.c.status).where(recordings.c.ivruniqueid == bindparam("u"))
            for i in range(7):
                assert conn.execute(read, {"u": f"plan-{i}"}).scalar_one() == "x"
            plans = conn.execute(
                text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE 'SELECT%crm_recordings%'"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(p) for p in plans] == [(0, 2)]
