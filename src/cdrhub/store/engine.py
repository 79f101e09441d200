"""Engine set-up for the two supported databases, and the write transaction both use.

SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged CDR survives power loss) and
takes its write lock at BEGIN (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy
timeout instead of failing on a read-to-write upgrade. PostgreSQL needs neither.

Within one process, SQLite write transactions also take a Python lock (one per database file)
before BEGIN. SQLite's busy handler polls: a writer that finds the database locked sleeps 1, 2,
5, 10, ... up to 100 ms before trying again, so with many threads writing at once most of the
time went to sleeping while the lock was free (ingest measured ~520 CDRs/s with second-long
tails). A Python lock hands over at once. Other processes still queue on the busy timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

_BEGIN_OPTION = "cdrhub_sqlite_begin"
_sqlite_write_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def _write_lock(engine: Engine) -> AbstractContextManager[Any]:
    """The in-process writer lock of a SQLite database file (no lock for other engines)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = str(engine.url.database or ":memory:")
    with _locks_guard:
        lock = _sqlite_write_locks.get(key)
        if lock is None:
            lock = _sqlite_write_locks[key] = threading.RLock()
    return lock


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` and `postgres://` URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    # A statement's parameters are CDR fields, numbers and secrets: never in a log line or in
    # the text of an error.
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _custom_plans)
    return engine


def _custom_plans(dbapi_conn: Any, _record: Any) -> None:
    """Plan every execution of a prepared statement for its own parameters and the tables as
    they are now. psycopg prepares a statement after five runs, and PostgreSQL may then keep a
    generic plan made while a table was small: the ingest writer's lookup of a batch's
    recordings stayed a sequential scan as the table grew, and the benchmark's rate fell round
    after round (0.29 -> 0.19 of the no-op; 0.35 -> 0.37 with custom plans, bench/README.md).
    `fastexec` sends a batch's rows as one statement, so that is planned once per batch."""
    if dbapi_conn.info.server_version >= 120000:  # plan_cache_mode is PostgreSQL 12+
        with dbapi_conn.cursor() as cur:
            cur.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.commit()


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed on success, rolled back on any error."""
    with _write_lock(engine), engine.connect() as conn:
        conn = conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
