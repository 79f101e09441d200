"""What every command module shares: what it adds to `cdrhub` (`Commands`), settings and input
errors as one line, a migrated engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import typer
from sqlalchemy import Engine

from cdrhub.config import ConfigError, Settings, load_settings
from cdrhub.inputs import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Commands:
    """What one command module adds to `cdrhub` (cli.py attaches every module's): `commands`,
    a Typer whose commands become `cdrhub`'s own (`cdrhub serve`), and `groups`, a Typer each
    under its name (`cdrhub rules check`), in the order `cdrhub --help` lists them."""

    commands: typer.Typer
    groups: Mapping[str, typer.Typer]


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


def migrated_engine(settings: Settings) -> Engine:
    """An engine on the configured database, migrated to the current schema."""
    from cdrhub.store.engine import make_engine
    from cdrhub.store.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine
