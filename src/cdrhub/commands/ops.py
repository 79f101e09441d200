"""Operations: `backup` (a copy of the database while `serve` runs) and `purge` (retention);
docs/deploy.md, "Backups" and "Retention"."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from cdrhub.commands.common import Commands, migrated_engine, settings_or_exit

commands = typer.Typer()


@commands.command()
def backup(
    file: Path = typer.Argument(..., dir_okay=False, help="The copy to write (a new file)."),
) -> None:
    """Copy the database, safe while `serve` runs: SQLite's online backup API; on PostgreSQL
    `pg_dump --format=custom` (restore with `pg_restore`), or the command to run where it is
    installed."""
    from sqlalchemy.engine import make_url

    from cdrhub.redact import redact_text
    from cdrhub.store.backup import BackupError, pg_dump_command, sqlite_backup
    from cdrhub.store.engine import masked_url

    settings = settings_or_exit()
    shown = masked_url(settings.database_url)
    if settings.is_sqlite:
        try:
            size = sqlite_backup(make_url(settings.database_url).database or "", file)
        except BackupError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"backed up {shown} to {file} ({size} bytes)")
        return
    dump = pg_dump_command(settings.database_url, file)
    if shutil.which("pg_dump") is None:
        typer.echo("pg_dump is not installed here; where the PostgreSQL client is, run:", err=True)
        password = " (the password in PGPASSWORD or ~/.pgpass)" if dump.env else ""
        typer.echo(f"  {dump.shown()}{password}", err=True)
        raise typer.Exit(1)
    if file.exists():
        typer.echo(f"{file} exists already: name a new file", err=True)
        raise typer.Exit(1)
    done = subprocess.run(
        dump.args, env={**os.environ, **dump.env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        typer.echo(f"pg_dump failed: {redact_text(lines[-1], dump.env.values())}", err=True)
        raise typer.Exit(1)
    typer.echo(f"backed up {shown} to {file} ({file.stat().st_size} bytes, pg_dump custom format)")


@commands.command()
def purge(
    before: str = typer.Option(..., "--before", help="A local date, YYYY-MM-DD: older goes."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete calls that started before DATE (in the configured time zone) and what hangs on
    them; the reports stay exact (they read the hourly rollups, which are kept)."""
    from cdrhub import retention

    settings = settings_or_exit()
    try:
        day = date.fromisoformat(before.strip())
    except ValueError as exc:
        typer.echo(f"--before must be a date, YYYY-MM-DD, not {before!r}", err=True)
        raise typer.Exit(2) from exc
    today = datetime.now(UTC).astimezone(settings.tz).date()
    if day > today:
        typer.echo(
            f"--before {day} is after today ({today}): calls still arriving would go", err=True
        )
        raise typer.Exit(2)
    engine = migrated_engine(settings)
    horizon = retention.horizon(day, settings.tz)
    with engine.connect() as conn:
        counts = retention.count(conn, horizon)
    typer.echo(f"Older than {day} 00:00 ({settings.timezone}):")
    for name in retention.TABLES:
        typer.echo(f"  {name}: {counts[name]}")
    if not any(counts.values()):
        typer.echo("Nothing to purge.")
        return
    typer.echo("Reports stay exact (the hourly rollups are kept). Nothing shows that period in:")
    for view in retention.LOST_VIEWS:
        typer.echo(f"  - {view}")
    if not yes and not typer.confirm("Delete them?", default=False):
        typer.echo("Nothing deleted.")
        raise typer.Exit(1)
    deleted = retention.purge(engine, horizon)
    typer.echo(f"Purged: {retention.summary(deleted)}")


COMMANDS = Commands(commands=commands, groups={})
