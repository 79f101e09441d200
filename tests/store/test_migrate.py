"""store/migrate.py: a database at every head starts without Alembic; any other state, a new
migration file included, is migrated by Alembic, on both engines and by replicas together."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from cdrhub.store.engine import make_engine
from cdrhub.store.migrate import (
    MIGRATIONS,
    alembic_config,
    database_heads,
    script_heads,
    upgrade,
)
from tests.conftest import PG_ADMIN_URL

NEW_MIGRATION = '''"""A migration added after the database was made."""

from alembic import op
import sqlalchemy as sa

revision = "0999_probe"
down_revision = "0013_legs_phone_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("probe", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("probe")
'''


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database of its own, with no table yet."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("pg_url")  # skips when PostgreSQL is unreachable
    name = f"cdrhub_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    engine = make_engine(f"{base}/{name}")
    yield engine
    engine.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _heads_in(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        return database_heads(conn)


def test_the_heads_read_from_the_files_are_alembics() -> None:
    alembics = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert script_heads() == frozenset(alembics)
    assert len(alembics) > 1  # several branches: the rule for heads is exercised


def test_a_new_database_is_migrated_then_a_current_one_is_left_alone(new_engine: Engine) -> None:
    assert _heads_in(new_engine) == frozenset()
    assert upgrade(new_engine) is True
    assert _heads_in(new_engine) == script_heads()
    assert upgrade(new_engine) is False


def test_a_database_behind_is_migrated(new_engine: Engine) -> None:
    cfg = alembic_config()
    with new_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_core")
        conn.commit()
    assert _heads_in(new_engine) == {"0001_core"}
    assert upgrade(new_engine) is True
    assert _heads_in(new_engine) == script_heads()


def test_a_new_migration_file_is_applied_to_a_current_database(
    new_engine: Engine, tmp_path: Path
) -> None:
    assert upgrade(new_engine) is True
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, location, ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / "0999_probe.py").write_text(NEW_MIGRATION)
    expected = (script_heads() or frozenset()) - {"0013_legs_phone_time"} | {"0999_probe"}
    assert script_heads(location) == expected
    assert upgrade(new_engine, location) is True
    assert _heads_in(new_engine) == expected
    assert "probe" in inspect(new_engine).get_table_names()
    assert upgrade(new_engine, location) is False


@pytest.mark.postgres
def test_replicas_that_start_together_migrate_once_each_safely(pg_url: str, tmp_path: Path) -> None:
    name = f"cdrhub_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    engines = [make_engine(f"{base}/{name}") for _ in range(3)]
    outcomes: list[bool | BaseException] = []
    together = threading.Barrier(len(engines))

    def start(engine: Engine) -> None:
        together.wait()
        try:
            outcomes.append(upgrade(engine))
        except BaseException as exc:
            outcomes.append(exc)

    try:
        threads = [threading.Thread(target=start, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        # no replica failed; whichever found the database behind waited for the lock
        assert [type(o) for o in outcomes] == [bool, bool, bool]
        assert True in outcomes
        assert _heads_in(engines[0]) == script_heads()
        assert upgrade(engines[0]) is False
    finally:
        for engine in engines:
            engine.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize(
    ("files", "heads"),
    [
        (
            {
                "a.py": 'revision = "a"\ndown_revision = None\n',
                "b.py": "revision: str = 'b'\ndown_revision: str | None = 'a'\n",
                "c.py": 'revision = "c"\ndown_revision = "a"\ndepends_on = None\n',
                "d.py": 'revision = "d"\ndown_revision = ("b", "c")\n',
                "e.py": 'revision = "e"\ndown_revision = "a"\n',
                "__init__.py": "",
            },
            {"d", "e"},
        ),
        # not the plain form: Alembic decides
        ({"a.py": 'revision = "a"\ndown_revision = (\n    "x",\n)\n'}, None),
        ({"a.py": 'revision = "a"\ndown_revision = None\ndepends_on = "b"\n'}, None),
        ({"a.py": 'revision = "a"\n'}, None),
        ({"a.py": 'revision = "a"\ndown_revision = None\nrevision = "b"\n'}, None),
        ({"a.py": "revision = make_id()\ndown_revision = None\n"}, None),
        (
            {
                "a.py": 'revision = "a"\ndown_revision = None\n',
                "b.py": 'revision = "a"\ndown_revision = None\n',
            },
            None,
        ),
        ({}, None),
    ],
)
def test_heads_from_the_files(
    tmp_path: Path, files: dict[str, str], heads: set[str] | None
) -> None:
    (tmp_path / "versions").mkdir()
    for name, body in files.items():
        (tmp_path / "versions" / name).write_text(body)
    assert script_heads(tmp_path) == (None if heads is None else frozenset(heads))
