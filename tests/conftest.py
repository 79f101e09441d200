"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is 127.0.0.1:5432 (user postgres, database `test`) unless CDRHUB_TEST_PG_URL says
otherwise. Each test session creates its own database and drops it at the end. When PostgreSQL is
unreachable its tests are skipped locally, but fail under CI (CI=true): CI must run them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cdrhub.config import Settings, load_settings
from cdrhub.store.engine import make_engine
from cdrhub.store.migrate import upgrade
from cdrhub.web.app import create_app

# The sample CDRs travel with the tests (copied from the project's shared samples), so a clone
# anywhere runs the suite.
SAMPLES = Path(__file__).with_name("samples")
FIXTURES = Path(__file__).with_name("fixtures")

PG_ADMIN_URL = os.environ.get("CDRHUB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample(name: str) -> dict[str, Any]:
    return json.loads(sample_bytes(name))


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    error = _pg_reachable()
    if error is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must be reachable in CI: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    name = f"cdrhub_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    from cdrhub.store.schema import metadata

    names = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            existing = set(
                conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).scalars()
            )
            todo = [n for n in names if n in existing]
            if todo:
                conn.exec_driver_sql(
                    "TRUNCATE " + ", ".join(f'"{n}"' for n in todo) + " RESTART IDENTITY CASCADE"
                )
        else:
            for name in reversed(names):
                conn.exec_driver_sql(f'DELETE FROM "{name}"')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cdrhub.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    engine = request.getfixturevalue("pg_engine")
    _truncate_all(engine)
    return str(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The real app on the test database (no background worker)."""
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, client=("127.0.0.1", 40000))


@pytest.fixture
def settings(db_url: str) -> Settings:
    return load_settings(
        env={},
        database_url=db_url,
        ingest_token="test-ingest-token-0123456789",
        api_key="test-api-key-0123456789",
        run_worker=False,
        # In-process: a writer process per app would add a second to every app the tests build;
        # tests/ingest/test_writer_process.py runs ingest through the writer process.
        ingest_writer="thread",
    )
