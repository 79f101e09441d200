"""The max-age guard: rules never text or alert about old calls (a replay, an outage's backlog,
an import), and what they skipped shows with its reason."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from cdrhub.automations import guards
from cdrhub.automations.config import check_text, load_config
from cdrhub.automations.plan import plan
from cdrhub.automations.tables import callback_items, notifications
from cdrhub.config import Settings
from cdrhub.jobs import outbox
from cdrhub.jobs.tables import outbox_jobs
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.normalize import normalize
from cdrhub.web.app import create_app

from .fakes import FakeServer, twilio_responder, twilio_sent
from .helpers import EXAMPLE_TOML, deliver, recent, retime, sample, settings_for, worker

INGEST = "/voicenter/cdr/test-ingest-token-0123456789"
AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
# The sample abandon started 2023-11-15 12:06:40 Israel time and waited 20 s in the queue.
TOO_OLD_2023 = "too old: the call ended 2023-11-15 10:07 UTC, more than max_age (1 h) ago"


@pytest.fixture
def twilio() -> Iterator[FakeServer]:
    with FakeServer(twilio_responder("AC0123456789", "secret")) as server:
        yield server


@pytest.fixture
def example(db_url: str, tmp_path: Path, twilio: FakeServer) -> Settings:
    toml = EXAMPLE_TOML.replace("https://api.twilio.com", twilio.url)
    return settings_for(db_url, toml, tmp_path, ingest_writer="thread")


def _post(settings: Settings, wire: dict[str, Any]) -> dict[str, Any]:
    """The CDR through the webhook, as Voicenter sends it; then the outbox worker runs."""
    app = create_app(settings)
    try:
        answer = TestClient(app, client=("127.0.0.1", 40000)).post(INGEST, json=wire)
        assert answer.status_code == 200 and answer.json()["Err"] == 0
        with TestClient(app) as client:
            jobs = client.get("/api/jobs?status=skipped", headers=AUTH).json()
    finally:
        app.state.engine.dispose()
    return jobs


def _rows(engine: Engine) -> tuple[list[tuple[Any, ...]], int, list[str]]:
    with engine.connect() as conn:
        jobs = conn.execute(
            select(outbox_jobs.c.kind, outbox_jobs.c.status, outbox_jobs.c.result).order_by(
                outbox_jobs.c.id
            )
        ).all()
        notes = conn.execute(select(func.count()).select_from(notifications)).scalar_one()
        items = list(conn.execute(select(callback_items.c.status)).scalars())
    return [tuple(j) for j in jobs], notes, items


def test_an_abandon_from_2023_texts_nobody_and_shows_as_skipped(
    engine: Engine, example: Settings, twilio: FakeServer
) -> None:
    listed = _post(example, sample("queue-abandoned.json"))
    assert worker(engine, example).run_until_idle() == 0
    assert twilio.requests == []
    jobs, notes, items = _rows(engine)
    assert jobs == [
        ("automations.sms", "skipped", {"skipped": TOO_OLD_2023}),
        ("automations.notify", "skipped", {"skipped": TOO_OLD_2023}),
    ]
    assert notes == 0  # no live alert about a call from 2023
    assert items == ["open"]  # the callback item still opens: the report counts the miss
    assert listed["counts"] == {"skipped": 2}
    assert [(j["kind"], j["result"]) for j in listed["jobs"]] == [
        ("automations.notify", {"skipped": TOO_OLD_2023}),
        ("automations.sms", {"skipped": TOO_OLD_2023}),
    ]


def test_an_abandon_from_5_minutes_ago_texts_the_caller(
    engine: Engine, example: Settings, twilio: FakeServer
) -> None:
    listed = _post(example, recent(minutes_ago=5, settings=example))
    assert worker(engine, example).run_until_idle() == 1
    (sms,) = twilio_sent(twilio)
    assert sms["to"] == "+972501234567"
    jobs, notes, items = _rows(engine)
    assert [(kind, status) for kind, status, _ in jobs] == [("automations.sms", "done")]
    assert notes == 1 and items == ["open"]
    assert listed["counts"] == {"pending": 1}


def test_a_skipped_old_text_can_still_be_sent_on_purpose(
    engine: Engine, example: Settings, twilio: FakeServer
) -> None:
    deliver(engine, example, sample("queue-abandoned.json"))
    with write_transaction(engine) as conn:
        ids = list(conn.execute(select(outbox_jobs.c.id).order_by(outbox_jobs.c.id)).scalars())
        assert all(outbox.retry_job(conn, job_id) for job_id in ids)
    assert worker(engine, example).run_until_idle() == 2
    (sms,) = twilio_sent(twilio)
    assert sms["body"] == "Sorry we missed you (Sales Queue). We will call you back soon."
    jobs, notes, _ = _rows(engine)
    assert [(kind, status) for kind, status, _ in jobs] == [
        ("automations.sms", "done"),
        ("automations.notify", "done"),
    ]
    assert notes == 1


PER_RULE = """
[[rules]]
name = "default"
when = { status = "ABANDONE" }
actions = [ { do = "notify" } ]

[[rules]]
name = "short"
max_age = "10m"
when = { status = "ABANDONE" }
actions = [ { do = "notify" } ]

[[rules]]
name = "long"
max_age = "1d"
when = { status = "ABANDONE" }
actions = [ { do = "notify" }, { do = "callback" } ]

[[rules]]
name = "always"
max_age = "off"
when = { status = "ABANDONE" }
actions = [ { do = "notify" } ]
"""


@pytest.mark.parametrize(
    ("minutes_ago", "notified", "skipped"),
    [
        (5, ["default", "short", "long", "always"], []),
        (30, ["default", "long", "always"], [("short", "10 min")]),
        (180, ["long", "always"], [("default", "1 h"), ("short", "10 min")]),
        (60 * 24 * 400, ["always"], [("default", "1 h"), ("short", "10 min"), ("long", "1 d")]),
    ],
)
def test_a_rule_sets_its_own_max_age(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    minutes_ago: int,
    notified: list[str],
    skipped: list[tuple[str, str]],
) -> None:
    settings = settings_for(db_url, PER_RULE, tmp_path)
    started = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=minutes_ago)
    wire = retime(sample("queue-abandoned.json"), started, settings)
    deliver(engine, settings, wire)
    with engine.connect() as conn:
        titles = list(conn.execute(select(notifications.c.title).order_by(notifications.c.id)))
        jobs = conn.execute(
            select(outbox_jobs.c.key, outbox_jobs.c.status, outbox_jobs.c.result).order_by(
                outbox_jobs.c.id
            )
        ).all()
        items = conn.execute(select(func.count()).select_from(callback_items)).scalar_one()
    assert [t.split(":")[0] for (t,) in titles] == notified
    assert [(key.split(":")[1], status) for key, status, _ in jobs] == [
        (rule, "skipped") for rule, _ in skipped
    ]
    for (_, _, result), (_, limit) in zip(jobs, skipped, strict=True):
        assert result["skipped"].startswith("too old: the call ended ")
        assert result["skipped"].endswith(f", more than max_age ({limit}) ago")
    assert items == 1  # `callback` acts on old calls too


def test_the_default_max_age_can_be_changed_or_turned_off() -> None:
    leg = normalize(sample("queue-abandoned.json"), tz=ZoneInfo("Asia/Jerusalem"))
    now = datetime(2023, 11, 15, 12, 7)  # two hours after the call ended
    for setting, skipped in (("'off'", False), ("0", False), ("'3h'", False), ("'90m'", True)):
        file = tomllib.loads(EXAMPLE_TOML + f"\n[automations]\nmax_age = {setting}\n")
        steps = plan(leg, load_config(file), now)
        assert [bool(s.skipped) for s in steps] == [skipped, False, skipped], setting


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        *[(45, 45.0), (0, 0.0), ("90s", 90.0), ("30m", 1800.0), ("1h", 3600.0)],
        *[("2d", 172800.0), ("off", 0.0), ("OFF", 0.0), ("0", 0.0), (" 1.5 h ", 5400.0)],
    ],
)
def test_max_age_values(value: Any, seconds: float) -> None:
    assert guards.parse_max_age(value) == seconds


@pytest.mark.parametrize("value", [True, -1, "1w", "", "soon", math.nan, math.inf, [1], "1e999h"])
def test_max_age_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match="a duration like"):
        guards.parse_max_age(value)


def test_rules_check_points_at_a_bad_max_age() -> None:
    text = EXAMPLE_TOML.replace(
        'name = "abandoned-queue"\n', 'name = "abandoned-queue"\nmax_age = "soon"\n'
    )
    text += "\n[automations]\nmax_age = -3\n"
    config, problems = check_text(text, filename="c.toml")
    assert problems == [
        f"c.toml:9: rules[0] (abandoned-queue) max_age: {guards.AGE_HELP}",
        f"c.toml:18: automations.max_age: {guards.AGE_HELP}",
    ]
    assert config is not None and config.rules == ()
