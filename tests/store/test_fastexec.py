"""fastexec writes what SQLAlchemy's own execute would: the same stored values (SQLite's
datetime text, JSON), only the rows inserted returned, batches wider than one statement takes
chunked (SQLite: 32,766 variables, PostgreSQL: 65,535 parameters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import JSON

from cdrhub.store.fastexec import _MultiRow, executemany, insert_ignoring_returning

metadata = MetaData()
probe = Table(
    "fastexec_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(32), nullable=False, unique=True),
    Column("at", DateTime, nullable=True),
    Column("n", Integer, nullable=False),
    Column("doc", JSON, nullable=True),
)


def _reset(engine: Engine) -> None:
    metadata.drop_all(engine)
    metadata.create_all(engine)


def _upsert(dialect: str) -> Any:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(probe)
    return insert.on_conflict_do_update(
        index_elements=["name"], set_={"n": probe.c.n + insert.excluded.n}
    )


_UPSERTS = {"sqlite": _upsert("sqlite"), "postgresql": _upsert("postgresql")}


def test_executemany_matches_sqlalchemy(engine: Engine) -> None:
    _reset(engine)
    at = datetime(2026, 3, 27, 2, 30)
    rows = [("a", at, 1, {"k": [1, "x"]}), ("b", None, 2, None)]
    with engine.begin() as conn:
        stmt = _UPSERTS[conn.dialect.name]
        executemany(conn, stmt, ["name", "at", "n", "doc"], rows)
        # one call's rows have distinct keys (one statement on PostgreSQL); a later call adds
        executemany(conn, stmt, ["name", "at", "n", "doc"], [("a", at, 5, None)])
        # a statement's columns may come in any order
        executemany(conn, stmt, ["n", "name", "at", "doc"], [(10, "c", at, None)])
        conn.execute(stmt, [{"name": "d", "at": at, "n": 1, "doc": {"k": [1, "x"]}}])
    with engine.connect() as conn:
        got = {r.name: (r.at, r.n, r.doc) for r in conn.execute(select(probe))}
        # the datetime is stored as SQLAlchemy stores it: comparisons in SQL find it
        found = conn.execute(select(probe.c.name).where(probe.c.at == at).order_by("name"))
        assert found.scalars().all() == ["a", "c", "d"]
    assert got == {
        "a": (at, 6, {"k": [1, "x"]}),
        "b": (None, 2, None),
        "c": (at, 10, None),
        "d": (at, 1, {"k": [1, "x"]}),
    }
    metadata.drop_all(engine)


def test_insert_returns_only_new_rows_across_chunks(engine: Engine) -> None:
    _reset(engine)
    with engine.begin() as conn:
        conn.execute(probe.insert(), [{"name": "n00005", "n": 0}])
    # 20,000 rows x 4 columns: more than one statement takes on either engine; a repeated key
    # in the batch is ignored after its first row
    rows = [(f"n{i:05d}", None, i, {"i": i}) for i in range(20_000)]
    rows.insert(9, ("n00007", None, -7, {"i": -7}))
    with engine.begin() as conn:
        got = insert_ignoring_returning(
            conn, probe, ("name",), ["name", "at", "n", "doc"], rows, ("name", "n")
        )
        again = insert_ignoring_returning(
            conn, probe, ("name",), ["name", "at", "n", "doc"], rows[:3], ("name",)
        )
    assert sorted(got) == [(f"n{i:05d}", i) for i in range(20_000) if i != 5]
    assert again == []
    with engine.connect() as conn:
        assert conn.execute(select(probe.c.doc).where(probe.c.name == "n00007")).scalar() == {
            "i": 7
        }
    metadata.drop_all(engine)


def test_executemany_sends_batches_wider_than_one_statement(engine: Engine) -> None:
    _reset(engine)
    rows = [(f"w{i:05d}", None, i, None) for i in range(20_000)]  # 80,000 values
    with engine.begin() as conn:
        stmt = _UPSERTS[conn.dialect.name]
        executemany(conn, stmt, ["name", "at", "n", "doc"], rows)
        executemany(conn, stmt, ["name", "at", "n", "doc"], rows[-2:])
    with engine.connect() as conn:
        got = dict(conn.execute(select(probe.c.name, probe.c.n)).all())
    assert len(got) == 20_000
    assert (got["w00000"], got["w12345"], got["w19998"], got["w19999"]) == (0, 12345, 39996, 39998)
    metadata.drop_all(engine)


def test_multi_row_form_of_a_one_row_insert() -> None:
    """PostgreSQL's multi-row rewrite: placeholders renumbered row by row, casts kept; a form it
    does not know (a parameter outside VALUES) is left to one statement per row."""
    one = _MultiRow.of(
        "INSERT INTO t (a, b) VALUES ($1::VARCHAR, $2::TIMESTAMP WITHOUT TIME ZONE) "
        "ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    )
    assert one is not None
    assert one.sql(3) == (
        "INSERT INTO t (a, b) VALUES ($1::VARCHAR, $2::TIMESTAMP WITHOUT TIME ZONE), "
        "($3::VARCHAR, $4::TIMESTAMP WITHOUT TIME ZONE), "
        "($5::VARCHAR, $6::TIMESTAMP WITHOUT TIME ZONE) "
        "ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    )
    assert (
        _MultiRow.of("INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET n = $2") is None
    )
    assert _MultiRow.of("INSERT INTO t (a, b) VALUES ($2, $1)") is None
    assert _MultiRow.of("UPDATE t SET a = $1") is None
