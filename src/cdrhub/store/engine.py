"""Engine set-up for the two supported databases, and the write transaction both use.

SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged CDR survives power loss) and
takes its write lock at BEGIN (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy
timeout instead of failing on a read-to-write upgrade. PostgreSQL needs neither.

Within one process, SQLite write transactions also take a Python lock (one per database file)
before BEGIN. SQLite's busy handler polls: a writer that finds the database locked sleeps 1, 2,
5, 10, ... up to 100 ms before trying again, so with many threads writing at once most of the
time went to sleeping while the lock was free (bench/README.md, Ingest, "What dominates").
A Python lock hands over at once. Other processes still queue on the busy timeout.

Time limits (docs/ingest.md, "Deadlines"). Every PostgreSQL connection has a connect timeout and
TCP keepalives, so a cut network is noticed in seconds rather than when TCP gives up. An engine
made with `timeout` (the ingest writer's) also bounds each statement, lock wait and idle
transaction on PostgreSQL, and the busy wait on SQLite; others (the app's, whose migration and
reports may take long) keep PostgreSQL's defaults. SQLite keeps its WAL small and truncates it
after each checkpoint, so that a small disk that filled up works again once space is freed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cdrhub.redact import redact_text

# A PostgreSQL connection that goes silent is probed after 5 s and dropped after 3 unanswered
# probes 2 s apart; data the peer does not acknowledge for 10 s drops it too.
_PG_NETWORK = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2}
_PG_NETWORK |= {"keepalives_count": 3, "tcp_user_timeout": 10_000}
DEFAULT_CONNECT_TIMEOUT = 10  # seconds, for engines made without `timeout`
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds
# The WAL is checkpointed when it reaches 1 MiB (SQLite's default is 4 MiB) and cut back to
# 1 MiB after a checkpoint (by default it never shrinks): on a small disk a WAL that had grown
# kept its space, and with less free than its threshold it could not grow to be checkpointed.
WAL_AUTOCHECKPOINT_PAGES = 256
JOURNAL_SIZE_LIMIT = 1024 * 1024

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


def make_engine(url: str, *, timeout: float | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`. With `timeout` (seconds), no statement, lock wait or connection
    attempt takes longer (the ingest writer's engine: see the module's docstring)."""
    url = normalize_url(url)
    # A statement's parameters are CDR fields, numbers and secrets: never in a log line or in
    # the text of an error.
    kwargs.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, timeout, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs["connect_args"] = {**_pg_connect_args(url, timeout), **kwargs.get("connect_args", {})}
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _session_settings(timeout))
    return engine


def _pg_connect_args(url: str, timeout: float | None) -> dict[str, Any]:
    """Connect timeout and keepalives, unless the URL sets them itself."""
    seconds = DEFAULT_CONNECT_TIMEOUT if timeout is None else max(2, math.ceil(timeout))
    wanted = {"connect_timeout": seconds, **_PG_NETWORK}
    given = make_url(url).query
    return {key: value for key, value in wanted.items() if key not in given}


def _session_settings(timeout: float | None) -> Any:
    """The `connect` listener: custom plans, and the time limits when `timeout` is given. Set
    per connection rather than in the `options` connect argument, which would replace options
    given in the URL."""
    statements = []
    if timeout is not None:
        ms = max(1, round(timeout * 1000))
        # A statement (a lock wait included) that runs longer is cancelled; a transaction left
        # idle (its client frozen or gone) is ended and its row locks freed.
        statements = [
            f"SET statement_timeout = {ms}",
            f"SET lock_timeout = {ms}",
            f"SET idle_in_transaction_session_timeout = {ms}",
        ]

    def on_connect(dbapi_conn: Any, record: Any) -> None:
        _custom_plans(dbapi_conn, record, statements)

    return on_connect


def _custom_plans(dbapi_conn: Any, _record: Any, also: list[str] | None = None) -> None:
    """Plan every execution of a prepared statement for its own parameters and the tables as
    they are now. psycopg prepares a statement after five runs, and PostgreSQL may then keep a
    generic plan made while a table was small: the ingest writer's lookup of a batch's
    recordings stayed a sequential scan as the table grew, and the benchmark's rate fell round
    after round, where with custom plans it held (bench/README.md, Ingest, session 3).
    `store.bulk` sends a batch's rows as one statement, so that is planned once per batch.
    `also`: further SET statements, sent in the same round trip."""
    statements = list(also or ())
    if dbapi_conn.info.server_version >= 120000:  # plan_cache_mode is PostgreSQL 12+
        statements.append("SET plan_cache_mode = force_custom_plan")
    if statements:
        with dbapi_conn.cursor() as cur:
            cur.execute("; ".join(statements))
        dbapi_conn.commit()


def _sqlite_engine(url: str, timeout: float | None, **kwargs: Any) -> Engine:
    busy = DEFAULT_BUSY_TIMEOUT if timeout is None else timeout
    connect_args = {"check_same_thread": False, "timeout": busy}
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={max(1, round(busy * 1000))}")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
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


def masked_url(url: str) -> str:
    """A database URL fit to print or log: its password (also a `?password=`) masked."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads: hide what precedes `@`
        scheme, sep, rest = url.partition("://")
        shown = f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else url
    return redact_text(shown)
