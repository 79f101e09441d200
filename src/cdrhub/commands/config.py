"""`cdrhub config check`: the whole settings file and the environment, checked without
starting anything."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from cdrhub.config import ConfigError, load_settings, unknown_environment

config_app = typer.Typer(no_args_is_help=True, help="The settings file and environment.")


@config_app.command("check")
def config_check(
    file: Path | None = typer.Argument(
        None, help="Settings file (default: --config or $CDRHUB_CONFIG)."
    ),
) -> None:
    """Validate the whole settings file (every key, rules and channels included) and the
    CDRHUB_* variables; each problem names its line. Exit code 1 when there is any."""
    from cdrhub import domains

    env = dict(os.environ)
    if file is not None:
        env["CDRHUB_CONFIG"] = str(file)
    for warning in unknown_environment(env, domains.environment_names()):
        typer.echo(warning, err=True)
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(1) from None
    problems = domains.settings_problems(settings)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    if settings.file_path:
        typer.echo(f"{settings.file_path}: OK")
    else:
        typer.echo("no settings file (give one, or set CDRHUB_CONFIG); the environment: OK")
