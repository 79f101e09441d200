"""After a bulk load PostgreSQL's planner gets its statistics at once (ANALYZE) when the load
changed more than autovacuum would wait for; SQLite's planner does without."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cdrhub.cli import app as cli_app
from cdrhub.config import Settings
from cdrhub.store.statistics import refresh_after_load
from tests.conftest import sample

REFRESHED = re.compile(r"^planner statistics refreshed \(ANALYZE\) in \d+\.\d s$")


def _counted(engine: Engine) -> float:
    """The legs PostgreSQL's statistics count (exact for a small table after ANALYZE)."""
    with engine.connect() as conn:
        query = text("SELECT reltuples FROM pg_class WHERE oid = 'legs'::regclass")
        return float(conn.execute(query).scalar_one())


def _import(settings: Settings, path: Path, count: int, prefix: str) -> list[str]:
    wire = sample("outgoing-answered.json")
    path.write_text("".join(json.dumps({**wire, "ivruniqueid": f"{prefix}{n}"}) + "\n"
                            for n in range(count)))  # fmt: skip
    result = CliRunner().invoke(
        cli_app,
        ["import", "--quiet", str(path)],
        env={"CDRHUB_DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()[1:]  # after the database line


def test_an_import_refreshes_the_statistics_on_postgresql(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "cdrs.jsonl"
    postgres = engine.dialect.name == "postgresql"
    small = _import(settings, path, 50, "a")  # no more than autovacuum's 50 rows
    assert small == []
    lines = _import(settings, path, 51, "b")
    if not postgres:
        assert lines == []
        return
    assert len(lines) == 1 and REFRESHED.match(lines[0]), lines
    assert _counted(engine) == 101  # the 50 and the 51, counted by ANALYZE
    again = _import(settings, path, 51, "b")  # duplicates only: nothing added
    assert again == []


def test_the_threshold_follows_autovacuum(engine: Engine) -> None:
    """50 rows and a tenth of the rows counted at the last ANALYZE."""
    if engine.dialect.name != "postgresql":
        assert refresh_after_load(engine, 10**6) is False
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE legs"))
        rows = float(
            conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = 'legs'::regclass")
            ).scalar_one()
        )
    limit = 50 + 0.1 * max(rows, 0)
    assert refresh_after_load(engine, int(limit)) is False
    assert refresh_after_load(engine, int(limit) + 1) is True
