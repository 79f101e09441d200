"""store.bulk writes what SQLAlchemy's own execute would: the same stored values (SQLite's
datetime text, JSON), only the rows inserted returned, batches wider than one statement takes
chunked (SQLite: 32,766 variables, PostgreSQL: 65,535 parameters), by COPY on PostgreSQL from
`COPY_ROWS` rows on; and no module under src/ goes back to SQLAlchemy's private API or to
parsing SQL text."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import JSON

from cdrhub.store import bulk
from cdrhub.store.bulk import OnConflict, insert_rows

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
ADDING = OnConflict(key=("name",), add=("n",))
BY_NAME = OnConflict(key=("name",))


@pytest.fixture(params=["copy", "values"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """PostgreSQL's two ways: COPY (from one row on) and multi-row INSERTs (never COPY)."""
    monkeypatch.setattr(bulk, "COPY_ROWS", 1 if request.param == "copy" else 10**9)
    return str(request.param)


def test_insert_rows_matches_sqlalchemy(engine: Engine, way: str) -> None:
    _reset(engine)
    at = datetime(2026, 3, 27, 2, 30)
    rows = [("a", at, 1, {"k": [1, "x"]}), ("b", None, 2, None)]
    with engine.begin() as conn:
        stmt = _UPSERTS[conn.dialect.name]
        insert_rows(conn, probe, ["name", "at", "n", "doc"], rows, on_conflict=ADDING)
        # one call's rows have distinct keys (one statement on PostgreSQL); a later call adds
        insert_rows(
            conn, probe, ["name", "at", "n", "doc"], [("a", at, 5, None)], on_conflict=ADDING
        )
        # a statement's columns may come in any order
        insert_rows(
            conn, probe, ["n", "name", "at", "doc"], [(10, "c", at, None)], on_conflict=ADDING
        )
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


def test_insert_returns_only_new_rows_across_chunks(engine: Engine, way: str) -> None:
    _reset(engine)
    with engine.begin() as conn:
        conn.execute(probe.insert(), [{"name": "n00005", "n": 0}])
    # 20,000 rows x 4 columns: more than one statement takes on either engine; a repeated key
    # in the batch is ignored after its first row
    rows = [(f"n{i:05d}", None, i, {"i": i}) for i in range(20_000)]
    rows.insert(9, ("n00007", None, -7, {"i": -7}))
    with engine.begin() as conn:
        got = insert_rows(
            conn, probe, ["name", "at", "n", "doc"], rows, on_conflict=BY_NAME,
            returning=("name", "n"),
        )  # fmt: skip
        again = insert_rows(
            conn, probe, ["name", "at", "n", "doc"], rows[:3], on_conflict=BY_NAME,
            returning=("name",),
        )  # fmt: skip
    assert sorted(got) == [(f"n{i:05d}", i) for i in range(20_000) if i != 5]
    assert again == []
    with engine.connect() as conn:
        assert conn.execute(select(probe.c.doc).where(probe.c.name == "n00007")).scalar() == {
            "i": 7
        }
    metadata.drop_all(engine)


def test_insert_rows_sends_batches_wider_than_one_statement(engine: Engine, way: str) -> None:
    _reset(engine)
    rows = [(f"w{i:05d}", None, i, None) for i in range(20_000)]  # 80,000 values
    with engine.begin() as conn:
        insert_rows(conn, probe, ["name", "at", "n", "doc"], rows, on_conflict=ADDING)
        insert_rows(conn, probe, ["name", "at", "n", "doc"], rows[-2:], on_conflict=ADDING)
    with engine.connect() as conn:
        got = dict(conn.execute(select(probe.c.name, probe.c.n)).all())
    assert len(got) == 20_000
    assert (got["w00000"], got["w12345"], got["w19998"], got["w19999"]) == (0, 12345, 39996, 39998)
    metadata.drop_all(engine)


def test_a_name_update_and_a_plain_insert(engine: Engine, way: str) -> None:
    """`set` takes the new row's value; no conflict clause: a plain INSERT."""
    _reset(engine)
    taking = OnConflict(key=("name",), set=("n", "doc"))
    with engine.begin() as conn:
        insert_rows(conn, probe, ("name", "n"), [("a", 1), ("b", 2)])
        insert_rows(conn, probe, ("name", "n", "doc"), [("a", 7, [1])], on_conflict=taking)
    with engine.connect() as conn:
        got = conn.execute(select(probe.c.name, probe.c.n, probe.c.doc).order_by("name")).all()
    assert [tuple(r) for r in got] == [("a", 7, [1]), ("b", 2, None)]
    metadata.drop_all(engine)


SRC = Path(__file__).resolve().parents[2] / "src"
_SQL_WORDS = ("INSERT", "VALUES", "SELECT", "UPDATE", "ON CONFLICT", "$1", r"\$")


def _regex_patterns(tree: ast.AST) -> list[str]:
    """The string literals given to a function of `re` (compile, search, match, sub...)."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
        ):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append(arg.value)
    return found


def test_no_module_uses_private_sqlalchemy_api_or_parses_sql() -> None:
    """Statements are built from the Table, never parsed back from compiled SQL, and bind
    processors come from the types' public `bind_processor`."""
    private, parsing = [], []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(SRC))
        if "_cached_bind_processor" in text:
            private.append(name)
        for pattern in _regex_patterns(ast.parse(text)):
            if any(word in pattern.upper() for word in _SQL_WORDS):
                parsing.append(f"{name}: {pattern}")
    assert (private, parsing) == ([], [])
