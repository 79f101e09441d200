"""Shared test helpers: settings from a TOML text, ingesting sample CDRs, running the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from cdrhub.automations.worker import Worker, WorkerConfig
from cdrhub.config import Settings, load_settings
from cdrhub.pipeline import Incoming, StoredLeg, build_hooks, ingest
from cdrhub.voicenter.normalize import normalize
from tests.conftest import SAMPLES, sample  # noqa: F401 - re-exported for the automation tests

EXAMPLE_TOML = """\
[channels.twilio]
account_sid = "AC0123456789"
auth_token = "secret"
from = "+972722776772"
base_url = "https://api.twilio.com"

[[rules]]
name = "abandoned-queue"
when = { type = "Queue", status = "ABANDONE", min_wait_seconds = 5 }
actions = [
  { do = "sms", via = "twilio", to = "caller", text = "Sorry we missed you ({{ queue_name }}). We will call you back soon." },
  { do = "callback" },
  { do = "notify" },
]
"""


def settings_for(db_url: str, toml_text: str, tmp_path: Path, **overrides: Any) -> Settings:
    path = tmp_path / "cdrhub.toml"
    path.write_text(toml_text, encoding="utf-8")
    values: dict[str, Any] = {
        "database_url": db_url,
        "ingest_token": "test-ingest-token-0123456789",
        "api_key": "test-api-key-0123456789",
        "run_worker": False,
    }
    values.update(overrides)
    return load_settings(env={"CDRHUB_CONFIG": str(path)}, **values)


def deliver(engine: Engine, settings: Settings, wire: dict[str, Any]) -> list[StoredLeg]:
    """One CDR through the real ingest path (what the webhook does)."""
    received_at = datetime.now(UTC).replace(tzinfo=None)
    leg = normalize(wire, tz=settings.tz, time_mode=settings.time_mode, received_at=received_at)
    return ingest(engine, [Incoming(leg, "json")], build_hooks(settings), received_at)


def worker(engine: Engine, settings: Settings, **config: Any) -> Worker:
    defaults = {"lease_seconds": 30.0, "backoff_base_seconds": 0.0, "backoff_cap_seconds": 0.0}
    return Worker(engine, settings, config=WorkerConfig(**{**defaults, **config}))


def abandon_at(
    started: datetime,
    *,
    caller: str = "0501234567",
    tag: str = "ab",
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The sample queue abandon (20 s in the queue), started at `started` (naive UTC): its
    `time` and the id's time prefix as Voicenter writes them for the account's time zone."""
    tz = ZoneInfo(settings.timezone if settings else "Asia/Jerusalem")
    local = started.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    utc_mode = settings is not None and settings.time_mode == "utc"
    reading = started if utc_mode else local
    wire = sample("queue-abandoned.json")
    wire["time"] = int((reading - datetime(1970, 1, 1)).total_seconds())
    wire["ivruniqueid"] = f"{local:%Y%m%d%H%M%S}{tag}"
    wire["caller"] = caller
    return wire


def recent_abandon(minutes_ago: float = 5, **kwargs: Any) -> dict[str, Any]:
    """A queue abandon that started `minutes_ago` minutes ago (see `abandon_at`)."""
    started = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=minutes_ago)
    return abandon_at(started, **kwargs)
