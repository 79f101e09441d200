"""A copy of the database taken while `serve` runs: SQLite's online backup, PostgreSQL's
`pg_dump` (docs/deploy.md, "Backups").

SQLite: `sqlite3.Connection.backup` copies every page in one step inside one read transaction,
so the copy is one consistent moment of the database even while the writer commits (WAL lets
the writer go on meanwhile). The copy is written beside the target and renamed into place, so
an interrupted backup never leaves a half file under the target's name.

PostgreSQL: `pg_dump --format=custom`, the documented way (a consistent snapshot; restored with
`pg_restore`). The password travels in PGPASSWORD, never on the command line, where `ps` would
show it.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup could not be made; the message is one line fit to show."""


def sqlite_backup(database: str, target: Path) -> int:
    """Copy the SQLite database file `database` to `target` (which must not exist); its size."""
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    if not Path(database).is_file():
        raise BackupError(f"no database file at {database}")
    if target.exists():
        raise BackupError(f"{target} exists already: name a new file")
    partial = target.with_name(f".{target.name}.partial")
    try:
        source = sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)  # all pages in one step: one consistent snapshot
            finally:
                copy.close()
        finally:
            source.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    return target.stat().st_size


@dataclass(frozen=True)
class PgDump:
    """The `pg_dump` run: its arguments (no password) and the environment it adds."""

    args: list[str]
    env: dict[str, str]

    def shown(self) -> str:
        """The command as a person types it (the password left to PGPASSWORD or ~/.pgpass)."""
        return shlex.join(self.args)


def pg_dump_command(database_url: str, target: Path) -> PgDump:
    url = make_url(database_url)
    env = {"PGPASSWORD": url.password} if url.password else {}
    # built anew: URL.set(password=None) leaves the password as it was
    libpq = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    dsn = libpq.render_as_string(hide_password=False)
    return PgDump(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={dsn}"], env)
