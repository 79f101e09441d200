"""What every command module shares: errors as one line and an exit code (`CommandGroup`, for
every command at once), the root options (`--version`, `--config`), checked settings, and the
database a command opens (named on stderr, created only by the commands that store)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy import Engine
from typer.core import TyperGroup

from cdrhub.config import ConfigError, Settings, load_settings, unknown_environment
from cdrhub.inputs import InputError

T = TypeVar("T")

# The database URL of the running command (set by settings_or_exit), for its error lines: a
# command line runs one command per process (tests run them one after another).
_database_url: list[str] = []
_CHECK_URL = "check CDRHUB_DATABASE_URL (database_url)"


def input_or_exit(check: Callable[[], T]) -> T:
    """What `check` returns; an InputError it raises is printed as its one line, exit code 2."""
    try:
        return check()
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


class CommandGroup(TyperGroup):
    """The `cdrhub` group: an error of a known class, raised by any command, is printed as one
    or two lines (what is wrong, what to do) with a non-zero exit code instead of a traceback.
    Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:  # the click.Context of typer's own (vendored) click
        _database_url.clear()
        try:
            return super().invoke(ctx)
        except Exception as exc:  # typer.Exit and usage errors are no class error_lines knows
            shown = error_lines(exc, _database_url[-1] if _database_url else None)
            if shown is None:
                raise
            lines, code = shown
            for line in lines:
                typer.echo(line, err=True)
            raise typer.Exit(code) from None


def error_lines(exc: BaseException, database_url: str | None) -> tuple[list[str], int] | None:
    """The lines and exit code for an error of a known class, None for any other."""
    from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

    from cdrhub.config import DATABASE_URL_FORMS

    if isinstance(exc, ConfigError):
        return [f"configuration error: {exc}"], 2
    if isinstance(exc, InputError):
        return [str(exc)], 2
    if isinstance(exc, (ArgumentError, NoSuchModuleError)):  # its text may hold the URL
        return [f"configuration error: database_url: not a URL of {DATABASE_URL_FORMS}"], 2
    if isinstance(exc, (OperationalError, InterfaceError)):  # not there, refused, locked, full
        return database_error_lines(exc, database_url), 1
    return None


def database_error_lines(exc: Any, database_url: str | None) -> list[str]:
    """`cannot use the database <URL, password masked>: <the driver's first line>` and what to
    do about it."""
    from sqlalchemy.engine import make_url

    from cdrhub.redact import redact_text
    from cdrhub.store.engine import masked_url, normalize_url

    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
    reason = reason.removeprefix("connection failed: ").strip()
    shown = masked_url(database_url) if database_url else "(the configured one)"
    if database_url:
        try:
            password = make_url(normalize_url(database_url)).password
        except Exception:  # an unreadable URL: masked_url has hidden what it could
            password = None
        if password and len(str(password)) >= 4:
            reason = reason.replace(str(password), "***")
    reason = redact_text(reason)
    if "does not exist" in reason:
        hint = f"create it (e.g. createdb) or {_CHECK_URL}"
    elif "unable to open database file" in reason:
        hint = f"check that the folder exists and this user may write it, or {_CHECK_URL}"
    elif "refused" in reason or "timeout" in reason or "could not translate" in reason:
        hint = f"is the database server running and reachable? {_CHECK_URL}"
    else:
        hint = _CHECK_URL
    return [f"cannot use the database {shown}: {reason}", hint]


def show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"cdrhub {version('cdrhub')}")
        raise typer.Exit()


def root_options(
    version: bool = typer.Option(
        False,
        "--version",
        callback=show_version,
        is_eager=True,
        help="Print cdrhub's version and exit.",
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        help="The settings file (TOML), instead of $CDRHUB_CONFIG.",
    ),
) -> None:
    """cdrhub: Voicenter CDRs, stored and put to use."""
    if config is not None:
        # the environment, so that processes this command starts (server workers, the ingest
        # writer) read the same file
        os.environ["CDRHUB_CONFIG"] = str(config.resolve())


def settings_or_exit() -> Settings:
    """The settings, checked as a whole: a bad value or any problem of the settings file (an
    unknown key, a broken rule) is printed, one line each, and exits with code 2. Unknown
    `CDRHUB_*` variables are warned about."""
    from cdrhub import domains

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for warning in unknown_environment(os.environ, domains.environment_names()):
        typer.echo(warning, err=True)
    problems = domains.settings_problems(settings)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2)
    _database_url.append(settings.database_url)
    return settings


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL and in-memory databases)."""
    from sqlalchemy.engine import make_url

    from cdrhub.store.engine import normalize_url

    parsed = make_url(normalize_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):  # a URI filename
        return None
    return Path(database)


def database_file_or_exit(settings: Settings, *, create: bool) -> None:
    """A SQLite database's file must exist, unless this command creates it (`serve`, `import`,
    `demo`): its folder is made then. Reading a file that is not there would create an empty
    database and show zeros."""
    path = sqlite_file(settings.database_url)
    if path is None or path.exists():
        return
    if not create:
        typer.echo(f"no database at {path}: nothing is stored there yet", err=True)
        typer.echo(
            "create it with `cdrhub serve`, `cdrhub import FILE` or `cdrhub demo`, "
            "or set CDRHUB_DATABASE_URL (database_url) to the database you mean",
            err=True,
        )
        raise typer.Exit(1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        typer.echo(
            f"cannot create the folder {path.parent} for the database: {exc.strerror or exc}",
            err=True,
        )
        typer.echo(f"choose a folder this user may write: {_CHECK_URL}", err=True)
        raise typer.Exit(1) from None


def migrated_engine(settings: Settings, *, create: bool = False) -> Engine:
    """An engine on the configured database, migrated to the current schema; the database is
    named on stderr (password masked). A SQLite file that does not exist is refused unless
    `create` (see `database_file_or_exit`)."""
    from cdrhub.store.engine import make_engine, masked_url
    from cdrhub.store.migrate import upgrade

    database_file_or_exit(settings, create=create)
    typer.echo(f"database: {masked_url(settings.database_url)}", err=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine
