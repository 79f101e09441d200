"""Settings: environment variables `CDRHUB_*` over an optional TOML file named by `CDRHUB_CONFIG`.

Core settings are typed fields here. Each domain (automations, crm, analytics) reads its own
TOML sections from `Settings.file` so that this module stays small and knows nothing of them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

TIME_MODES = ("local", "utc")
# Configured secrets (ingest token, API key, embed secret) at least this long: a short one can
# be guessed. Generated ones are 32 characters.
MIN_SECRET_LENGTH = 16
INGEST_WRITERS = ("process", "thread")
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(ValueError):
    """A setting has a value cdrhub cannot use."""


def default_database_path(env: Mapping[str, str]) -> Path:
    """Where the SQLite database lives unless `database_url` says otherwise: the user's data
    directory (XDG Base Directory: `$XDG_DATA_HOME/cdrhub/cdrhub.db`, by default
    `~/.local/share/cdrhub/cdrhub.db`), the same whatever folder a command runs in."""
    xdg = env.get("XDG_DATA_HOME", "")
    base = (
        Path(xdg) if os.path.isabs(xdg) else Path(env.get("HOME") or Path.home()) / ".local/share"
    )
    return base / "cdrhub" / "cdrhub.db"


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    return f"sqlite:///{default_database_path(os.environ if env is None else env)}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    ingest_token: str | None = None  # None: generated on first start and kept in the database
    api_key: str | None = None  # None: generated on first start and kept in the database
    ingest_allow: tuple[IpNetwork, ...] = ()  # empty: any source address
    timezone: str = "Asia/Jerusalem"
    # How Voicenter's `time` is read: "local" = epoch digits are the account's wall clock
    # (what Voicenter sends), "utc" = a true epoch.
    time_mode: str = "local"
    time_mismatch_seconds: int = 300
    default_region: str = "IL"
    max_body_bytes: int = 1024 * 1024
    # CDRs one body may hold (a JSON or XML-RPC array); more is answered 413, nothing stored.
    max_cdrs_per_body: int = 100
    run_worker: bool = True
    # Where webhook CDRs are read and stored: "process" (a writer process beside the server, so
    # HTTP and storage use two cores) or "thread" (all in the server process).
    ingest_writer: str = "process"
    # Storage deadlines (docs/ingest.md, "Deadlines and readiness"): a CDR not committed within
    # `ack_deadline_seconds` is answered Err 2; the ingest writer's statements, lock waits and
    # connection attempts give up after `db_timeout_seconds`; /readyz answers within
    # `ready_timeout_seconds`.
    ack_deadline_seconds: float = 5.0
    db_timeout_seconds: float = 5.0
    ready_timeout_seconds: float = 2.0
    public_url: str | None = None  # how Voicenter reaches us, for the printed ingest URL
    metrics_token: str | None = None  # set: /metrics needs `Authorization: Bearer <token>`
    bench_noop: bool = False  # serve POST /_noop, the ingest benchmark's baseline
    # Logs (docs/deploy.md, "Logs"): "text" lines or one JSON object a line; phone numbers
    # only at "debug".
    log_format: str = "text"
    log_level: str = "info"
    # Set: legs (and what hangs on them) older than this many days are purged daily by `serve`
    # and `cdrhub worker` (docs/deploy.md, "Retention"); None: kept for ever.
    retention_days: int | None = None
    file: Mapping[str, Any] = field(default_factory=dict)  # the whole TOML file
    file_path: str | None = None  # where `file` was read from (CDRHUB_CONFIG)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.file.get(name, {})
        return value if isinstance(value, Mapping) else {}

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def _parse_allow(value: Any) -> tuple[IpNetwork, ...]:
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    try:
        return tuple(
            ipaddress.ip_network(str(i).strip(), strict=False) for i in items if str(i).strip()
        )
    except ValueError as exc:
        raise ConfigError(f"CDRHUB_INGEST_ALLOW: {exc}") from exc


_NOT_KEYS = ("file", "file_path")  # fields of Settings that are no setting
# The settings of the file's top level and their variables (each domain adds its own sections
# and variables: cdrhub.domains joins them).
CORE_KEYS: Mapping[str, None] = {f.name: None for f in fields(Settings) if f.name not in _NOT_KEYS}
CORE_ENVIRONMENT = frozenset({"CDRHUB_CONFIG", *(f"CDRHUB_{k.upper()}" for k in CORE_KEYS)})
# Variables of the test suite and the benchmarks, read by them rather than by cdrhub.
_NOT_SETTINGS = ("CDRHUB_TEST_", "CDRHUB_BENCH_")

_SECONDS = ("ack_deadline_seconds", "db_timeout_seconds", "ready_timeout_seconds")


def _coerce(name: str, value: Any) -> Any:
    if name == "ingest_allow":
        return _parse_allow(value)
    if name in _SECONDS:
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from exc
    if name in {"time_mismatch_seconds", "max_body_bytes", "max_cdrs_per_body"}:
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name} must be an integer, not {value!r}") from exc
    if name in {"log_format", "log_level"}:
        return str(value).strip().lower()
    if name == "retention_days":
        try:
            return None if value in ("", None) else int(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name} must be a number of days, not {value!r}") from exc
    if name in {"run_worker", "bench_noop"}:
        return value if isinstance(value, bool) else _parse_bool(str(value))
    return None if value in ("", None) else str(value)


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings: defaults < TOML file < environment < explicit overrides."""
    env = os.environ if env is None else env
    file: dict[str, Any] = {}
    if path := env.get("CDRHUB_CONFIG"):
        try:
            file = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"CDRHUB_CONFIG: cannot read {path}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"CDRHUB_CONFIG: {path}: {exc}") from exc
    values: dict[str, Any] = {"database_url": default_database_url(env)}
    for f in fields(Settings):
        if f.name in _NOT_KEYS:
            continue
        if f.name in file and not isinstance(file[f.name], dict):
            values[f.name] = _coerce(f.name, file[f.name])
        env_value = env.get(f"CDRHUB_{f.name.upper()}")
        if env_value is not None:
            values[f.name] = _coerce(f.name, env_value)
    values.update(overrides)
    settings = Settings(**values, file=file, file_path=path or None)
    _validate(settings)
    return settings


def unknown_environment(env: Mapping[str, str], known: frozenset[str]) -> list[str]:
    """A warning for each `CDRHUB_*` variable cdrhub does not read, naming the nearest known one.
    Warned rather than refused: the environment is shared with other tools (a container
    platform, a test harness), so a name cdrhub does not know need not be a mistake."""
    from cdrhub.settings_keys import nearest  # only the commands need it, not every process

    warnings = []
    for name in sorted(env):
        if not name.startswith("CDRHUB_") or name in known or name.startswith(_NOT_SETTINGS):
            continue
        close = nearest(name.removeprefix("CDRHUB_"), [k.removeprefix("CDRHUB_") for k in known])
        hint = f"; did you mean CDRHUB_{close}?" if close else ""
        warnings.append(f"warning: unknown environment variable {name} is ignored{hint}")
    return warnings


# The engines cdrhub runs on, with the drivers it ships (psycopg 3; SQLite's is built in).
_DATABASES = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg"), "postgres": ("",)}
DATABASE_URL_FORMS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


def check_database_url(url: str) -> None:
    """ConfigError for a URL of an engine or driver cdrhub does not support; the message names
    the scheme only, never the rest (it may hold a password)."""
    scheme, sep, _rest = url.partition("://")
    backend, _, driver = scheme.partition("+")
    if not sep or backend.lower() not in _DATABASES:
        what = f"{scheme!r} databases are" if sep else "a URL without a scheme is"
        raise ConfigError(f"database_url: {what} not supported; use {DATABASE_URL_FORMS}")
    if driver.lower() not in _DATABASES[backend.lower()]:
        plain = "sqlite" if backend.lower() == "sqlite" else "postgresql"
        uses = "the built-in sqlite3" if plain == "sqlite" else "psycopg 3"
        raise ConfigError(
            f"database_url: {scheme!r} is not supported; use {plain}:// (cdrhub uses {uses})"
        )


def check_secret_length(value: Any, name: str) -> None:
    """A configured secret must be long enough; the message names the setting, never the value."""
    if value is not None and (not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH):
        raise ConfigError(f"{name} must be at least {MIN_SECRET_LENGTH} characters long")


def _validate(settings: Settings) -> None:
    check_database_url(settings.database_url)
    check_secret_length(settings.ingest_token, "ingest_token (CDRHUB_INGEST_TOKEN)")
    check_secret_length(settings.api_key, "api_key (CDRHUB_API_KEY)")
    check_secret_length(settings.metrics_token, "metrics_token (CDRHUB_METRICS_TOKEN)")
    if settings.max_cdrs_per_body < 1:
        raise ConfigError(f"max_cdrs_per_body must be at least 1, not {settings.max_cdrs_per_body}")
    if settings.time_mode not in TIME_MODES:
        raise ConfigError(f"time_mode must be one of {TIME_MODES}, not {settings.time_mode!r}")
    if settings.ingest_writer not in INGEST_WRITERS:
        raise ConfigError(
            f"ingest_writer must be one of {INGEST_WRITERS}, not {settings.ingest_writer!r}"
        )
    if settings.log_format not in LOG_FORMATS:
        raise ConfigError(f"log_format must be one of {LOG_FORMATS}, not {settings.log_format!r}")
    if settings.log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {LOG_LEVELS}, not {settings.log_level!r}")
    if settings.retention_days is not None and settings.retention_days < 1:
        raise ConfigError(f"retention_days must be at least 1, not {settings.retention_days}")
    for name in _SECONDS:
        if not 0 < getattr(settings, name) <= 3600:
            raise ConfigError(f"{name} must be more than 0 and at most 3600 seconds")
    try:
        settings.tz  # noqa: B018 - raises for an unknown zone
    except Exception as exc:
        raise ConfigError(f"unknown time zone {settings.timezone!r}") from exc
