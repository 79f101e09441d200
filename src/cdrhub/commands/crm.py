"""CRM commands: `embed-link` (top-level) and the groups `contacts import`, `crm backfill`,
`recordings prune` and `recordings status`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cdrhub.commands.common import (
    Commands,
    input_or_exit,
    migrated_engine,
    settings_or_exit,
)
from cdrhub.commands.progress import QUIET, progress_bar

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cdrhub.config import Settings


def _engine() -> tuple[Settings, Engine]:
    settings = settings_or_exit()
    return settings, migrated_engine(settings)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


contacts_app = typer.Typer(help="Contacts: names, companies, phones, CRM ids.")
recordings_app = typer.Typer(help="The recording archive.")
crm_app = typer.Typer(help="CRM pushes and the recording archive for stored calls.")


@contacts_app.command("import")
def contacts_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV file."),
    quiet: bool = QUIET,
) -> None:
    """Import contacts from CSV (name, company, email, phone columns, <crm>_id columns);
    rows that share a phone or an external id with a known contact update it."""
    from cdrhub.crm.csv_import import import_contacts
    from cdrhub.crm.settings import load_crm_settings

    settings, engine = _engine()
    text = file.read_bytes().decode("utf-8-sig", errors="replace")
    region = load_crm_settings(settings).region
    with progress_bar("contacts (rows)", None, quiet=quiet) as bar:
        result = import_contacts(engine, text, region=region, now=_now(), progress=bar.set)
    for line, reason in result.errors:
        typer.echo(f"line {line}: {reason}", err=True)
    typer.echo(f"{result.created} created, {result.updated} updated, {len(result.errors)} skipped")


commands = typer.Typer()


@commands.command("embed-link")
def embed_link(
    phone: str = typer.Argument(..., help="The number, in any spelling."),
    ttl_days: float | None = typer.Option(
        None, help="Lifetime, at most 366 days (default: [crm.embed] ttl_seconds)."
    ),
) -> None:
    """Print a signed, expiring link to the number's widget (for a CRM iframe)."""
    from cdrhub.calls.phones import to_e164
    from cdrhub.crm.embed import embed_path, embed_secret
    from cdrhub.crm.settings import load_crm_settings
    from cdrhub.inputs import bounded_float

    settings = settings_or_exit()
    if not settings.public_url:
        typer.echo(
            "embed-link needs the address the server is reached at: set CDRHUB_PUBLIC_URL "
            "(public_url), e.g. https://cdrhub.example.com",
            err=True,
        )
        raise typer.Exit(2)
    engine = migrated_engine(settings)
    crm = load_crm_settings(settings)
    e164 = to_e164(phone, crm.region)
    if e164 is None:
        raise typer.BadParameter(f"not a phone number: {phone!r}", param_hint="PHONE")
    ttl = crm.embed.ttl_seconds
    if ttl_days is not None:
        text = str(ttl_days)
        days = input_or_exit(lambda: bounded_float(text, "--ttl-days", low=0, high=366))
        ttl = max(1, int(days * 86400))
    path = embed_path(embed_secret(engine, crm), e164, int(time.time()) + ttl)
    typer.echo(settings.public_url.rstrip("/") + path)


@recordings_app.command("prune")
def recordings_prune(
    older_than_days: int | None = typer.Option(
        None, min=0, max=36600, help="Default: [crm.recordings] retain_days."
    ),
    quiet: bool = QUIET,
) -> None:
    """Delete archived recordings of calls older than the given age."""
    from cdrhub.config import ConfigError
    from cdrhub.crm.recordings.archive import prune_recordings
    from cdrhub.crm.recordings.storage import make_storage
    from cdrhub.crm.settings import load_crm_settings
    from cdrhub.jobs.outbox import JobOutcome

    settings, engine = _engine()
    cfg = load_crm_settings(settings).recordings
    days = older_than_days if older_than_days is not None else cfg.retain_days
    if not days or days <= 0:
        typer.echo("no age given and retain_days is 0 (keep forever): nothing pruned")
        return
    try:
        storage = make_storage(cfg)
        with progress_bar("prune (recordings)", None, quiet=quiet) as bar:
            n = prune_recordings(
                engine, storage, older_than=timedelta(days=days), now=_now(), progress=bar.set
            )
    except (ConfigError, JobOutcome) as exc:  # S3 unreachable, refused, not installed
        typer.echo(f"recordings prune: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{n} recording(s) pruned")


@crm_app.command("backfill")
def crm_backfill(
    since: str = typer.Option(
        ..., help="Local date (its start) or ISO datetime (local unless it has an offset)."
    ),
    quiet: bool = QUIET,
) -> None:
    """Enqueue recording downloads and CRM pushes for calls stored before they were on
    (idempotent: what was already enqueued or archived is left alone)."""
    from cdrhub.crm.backfill import backfill
    from cdrhub.timerange import parse_instant

    settings, engine = _engine()
    start = input_or_exit(lambda: parse_instant(since, settings.tz, "--since"))
    with progress_bar("backfill (legs)", None, quiet=quiet) as bar:
        n = backfill(engine, settings, since=start, now=_now(), progress=bar.set)
    typer.echo(f"{n} leg(s) looked at; the worker runs the jobs")


@recordings_app.command("status")
def recordings_status() -> None:
    """Count recordings by archive status."""
    from cdrhub.crm.recordings.archive import status_counts

    _settings, engine = _engine()
    for status, n in status_counts(engine):
        typer.echo(f"{status}: {n}")


COMMANDS = Commands(
    commands=commands,
    groups={"crm": crm_app, "contacts": contacts_app, "recordings": recordings_app},
)
