"""Shared test helpers: settings from a TOML text, ingesting sample CDRs, running the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from cdrhub import domains
from cdrhub.config import Settings, load_settings
from cdrhub.domains import job_handlers
from cdrhub.ingest.pipeline import Incoming, StoredLeg, ingest
from cdrhub.jobs.worker import Worker, WorkerConfig
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
    return ingest(engine, [Incoming(leg, "json")], domains.hooks(settings), received_at)


def worker(engine: Engine, settings: Settings, **config: Any) -> Worker:
    defaults = {"lease_seconds": 30.0, "backoff_base_seconds": 0.0, "backoff_cap_seconds": 0.0}
    return Worker(
        engine, settings, handlers=job_handlers(), config=WorkerConfig(**{**defaults, **config})
    )


def retime(
    wire: dict[str, Any], started: datetime, settings: Settings | None = None
) -> dict[str, Any]:
    """A copy of a CDR that started at `started` (naive UTC): its `time` and the time prefix of
    its ivruniqueid as Voicenter writes them for the account's time zone; the rest unchanged."""
    tz = ZoneInfo(settings.timezone if settings else "Asia/Jerusalem")
    local = started.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    reading = started if settings is not None and settings.time_mode == "utc" else local
    uid = str(wire.get("ivruniqueid", ""))
    return {
        **wire,
        "time": int((reading - datetime(1970, 1, 1)).total_seconds()),
        "ivruniqueid": f"{local:%Y%m%d%H%M%S}{uid[14:]}",
    }


def recent(
    name: str = "queue-abandoned.json",
    minutes_ago: float = 5,
    settings: Settings | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A sample CDR (with `changes`) as a live call: it started `minutes_ago` minutes ago, so
    rules act on it (the samples themselves are from 2023, older than any rule's max age)."""
    started = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=minutes_ago)
    return retime({**sample(name), **changes}, started, settings)
