"""Analytics commands: `report`, `import`, `demo` (top-level) and the `analytics` group
(`analytics rebuild`)."""

from __future__ import annotations

import calendar
import shlex
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from cdrhub import domains, longlived
from cdrhub.commands.common import Commands, migrated_engine, settings_or_exit
from cdrhub.commands.progress import QUIET, progress_bar
from cdrhub.config import ConfigError
from cdrhub.inputs import MAX_INT
from cdrhub.store.statistics import refresh_after_load


def _report_names() -> str:
    """Every report, with the options only it reads: `agents (--sort), ..., callbacks (--by,
    --within-hours)`."""
    return ", ".join(
        f"{r.name} ({', '.join('--' + p.replace('_', '-') for p in r.params)})"
        if r.params
        else r.name
        for r in domains.reports().values()
    )


commands = typer.Typer()


@commands.command()
def report(
    name: str = typer.Argument(..., help=_report_names()),
    from_: str | None = typer.Option(
        None,
        "--from",
        help="Local date (its start) or ISO datetime (local unless offset); default: no start.",
    ),
    to: str | None = typer.Option(
        None, "--to", help="Local date (inclusive) or ISO datetime (exclusive); default: no end."
    ),
    department: str | None = typer.Option(None, help="Department id or name (default: all)."),
    queue: str | None = typer.Option(None, help="Queue id or name (default: all)."),
    agent: str | None = typer.Option(
        None,
        help="Agent code, extension or name (default: all); callbacks: the agent whose call "
        "reached the customer, else the assignee.",
    ),
    type_: str | None = typer.Option(
        None, "--type", help="Call type (default: all); not for callbacks."
    ),
    sort: str | None = typer.Option(None, help="agents: incoming | outgoing."),
    by: str | None = typer.Option(
        None,
        help="cost: department | agent | type | country; queues: queue | day; "
        "callbacks: none | queue | day | agent.",
    ),
    min_calls: int | None = typer.Option(
        None,
        min=1,
        max=MAX_INT,
        help="repeat-callers: calls in one day (default: [analytics] repeat_min_calls).",
    ),
    within_hours: str | None = typer.Option(
        None, help="callbacks: returned within these hours, comma-separated (default 2,24)."
    ),
    format_: str = typer.Option(
        "table",
        "--format",
        help="table | json | csv. Tables and CSV are for people (₪ 12.34, 56.7 %; CSV with a "
        "UTF-8 BOM for Excel); JSON keeps exact values (integer agorot, ratios 0..1).",
    ),
) -> None:
    """Print a report (a table, or JSON / CSV)."""
    from cdrhub.analytics.render import RENDERERS
    from cdrhub.analytics.service import ReportError, UnknownReport, run_report
    from cdrhub.inputs import InputError

    if format_ not in RENDERERS:
        raise typer.BadParameter("table, json or csv", param_hint="--format")
    settings = settings_or_exit()
    params = {"from": from_, "to": to, "department": department, "queue": queue,
              "agent": agent, "type": type_, "sort": sort, "by": by,
              "min_calls": str(min_calls) if min_calls is not None else None,
              "within_hours": within_hours}  # fmt: skip
    try:
        answer = run_report(
            migrated_engine(settings), settings, name, params, reports=domains.reports()
        )
    except UnknownReport as exc:
        typer.echo(f"no report named {name!r}", err=True)
        raise typer.Exit(2) from exc
    except (InputError, ReportError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(RENDERERS[format_](answer), nl=format_ != "csv")  # CSV ends its own lines


def _refresh_statistics(engine: Engine, added: int) -> None:
    began = time.perf_counter()
    if refresh_after_load(engine, added):
        seconds = time.perf_counter() - began
        typer.echo(f"planner statistics refreshed (ANALYZE) in {seconds:.1f} s", err=True)


@commands.command("import")
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON lines, one JSON document (an array) or CSV."
    ),
    batch_size: int = typer.Option(5000, min=1, max=100_000, help="Legs per transaction."),
    quiet: bool = QUIET,
) -> None:
    """Load CDRs (Voicenter webhook fields) from a file, idempotently."""
    from cdrhub.analytics.importer import ImportReport, read_wires, store_wires, summary

    settings = settings_or_exit()
    engine = migrated_engine(settings, create=True)
    report = ImportReport()
    started = time.perf_counter()
    size = file.stat().st_size
    # bytes that are not UTF-8 come through as surrogates: that line is rejected, not the file
    opened = file.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    with longlived.settled(), opened as handle, progress_bar(
        "import (bytes)", size, quiet=quiet
    ) as bar:  # fmt: skip

        def advance(count: int) -> None:
            # a text file's buffer is a binary file (typeshed types it without tell())
            done = cast(BinaryIO, handle.buffer).tell() if hasattr(handle, "buffer") else 0
            bar.set(done)

        store_wires(engine, settings, read_wires(file, handle, report), domains.hooks(settings),
                    batch_size=batch_size, progress=advance, report=report)  # fmt: skip
    typer.echo(summary(report, time.perf_counter() - started))
    _refresh_statistics(engine, report.result.new)
    for error in report.errors:
        typer.echo(f"  rejected {error}", err=True)
    if report.stopped:
        typer.echo(f"stopped {report.stopped}: the rest of {file} was not read", err=True)
        raise typer.Exit(1)
    r = report.result
    if report.rejected and not (r.new or r.duplicate or r.revised):
        typer.echo(f"every line of {file} was rejected: nothing stored", err=True)
        raise typer.Exit(1)


@commands.command()
def demo(
    days: int = typer.Option(30, min=1, max=3660, help="Days of traffic, ending yesterday."),
    calls_per_day: int = typer.Option(1500, min=1, max=1_000_000, help="Calls on a busy weekday."),
    seed: int = typer.Option(7, help="Random seed (the same seed, the same data)."),
    until: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="The last day of traffic (default: yesterday)."
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        help="Database URL to fill (default: cdrhub-demo.db in the current directory, never "
        "the configured database unless named here).",
    ),
    remove: bool = typer.Option(False, "--remove", help="Delete the demo database, then exit."),
    quiet: bool = QUIET,
) -> None:
    """Fill a demo database of its own with realistic generated traffic, so every report has
    data; it goes through the webhook's path (rollups, callback items) and sends nothing out."""
    from cdrhub.analytics import demofill
    from cdrhub.analytics.demo import Generator

    settings = settings_or_exit()
    url = database or demofill.default_demo_url(Path.cwd())
    if (problem := demofill.check_url(url)) is not None:
        raise typer.BadParameter(problem, param_hint="--database")
    if remove:
        _remove_demo(url, settings.database_url)
        return
    if until is None:
        end = datetime.now(UTC).astimezone(settings.tz).date()
    elif until.year - days // 366 > 1970 and until.year < 9999:
        end = until.date() + timedelta(days=1)
    else:
        raise typer.BadParameter("a day from 1971 to 9998, after --days", param_hint="--until")
    demo_settings = settings.with_(database_url=url)
    try:  # the domains read their sections here (thresholds, callback settings)
        hooks = domains.local_hooks(demo_settings)
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        engine = migrated_engine(demo_settings, create=True)
    except DBAPIError as exc:  # the one line of the driver's reason, never the URL's password
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        typer.echo(f"cannot open the demo database {_shown_url(url)}: {reason}", err=True)
        raise typer.Exit(1) from None
    generator = Generator(days=days, calls_per_day=calls_per_day, end=end, seed=seed,
                          tz=settings.tz)  # fmt: skip
    start = calendar.timegm(generator.start_local.timetuple())
    reached = [0]  # days of traffic generated so far

    def wires() -> Any:
        for wire in generator:
            reached[0] = min(days, (int(wire["time"]) - start) // 86400)
            yield wire

    started = time.perf_counter()
    with longlived.settled(), progress_bar("demo (days)", days, quiet=quiet) as bar:
        result = demofill.fill(
            engine, demo_settings, wires(), hooks,
            progress=lambda _count: bar.set(reached[0]),
        )  # fmt: skip
        bar.set(days)
    _refresh_statistics(engine, result.new)
    engine.dispose()
    seconds = time.perf_counter() - started
    typer.echo(
        f"stored {result.new} new, {result.duplicate} duplicate, {result.revised} revised legs "
        f"in {seconds:.1f} s ({result.stored / seconds if seconds else 0:,.0f} legs/s)"
    )
    first, last = end - timedelta(days=days), end - timedelta(days=1)
    shown = _shown_url(url)
    typer.echo(f"demo database: {shown}")
    typer.echo(f"traffic from {first} to {last}; see it with:")
    typer.echo(f"  CDRHUB_DATABASE_URL={shlex.quote(shown)} cdrhub serve")
    typer.echo(f"  CDRHUB_DATABASE_URL={shlex.quote(shown)} cdrhub report overview "
               f"--from {first} --to {last}")  # fmt: skip
    removal = "" if database is None else f" --database {shlex.quote(shown)}"
    typer.echo(f"remove it with: cdrhub demo --remove{removal}")


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _remove_demo(url: str, configured: str) -> None:
    """Delete the demo's SQLite file; never the configured database, never another engine's."""
    from cdrhub.analytics import demofill

    path = demofill.sqlite_file(url)
    if path is None:
        typer.echo("demo --remove deletes a SQLite demo file only: drop that database yourself",
                   err=True)  # fmt: skip
        raise typer.Exit(2)
    if demofill.same_database(url, configured):
        typer.echo(f"{path} is the configured database (CDRHUB_DATABASE_URL): not removed",
                   err=True)  # fmt: skip
        raise typer.Exit(2)
    if not demofill.remove_sqlite(path):
        typer.echo(f"no demo database at {path}")
        return
    typer.echo(f"removed the demo database {path}")


analytics_app = typer.Typer(no_args_is_help=True, help="Analytics maintenance.")


@analytics_app.command("rebuild")
def rebuild_command(quiet: bool = QUIET) -> None:
    """Recompute every rollup from the stored legs (after changing thresholds)."""
    from cdrhub.analytics.rebuild import RebuildRefused, count_legs, rebuild

    settings = settings_or_exit()
    engine = migrated_engine(settings)
    started = time.perf_counter()
    try:
        with progress_bar("rebuild (legs)", count_legs(engine), quiet=quiet) as bar:
            count = rebuild(engine, settings, progress=bar.advance)
    except RebuildRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"rolled up {count} legs in {time.perf_counter() - started:.1f} s")


COMMANDS = Commands(commands=commands, groups={"analytics": analytics_app})
