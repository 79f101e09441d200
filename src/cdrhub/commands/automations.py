"""Automation commands: `worker` (top-level) and the groups `rules check|test`, `jobs`,
`callbacks`, `optout`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from cdrhub import domains
from cdrhub.automations.config import check_file, config_file_dict
from cdrhub.commands.common import (
    Commands,
    input_or_exit,
    migrated_engine,
    settings_or_exit,
)
from cdrhub.config import Settings
from cdrhub.inputs import MAX_INT, InputError, bounded_float, check_moment
from cdrhub.timefmt import iso_utc, iso_wall, json_times


def _moment(text: str) -> datetime:
    """`--now`: an ISO datetime (UTC unless it has an offset) within the inputs' bounds."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"--now must be an ISO datetime, not {text!r}") from exc
    return check_moment(moment, "--now")


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(json_times(value), default=str, ensure_ascii=False, indent=2))


def _config_path(path: Path | None) -> Path:
    if path is not None:
        return path
    env = os.environ.get("CDRHUB_CONFIG")
    if not env:
        typer.echo("no settings file: give one, or set CDRHUB_CONFIG", err=True)
        raise typer.Exit(2)
    return Path(env)


def format_plan(leg: Any, config: Any, now: datetime) -> list[str]:
    """What `rules test` prints for one leg."""
    from cdrhub.automations.missed import is_missed_contact
    from cdrhub.automations.plan import plan

    lines = [
        f"leg {leg.ivruniqueid}: {leg.type or '?'} {leg.status or '?'} {leg.direction}, "
        f"customer {leg.customer_number or '-'}, queue {leg.queue_name or '-'}, "
        f"wait {leg.wait_seconds if leg.wait_seconds is not None else '-'} s, "
        f"local start {iso_wall(leg.started_at_local, leg.started_at) or '-'}"
    ]
    missed = is_missed_contact(leg, config.missed)
    opens = missed and config.missed.open_on_missed
    lines.append(
        f"  missed contact: {'yes' if missed else 'no'}"
        + (" (opens or joins the number's callback item)" if opens else "")
    )
    steps = plan(leg, config, now)
    fired = sorted({s.rule for s in steps})
    lines.append(f"  rules that fire: {', '.join(fired) if fired else 'none'}")
    for step in steps:
        head = f"  - {step.rule} #{step.action} {step.do}"
        if step.skipped:
            lines.append(f"{head}: SKIPPED ({step.skipped})")
            continue
        p = step.payload
        detail = []
        if p.get("via"):
            detail.append(f"via {p['via']}")
        if p.get("to"):
            detail.append(f"to {p['to']}")
        if p.get("agent"):
            detail.append(f"agent {p['agent']}")
        if step.run_at:
            detail.append(f"held by quiet hours until {step.run_at:%Y-%m-%d %H:%M} UTC")
        lines.append(f"{head}: {', '.join(detail) if detail else ''}".rstrip(": "))
        if p.get("subject"):
            lines.append(f"      subject: {p['subject']}")
        if p.get("title") and step.do == "notify":
            lines.append(f"      title: {p['title']}")
        if p.get("text"):
            lines.append(f"      text: {p['text']}")
        if p.get("template"):
            lines.append(f"      template: {p['template']} {p.get('params', [])}")
        if p.get("segments"):
            seg = p["segments"]
            lines.append(
                f"      SMS: {seg['count']} segment(s), {seg['encoding']}, {seg['units']} units"
            )
        if step.do == "webhook":
            lines.append(f"      event: {p['event']}")
        if step.do == "callback":
            lines.append(f"      opens or joins the callback item of {leg.customer_number}")
        elif step.do != "notify":
            lines.append(f"      job {step.job_kind}, key {step.key}")
            lines.append(f"      idempotency key {step.idempotency_key}")
    return lines


commands = typer.Typer()


@commands.command()
def worker(
    once: bool = typer.Option(False, help="Run the due jobs, then exit."),
    threads: int | None = typer.Option(None, help="Worker threads (default: [worker])."),
) -> None:
    """Run outbox jobs (SMS, e-mail, webhooks, CRM pushes, ...) until stopped."""
    import dataclasses

    from cdrhub import logs
    from cdrhub.jobs.worker import Worker, WorkerConfig

    settings = settings_or_exit()
    logs.configure(settings)
    engine = migrated_engine(settings)
    config = WorkerConfig.from_section(settings.section("worker"))
    if threads:
        config = dataclasses.replace(config, threads=threads)
    w = Worker(engine, settings, handlers=domains.job_handlers(), config=config)
    if once:
        typer.echo(f"ran {w.run_until_idle()} job(s)")
        return
    typer.echo(
        f"cdrhub worker {w.worker_id}: {config.urgent_threads} urgent-only and "
        f"{config.threads} other thread(s), kinds "
        f"{', '.join(w.handlers.kinds())}"
    )
    import signal

    # SIGTERM: finish the jobs in hand, then exit (SIGKILL leaves them to their lease).
    signal.signal(signal.SIGTERM, lambda *_: w.stop_event.set())
    if settings.retention_days is not None:  # the daily purge (cdrhub/retention.py)
        from cdrhub.retention import Retention

        Retention(engine, settings).start()
    w.run_forever()


rules_app = typer.Typer(no_args_is_help=True, help="Check and try automation rules.")


@rules_app.command("check")
def rules_check(
    file: Path | None = typer.Argument(None, help="Settings file (default: $CDRHUB_CONFIG)."),
) -> None:
    """Validate the rules and channels of a settings file; errors name their line."""
    path = _config_path(file)
    config, problems = check_file(path)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems or config is None:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{path}: OK: {len(config.rules)} rule(s) "
        f"({', '.join(r.name for r in config.rules) or 'none'}), "
        f"{len(config.channels)} channel(s), {len(config.quiet_hours)} quiet window(s)"
    )


@rules_app.command("test")
def rules_test(
    cdr: Path = typer.Argument(
        ..., help="A CDR file (JSON, XML-RPC or form), as Voicenter sends it."
    ),
    config_file: Path | None = typer.Option(None, "--config", help="Default: $CDRHUB_CONFIG."),
    now: str | None = typer.Option(None, help="Pretend it is this UTC time (ISO; default: now)."),
) -> None:
    """Show which rules a CDR fires and what they would send (sends nothing)."""
    from cdrhub.automations.config import load_config
    from cdrhub.voicenter.decode import DecodeError, decode
    from cdrhub.voicenter.normalize import NormalizeError, normalize

    path = _config_path(config_file)
    config, problems = check_file(path)
    if problems or config is None:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    settings = settings_or_exit()
    config = load_config(
        config_file_dict(path), timezone=settings.timezone, region=settings.default_region
    )
    moment = input_or_exit(lambda: _moment(now)) if now else datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    try:
        records = decode(cdr.read_bytes(), None).records
    except (OSError, DecodeError) as exc:
        typer.echo(f"{cdr}: {exc}", err=True)
        raise typer.Exit(1) from exc
    for wire in records:
        try:
            leg = normalize(
                wire,
                tz=settings.tz,
                time_mode=settings.time_mode,
                region=settings.default_region,
            )
        except NormalizeError as exc:
            typer.echo(f"{cdr}: {exc}", err=True)
            raise typer.Exit(1) from exc
        for line in format_plan(leg, config, moment):
            typer.echo(line)


jobs_app = typer.Typer(no_args_is_help=True, help="Outbox jobs: list, show, retry.")


@jobs_app.command("list")
def jobs_list(
    status: str | None = typer.Option(
        None, help="pending, running, done, dead or skipped (default: every status)."
    ),
    kind: str | None = typer.Option(
        None, help="Only jobs of this kind, e.g. sms, webhook (default: every kind)."
    ),
    limit: int = typer.Option(50, min=1, max=1000, help="Most jobs listed."),
) -> None:
    """Jobs, newest first, then the count of each status."""
    from cdrhub.jobs import outbox

    engine = migrated_engine(settings_or_exit())
    with engine.connect() as conn:
        rows = outbox.list_jobs(conn, status=status, kind=kind, limit=limit)
        counts = outbox.count_jobs(conn)
    for j in rows:
        error = f"  {j['last_error']}" if j["last_error"] and j["status"] != "done" else ""
        typer.echo(
            f"{j['id']:>6} {j['status']:<8} {j['kind']:<24} attempts {j['attempts']}"
            f"/{j['max_attempts']} run_at {iso_utc(j['run_at'])}  {j['key']}"
            f"{error}"
        )
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no jobs")


@jobs_app.command("show")
def jobs_show(job_id: int = typer.Argument(..., min=1, max=MAX_INT, help="The job's id.")) -> None:
    """One job in full, as JSON (payload, attempts, last error)."""
    from cdrhub.jobs import outbox

    engine = migrated_engine(settings_or_exit())
    with engine.connect() as conn:
        job = outbox.get_job(conn, job_id)
    if job is None:
        typer.echo("no such job", err=True)
        raise typer.Exit(1)
    _echo_json(job)


@jobs_app.command("retry")
def jobs_retry(
    job_id: int | None = typer.Argument(
        None, min=1, max=MAX_INT, help="The job's id (or give --dead)."
    ),
    dead: bool = typer.Option(False, "--dead", help="Retry every dead job."),
) -> None:
    """Put a dead or skipped job (or every dead job) back in the queue."""
    from cdrhub.jobs import outbox
    from cdrhub.store.engine import write_transaction

    engine = migrated_engine(settings_or_exit())
    with write_transaction(engine) as conn:
        if dead:
            typer.echo(f"{outbox.retry_dead(conn)} job(s) queued again")
            return
        if job_id is None or not outbox.retry_job(conn, job_id):
            typer.echo("give a dead or skipped job's id, or --dead", err=True)
            raise typer.Exit(1)
    typer.echo(f"job {job_id} queued again")


@jobs_app.command("purge")
def jobs_purge(
    days: float = typer.Option(
        30, help="Delete done and skipped jobs older than this (0 to 36600)."
    ),
) -> None:
    """Delete finished jobs (done, skipped) older than N days; dead jobs stay."""
    from datetime import timedelta

    from cdrhub.jobs import outbox
    from cdrhub.store.engine import write_transaction

    days = input_or_exit(lambda: bounded_float(str(days), "--days", low=0, high=36600))
    engine = migrated_engine(settings_or_exit())
    with write_transaction(engine) as conn:
        n = outbox.purge_finished(conn, outbox.utcnow() - timedelta(days=days))
    typer.echo(f"{n} job(s) deleted")


callbacks_app = typer.Typer(no_args_is_help=True, help="Callback items: list, assign, close.")


@callbacks_app.command("list")
def callbacks_list(
    status: str = typer.Option("open", help="open, returned, reached, closed or all"),
    limit: int = typer.Option(100, min=1, max=1000, help="Most items listed."),
) -> None:
    """Items oldest first, with how long the customer has waited."""
    from cdrhub.automations import callbacks
    from cdrhub.jobs.outbox import utcnow

    engine = migrated_engine(settings_or_exit())
    with engine.connect() as conn:
        items = callbacks.list_items(
            conn, utcnow(), status=None if status == "all" else status, limit=limit
        )
    for i in items:
        wait = i["wait_seconds"]
        typer.echo(
            f"{i['id']:>6} {i['status']:<8} {i['customer_number']:<16} "
            f"waited {wait // 3600}h{wait % 3600 // 60:02d}m  missed {i['missed_count']}"
            f"  queue {i['queue_name'] or '-'}"
            f"  assigned {i['assigned_to'] or '-'}"
        )
    typer.echo(f"{len(items)} item(s)")


@callbacks_app.command("assign")
def callbacks_assign(
    item_id: int = typer.Argument(..., min=1, max=MAX_INT, help="The callback item's id."),
    agent: str = typer.Argument(..., help="The agent's code or name."),
) -> None:
    """Assign a callback item to an agent."""
    from cdrhub.automations import callbacks
    from cdrhub.jobs.outbox import utcnow
    from cdrhub.store.engine import write_transaction

    with write_transaction(migrated_engine(settings_or_exit())) as conn:
        if not callbacks.assign(conn, item_id, agent, utcnow()):
            typer.echo("no such item", err=True)
            raise typer.Exit(1)
    typer.echo(f"item {item_id} assigned to {agent}")


@callbacks_app.command("close")
def callbacks_close(
    item_id: int = typer.Argument(..., min=1, max=MAX_INT, help="The callback item's id."),
    note: str | None = typer.Option(None, help="Why it is closed (kept with the item)."),
    by: str | None = typer.Option(None, help="Who closed it (an agent code or name)."),
) -> None:
    """Close an open callback item (the customer needs no call back)."""
    from cdrhub.automations import callbacks
    from cdrhub.jobs.outbox import utcnow
    from cdrhub.store.engine import write_transaction

    with write_transaction(migrated_engine(settings_or_exit())) as conn:
        if not callbacks.close(conn, item_id, utcnow(), note=note, by=by):
            typer.echo("no open item with that id", err=True)
            raise typer.Exit(1)
    typer.echo(f"item {item_id} closed")


optout_app = typer.Typer(no_args_is_help=True, help="Numbers that must never be texted.")


def _number(settings: Settings, number: str) -> str:
    from cdrhub.calls.phones import to_e164

    e164 = to_e164(number, settings.default_region)
    if e164 is None:
        typer.echo(f"not a phone number: {number!r}", err=True)
        raise typer.Exit(2)
    return e164


@optout_app.command("add")
def optout_add(
    number: str = typer.Argument(..., help="The number, in any spelling."),
    reason: str | None = typer.Option(None, help="Why (kept with the number)."),
) -> None:
    """Never text this number again (automations skip it)."""
    from cdrhub.automations import suppression
    from cdrhub.jobs.outbox import utcnow
    from cdrhub.store.engine import write_transaction

    settings = settings_or_exit()
    e164 = _number(settings, number)
    with write_transaction(migrated_engine(settings)) as conn:
        suppression.add_opt_out(conn, e164, utcnow(), reason)
    typer.echo(f"{e164} opted out")


@optout_app.command("remove")
def optout_remove(number: str = typer.Argument(..., help="The number, in any spelling.")) -> None:
    """Take a number off the opt-out list."""
    from cdrhub.automations import suppression
    from cdrhub.store.engine import write_transaction

    settings = settings_or_exit()
    e164 = _number(settings, number)
    with write_transaction(migrated_engine(settings)) as conn:
        removed = suppression.remove_opt_out(conn, e164)
    typer.echo(f"{e164} {'removed' if removed else 'was not on the list'}")


@optout_app.command("list")
def optout_list() -> None:
    """Every opted-out number, with the date and reason."""
    from cdrhub.automations import suppression

    with migrated_engine(settings_or_exit()).connect() as conn:
        for row in suppression.list_opt_outs(conn):
            typer.echo(f"{row['number']}  {row['created_at']:%Y-%m-%d}  {row['reason'] or ''}")


COMMANDS = Commands(
    commands=commands,
    groups={
        "rules": rules_app,
        "jobs": jobs_app,
        "callbacks": callbacks_app,
        "optout": optout_app,
    },
)
