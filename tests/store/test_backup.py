"""`cdrhub backup`: SQLite's online backup taken while CDRs are being written, PostgreSQL's
pg_dump (restored for real when pg_dump is installed), and the command shown without it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.cli import app as cli
from cdrhub.config import Settings
from cdrhub.store.backup import pg_dump_command
from tests.conftest import PG_ADMIN_URL, sample

JSON = {"content-type": "application/json"}
URL = "/voicenter/cdr/test-ingest-token-0123456789"


def _post(client: TestClient, n: int) -> None:
    cdr = {**sample("outgoing-answered.json"), "ivruniqueid": f"b-{n}", "time": 1700000000 + n}
    assert client.post(URL, content=json.dumps(cdr), headers=JSON).json()["Err"] == 0


def _counts(path: Path) -> tuple[int, int]:
    """(legs, legs counted in the hourly rollup) of a SQLite file."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        legs = db.execute("SELECT count(*) FROM legs").fetchone()[0]
        rolled = db.execute("SELECT sum(legs) FROM an_calls WHERE grain = 'h'").fetchone()[0]
    return legs, rolled or 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_backup_while_writing(
    app: FastAPI, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(app, client=("127.0.0.1", 40000))
    for n in range(20):
        _post(client, n)
    stop = threading.Event()
    written = [20]

    def write() -> None:
        while not stop.is_set():
            _post(client, written[0])
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    try:
        while written[0] < 40:  # writes are under way
            stop.wait(0.01)
        result = CliRunner().invoke(cli, ["backup", str(tmp_path / "copy.db")])
        at_end = written[0]
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    size = (tmp_path / "copy.db").stat().st_size
    assert (
        result.stdout
        == f"backed up {settings.database_url} to {tmp_path / 'copy.db'} ({size} bytes)\n"
    )
    legs, rolled = _counts(tmp_path / "copy.db")
    assert 40 <= legs <= at_end + 1
    assert rolled == legs  # one moment: every leg and its rollup, or neither
    assert not list(tmp_path.glob(".*partial"))

    again = CliRunner().invoke(cli, ["backup", str(tmp_path / "copy.db")])
    assert (again.exit_code, again.stderr.splitlines()[-1]) == (
        1,
        f"{tmp_path / 'copy.db'} exists already: name a new file",
    )


def test_pg_dump_command() -> None:
    dump = pg_dump_command(
        "postgresql+psycopg://cdr:s3cret-pass@db.internal:5433/cdrhub?sslmode=require",
        Path("/backups/cdrhub.dump"),
    )
    assert dump.args == [
        "pg_dump",
        "--format=custom",
        "--file=/backups/cdrhub.dump",
        "--dbname=postgresql://cdr@db.internal:5433/cdrhub?sslmode=require",
    ]
    assert dump.env == {"PGPASSWORD": "s3cret-pass"}
    assert "s3cret" not in dump.shown()


def _restore_count(dump: Path) -> int:
    """Restore the dump into a new database; its legs."""
    name = "cdrhub_restore_" + dump.stem
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        import subprocess

        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={base}/{name}", str(dump)], check=True
        )
        with psycopg.connect(f"{base}/{name}") as conn:
            row: Any = conn.execute("SELECT count(*) FROM legs").fetchone()
            return int(row[0])
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_pg_backup(
    app: FastAPI, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(app, client=("127.0.0.1", 40000))
    for n in range(7):
        _post(client, n)
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    target = tmp_path / "pgcopy.dump"
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    shown = f"pg_dump --format=custom --file={target} --dbname={dsn.render_as_string()}"

    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    missing = CliRunner().invoke(cli, ["backup", str(target)])
    assert (missing.exit_code, missing.stderr.splitlines()[-2:]) == (
        1,
        ["pg_dump is not installed here; where the PostgreSQL client is, run:", f"  {shown}"],
    )
    monkeypatch.undo()
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("bytes, pg_dump custom format)\n")
    assert _restore_count(target) == 7
