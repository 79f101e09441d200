"""The `cdrhub` command. Each domain adds its own commands through a `register(app)` function."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from cdrhub.config import ConfigError, Settings, load_settings
from cdrhub.inputs import InputError

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, help="cdrhub: Voicenter CDRs, stored and put to use.")


def input_or_exit(check: Callable[[], T]) -> T:
    """What `check` returns; an InputError it raises is printed as its one line, exit code 2."""
    try:
        return check()
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, help="Server processes (more than 1 on PostgreSQL only), each with its writer."
    ),
) -> None:
    """Start the web service: ingest, API, widget, and the outbox worker (unless
    CDRHUB_RUN_WORKER=false). Migrates the database first."""
    import uvicorn

    from cdrhub import longlived
    from cdrhub.web.app import create_app

    settings = settings_or_exit()
    if workers > 1 and settings.is_sqlite:
        typer.echo("--workers > 1 needs PostgreSQL: SQLite has one writer at a time", err=True)
        raise typer.Exit(2)
    application = create_app(settings)
    base = settings.public_url or f"http://{host}:{port}"
    typer.echo(f"cdrhub {settings.database_url}")
    typer.echo(f"Voicenter CDR URL: {base}/voicenter/cdr/{application.state.ingest_token}")
    if not settings.api_key:
        typer.echo(f"API key (generated, kept in the database): {application.state.api_key}")
    if workers == 1:
        longlived.settle()
        uvicorn.run(application, host=host, port=port, log_level="info", access_log=False)
        return
    application.state.engine.dispose()
    # Each worker process builds its own app from the same environment (uvicorn needs an
    # import string to start several).
    uvicorn.run(
        "cdrhub.web.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
    )


quarantine_app = typer.Typer(help="Bodies that could not be read as CDRs.")
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("replay")
def quarantine_replay(
    all_: bool = typer.Option(False, "--all", help="Also bodies replayed before."),
) -> None:
    """Run quarantined bodies through ingest again (after a fix); those that still fail stay."""
    from cdrhub.pipeline import build_hooks
    from cdrhub.replay import replay
    from cdrhub.store.engine import make_engine
    from cdrhub.store.migrate import upgrade

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    results = replay(engine, settings, build_hooks(settings), include_replayed=all_)
    for r in results:
        outcome = f"still failing: {r.error}" if r.error else "ok"
        typer.echo(f"#{r.quarantine_id}: stored {r.stored} leg(s), {outcome}")
    failed = sum(1 for r in results if r.error)
    typer.echo(f"{len(results)} replayed, {len(results) - failed} cleared, {failed} still failing")
    if failed:
        raise typer.Exit(1)


@quarantine_app.command("list")
def quarantine_list() -> None:
    """List pending quarantined bodies."""
    from cdrhub.store import quarantine
    from cdrhub.store.engine import make_engine
    from cdrhub.store.migrate import upgrade

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with engine.connect() as conn:
        for row in quarantine.pending(conn):
            typer.echo(
                f"#{row['id']} x{row['received_count']} {len(row['body'])} bytes: {row['reason']}"
            )


def _register_domains() -> None:
    """Each domain adds its own commands (report, import, demo; worker, rules, jobs; contacts,
    embed-link, recordings)."""
    from cdrhub.analytics import cli as analytics_cli
    from cdrhub.automations import cli as automations_cli
    from cdrhub.crm import cli as crm_cli

    for domain in (analytics_cli, automations_cli, crm_cli):
        domain.register(app)


_register_domains()


if __name__ == "__main__":
    app()
