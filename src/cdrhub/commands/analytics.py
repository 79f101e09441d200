"""Analytics commands: `report`, `import`, `demo` (top-level) and the `analytics` group
(`analytics rebuild`)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import typer

from cdrhub import domains, longlived
from cdrhub.commands.common import migrated_engine, settings_or_exit
from cdrhub.inputs import MAX_INT


def _progress(total: int | None, label: str) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[rate]}"), disable=not sys.stderr.isatty(),
        console=None,
    )  # fmt: skip


def _summary(report: Any, seconds: float) -> str:
    r = report.result
    rate = (r.new + r.duplicate + r.revised) / seconds if seconds else 0
    return (
        f"read {report.read}, stored {r.new} new, {r.duplicate} duplicate, {r.revised} revised, "
        f"{report.rejected} rejected in {seconds:.1f} s ({rate:,.0f} legs/s)"
    )


def report(
    name: str = typer.Argument(..., help=", ".join(domains.reports())),
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
    agent: str | None = typer.Option(None, help="Agent code, extension or name (default: all)."),
    type_: str | None = typer.Option(None, "--type", help="Call type (default: all)."),
    sort: str | None = typer.Option(None, help="agents: incoming | outgoing."),
    by: str | None = typer.Option(None, help="cost: department | agent | type | country."),
    min_calls: int | None = typer.Option(
        None,
        min=1,
        max=MAX_INT,
        help="repeat-callers: calls in one day (default: [analytics] repeat_min_calls).",
    ),
    format_: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """Print a report (a table, or JSON / CSV)."""
    from cdrhub.analytics.render import RENDERERS
    from cdrhub.analytics.service import UnknownReport, run_report

    if format_ not in RENDERERS:
        raise typer.BadParameter("table, json or csv", param_hint="--format")
    settings = settings_or_exit()
    params = {"from": from_, "to": to, "department": department, "queue": queue,
              "agent": agent, "type": type_, "sort": sort, "by": by,
              "min_calls": str(min_calls) if min_calls is not None else None}  # fmt: skip
    try:
        answer = run_report(
            migrated_engine(settings), settings, name, params, reports=domains.reports()
        )
    except UnknownReport as exc:
        typer.echo(f"no report named {name!r}", err=True)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(RENDERERS[format_](answer))


def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON lines or CSV."),
    batch_size: int = typer.Option(5000, min=1, max=100_000, help="Legs per transaction."),
) -> None:
    """Load CDRs (Voicenter webhook fields) from a file, idempotently."""
    from cdrhub.analytics.importer import ImportReport, read_wires, store_wires

    settings = settings_or_exit()
    engine = migrated_engine(settings, create=True)
    report = ImportReport()
    started = time.perf_counter()
    size = file.stat().st_size
    with longlived.settled(), file.open(encoding="utf-8-sig", newline="") as handle, _progress(
        size, "import"
    ) as bar:  # fmt: skip
        task = bar.add_task("import", total=size, rate="")

        def advance(count: int) -> None:
            elapsed = time.perf_counter() - started
            # a text file's buffer is a binary file (typeshed types it without tell())
            done = cast(BinaryIO, handle.buffer).tell() if hasattr(handle, "buffer") else 0
            bar.update(task, completed=done, rate=f"{report.read / elapsed:,.0f} legs/s")

        store_wires(engine, settings, read_wires(file, handle, report), domains.hooks(settings),
                    batch_size=batch_size, progress=advance, report=report)  # fmt: skip
    typer.echo(_summary(report, time.perf_counter() - started))
    for error in report.errors:
        typer.echo(f"  rejected {error}", err=True)
    r = report.result
    if report.rejected and not (r.new or r.duplicate or r.revised):
        typer.echo(f"every line of {file} was rejected: nothing stored", err=True)
        raise typer.Exit(1)


def demo(
    days: int = typer.Option(30, min=1, max=3660, help="Days of traffic, ending yesterday."),
    calls_per_day: int = typer.Option(1500, min=1, max=1_000_000, help="Calls on a busy weekday."),
    seed: int = typer.Option(7, help="Random seed (the same seed, the same data)."),
) -> None:
    """Fill the database with realistic generated traffic, so every report has data."""
    from cdrhub.analytics.demo import Generator
    from cdrhub.analytics.importer import ImportReport, store_wires

    settings = settings_or_exit()
    engine = migrated_engine(settings, create=True)
    end = datetime.now(UTC).astimezone(settings.tz).date()
    generator = Generator(days=days, calls_per_day=calls_per_day, end=end, seed=seed,
                          tz=settings.tz)  # fmt: skip
    report = ImportReport()
    started = time.perf_counter()
    with longlived.settled(), _progress(None, "demo") as bar:
        task = bar.add_task("demo", total=None, rate="")

        def advance(count: int) -> None:
            bar.update(task, advance=count, rate="")

        wires = (("demo", w) for w in generator)
        store_wires(engine, settings, wires, domains.hooks(settings), encoding="demo",
                    progress=advance, report=report)  # fmt: skip
    typer.echo(_summary(report, time.perf_counter() - started))
    first = end - timedelta(days=days)
    typer.echo(f"traffic from {first} to {end - timedelta(days=1)}; try: cdrhub report "
               f"overview --from {first} --to {end - timedelta(days=1)}")  # fmt: skip


analytics_app = typer.Typer(no_args_is_help=True, help="Analytics maintenance.")


@analytics_app.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup from the stored legs (after changing thresholds)."""
    from cdrhub.analytics.rebuild import RebuildRefused, rebuild

    settings = settings_or_exit()
    started = time.perf_counter()
    try:
        count = rebuild(migrated_engine(settings), settings)
    except RebuildRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"rolled up {count} legs in {time.perf_counter() - started:.1f} s")
