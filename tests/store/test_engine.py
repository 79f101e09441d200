"""make_engine's settings of a PostgreSQL connection, and the plans its statements get."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, text

from cdrhub.crm.tables import recordings
from cdrhub.store.engine import make_engine
from cdrhub.store.fastexec import insert_ignoring_returning


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
def test_fastexec_inserts_use_generic_plans_and_reads_stay_custom(db_url: str) -> None:
    """fastexec's writes switch to generic plans for their own statements and back: the
    prepared INSERT is planned once for all its rows, while a read prepared on the same
    connection in the same transaction is still planned for each execution's values."""
    engine = make_engine(db_url)
    rows = [(f"generic-{i}", "https://rec.example/1.mp3", "x", None, None) for i in range(8)]
    try:
        with engine.begin() as conn:
            stored = insert_ignoring_returning(
                conn, recordings, ("ivruniqueid",),
                ("ivruniqueid", "source_url", "status", "error", "call_started_at"),
                rows, ("ivruniqueid",),
            )  # fmt: skip
            assert sorted(r[0] for r in stored) == [f"generic-{i}" for i in range(8)]
            read = select(recordings.c.status).where(recordings.c.ivruniqueid == bindparam("u"))
            for i in range(7):  # psycopg prepares a statement from its sixth run on
                assert conn.execute(read, {"u": f"generic-{i}"}).scalar_one() == "x"
            assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
            plans = {
                statement.split()[0]: (generic, custom)
                for statement, generic, custom in conn.execute(
                    text(
                        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                        " WHERE statement LIKE '%crm_recordings%'"
                    )
                )
            }
    finally:
        engine.dispose()
    # the insert: one generic plan per row, none custom; the read: custom plans only
    assert plans == {"INSERT": (8, 0), "SELECT": (0, 2)}
