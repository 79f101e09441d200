"""The time limits and SQLite's WAL limits that `make_engine` sets on every connection."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from cdrhub.config import load_settings
from cdrhub.store.engine import make_engine
from cdrhub.web.app import create_app


def shown(engine: Engine, *names: str) -> list[str]:
    with engine.connect() as conn:
        return [conn.execute(text(f"SHOW {name}")).scalar_one() for name in names]


def pragmas(engine: Engine, *names: str) -> list[object]:
    with engine.connect() as conn:
        return [conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]


LIMITS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


@pytest.mark.postgres
def test_postgresql_writer_engine_bounds_statements_locks_and_idle_transactions(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url, timeout=2.5)
    try:
        assert shown(engine, *LIMITS, "plan_cache_mode") == [
            "2500ms",
            "2500ms",
            "2500ms",
            "force_custom_plan",
        ]
        with engine.connect() as conn:
            parameters = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert {
            k: parameters[k] for k in ("connect_timeout", "keepalives", "tcp_user_timeout")
        } == {
            "connect_timeout": "3",
            "keepalives": "1",
            "tcp_user_timeout": "10000",
        }
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(10)"))
        assert 2.5 <= time.monotonic() - started < 5
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_other_engines_keep_postgresql_defaults_so_migrations_are_not_cut(pg_url: str) -> None:
    """The app's engine (which migrates at start-up and serves reports) has no statement
    limit; a connect timeout given in the URL wins over ours."""
    engine = make_engine(f"{pg_url}?connect_timeout=7")
    try:
        assert shown(engine, *LIMITS) == ["0", "0", "0"]
        with engine.connect() as conn:
            parameters = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert (parameters["connect_timeout"], parameters["keepalives_idle"]) == ("7", "5")
    finally:
        engine.dispose()
    settings = load_settings(
        env={},
        database_url=pg_url,
        ingest_token="test-ingest-token-0123456789",
        api_key="test-api-key-0123456789",
        run_worker=False,
        ingest_writer="thread",
    )
    app = create_app(settings)
    assert shown(app.state.engine, "statement_timeout") == ["0"]
    app.state.engine.dispose()


def test_sqlite_busy_wait_and_wal_limits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'x.db'}"
    writer, other = make_engine(url, timeout=2.5), make_engine(url)
    try:
        assert pragmas(writer, "busy_timeout", "wal_autocheckpoint", "journal_size_limit") == [
            2500,
            256,
            1048576,
        ]
        assert pragmas(other, "busy_timeout", "wal_autocheckpoint", "journal_size_limit") == [
            30000,
            256,
            1048576,
        ]
        # The WAL is cut back to the limit after a checkpoint, however much went through it.
        with writer.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (v BLOB)")
        for _ in range(60):
            with writer.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (randomblob(100000))")
        assert (tmp_path / "x.db").stat().st_size > 5_000_000
        assert (tmp_path / "x.db-wal").stat().st_size <= 1048576 + 200_000
    finally:
        writer.dispose()
        other.dispose()
