"""What `cdrhub serve`'s processes import, kept small (bench/README.md, Footprint): the server
and the ingest writer never load phonenumbers' geocoder (~100 MB of place names), nor psycopg
on SQLite; the writer loads no web framework; a start on a database at every migration head
does not import Alembic, nor xlsxwriter (a download), httpx (the jobs that call out) or rich (a
command's progress bar). Each checked in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cdrhub.store.engine import make_engine
from cdrhub.store.migrate import upgrade
from tests.footprint_probe import MODULES_FILE

ROOT = Path(__file__).resolve().parents[1]

# Started like the `cdrhub` script: its module imports cdrhub.cli, which the writer process
# (multiprocessing's spawn) imports again as its main module.
SERVE_LIKE = """
import asyncio, sys
from cdrhub.cli import app

if __name__ == "__main__":
    from cdrhub.config import load_settings
    from cdrhub.ingest.process_writer import ProcessWriter
    from cdrhub.web.app import create_app
    from tests.footprint_probe import hooks_noting_modules

    settings = load_settings(
        env={},
        database_url=sys.argv[1],
        ingest_token="test-ingest-token-0123456789",
        api_key="test-api-key-0123456789",
        run_worker=False,
    )
    application = create_app(settings)
    print("\\n".join(sorted(sys.modules)))

    async def main() -> None:
        writer = ProcessWriter(settings, hooks_noting_modules)
        try:
            assert await writer.check() is not None  # answered once the hooks are built
        finally:
            writer.close()

    asyncio.run(main())
    application.state.engine.dispose()
"""

NEVER = ("phonenumbers.geocoder", "phonenumbers.geodata", "psycopg")
# loaded when needed: migrations to run, a download, a job that calls out, a progress bar
NOT_ON_A_CURRENT_DATABASE = ("alembic", "xlsxwriter", "httpx", "rich")
NOT_IN_THE_WRITER = ("fastapi", "starlette", "uvicorn", "pydantic")


def _heavy(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m in names or m.startswith(tuple(f"{n}." for n in names)))


def test_serve_and_its_writer_import_no_geocoder_and_the_writer_no_web_framework(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/cdrhub.db"
    engine = make_engine(url)
    assert upgrade(engine) is True  # as a first start did
    engine.dispose()
    script = tmp_path / "serve_like.py"
    script.write_text(SERVE_LIKE)
    noted = tmp_path / "writer-modules.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), MODULES_FILE: str(noted)}
    done = subprocess.run(
        [sys.executable, str(script), url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    server = done.stdout.split()
    writer = noted.read_text().split()
    assert "cdrhub.web.app" in server and "cdrhub.cli" in writer  # what was checked
    assert "cdrhub.analytics.facts" in server and "cdrhub.analytics.facts" in writer
    assert _heavy(server, NEVER + NOT_ON_A_CURRENT_DATABASE) == []
    assert _heavy(writer, NEVER + NOT_IN_THE_WRITER + NOT_ON_A_CURRENT_DATABASE) == []
