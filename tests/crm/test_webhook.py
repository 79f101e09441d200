"""Generic webhook: Standard Webhooks signatures, Jinja field mapping, retries, redelivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from sqlalchemy import Engine

from cdrhub.config import Settings
from tests.crm.conftest import jobs, run_jobs, samples, store, with_crm
from tests.crm.fakes import FakeServer, Reply, Seen

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()


def verify_standard_webhook(seen: Seen) -> bool:
    """The receiver's side, from the Standard Webhooks specification."""
    msg_id, ts = seen.headers["webhook-id"], seen.headers["webhook-timestamp"]
    signed = f"{msg_id}.{ts}.".encode() + seen.body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in seen.headers["webhook-signature"].split(" ")]
    return abs(time.time() - int(ts)) < 300 and any(hmac.compare_digest(expected, g) for g in given)


@pytest.fixture
def receiver() -> FakeServer:
    with FakeServer(lambda seen: Reply(204 if verify_standard_webhook(seen) else 401)) as server:
        yield server


def _settings(settings: Settings, url: str, **extra) -> Settings:  # type: ignore[no-untyped-def]
    target = {"name": "zapier", "url": url, "secret": SECRET, **extra}
    return with_crm(settings, webhooks=[target], recordings={"enabled": False})


def test_signed_post_of_the_normalized_call(
    settings: Settings, engine: Engine, receiver: FakeServer
) -> None:
    settings = _settings(settings, receiver.url + "/hook")
    store(settings, engine, *samples("queue-abandoned"))
    run_jobs(engine, settings)
    (seen,) = receiver.requests
    assert seen.method == "POST" and seen.path == "/hook"
    assert seen.headers["content-type"] == "application/json"
    assert verify_standard_webhook(seen)
    event = seen.json()
    assert event["type"] == "call.completed"
    assert event["timestamp"] == "2023-11-15T10:06:40Z"
    data = event["data"]
    assert data["ivruniqueid"] == "20231115120640qwer5678"
    assert data["outcome"] == "abandoned" and data["customer_number"] == "+972501234567"
    assert data["queue_name"] == "Sales Queue" and data["wait_seconds"] == 20
    assert data["raw"]["caller"] == "0501234567"
    (job,) = jobs(engine, "crm.webhook")
    assert job["status"] == "done" and job["result"]["status"] == 204
    assert seen.headers["webhook-id"] == job["result"]["webhook_id"]


def test_jinja_mapping_to_another_shape(
    settings: Settings, engine: Engine, receiver: FakeServer
) -> None:
    template = (
        '{"phone": {{ call.customer_number|tojson }}, "agent": {{ call.agent_name|tojson }},'
        ' "minutes": {{ ((call.duration or 0) / 60)|round(1) }}, "id": "{{ call.ivruniqueid }}"}'
    )
    settings = _settings(settings, receiver.url, template=template)
    store(settings, engine, *samples("incoming-ivr-as-string"))
    run_jobs(engine, settings)
    (seen,) = receiver.requests
    assert verify_standard_webhook(seen)
    assert seen.json() == {
        "phone": "+972546666666",
        "agent": "דנה כהן",
        "minutes": 0.6,
        "id": "20231115145320zxcv9012",
    }


def test_retried_on_failure_with_the_same_id(settings: Settings, engine: Engine) -> None:
    with FakeServer(lambda seen: Reply(200, "ok")) as server:
        server.script += [Reply(503, "down", {"retry-after": "0"}), Reply(429, "", {})]
        settings = _settings(settings, server.url)
        store(settings, engine, *samples("outgoing-answered"))
        run_jobs(engine, settings)
        assert len(server.requests) == 3
        assert len({r.headers["webhook-id"] for r in server.requests}) == 1
    (job,) = jobs(engine, "crm.webhook")
    assert job["status"] == "done" and job["attempts"] == 3


def test_gone_and_client_errors_are_dead(settings: Settings, engine: Engine) -> None:
    with FakeServer(lambda seen: Reply(410, "gone")) as server:
        settings = _settings(settings, server.url)
        store(settings, engine, *samples("outgoing-answered"))
        run_jobs(engine, settings)
        assert len(server.requests) == 1
    assert jobs(engine, "crm.webhook")[0]["status"] == "dead"


def test_revision_is_a_new_message_and_agent_legs_opt_in(
    settings: Settings, engine: Engine, receiver: FakeServer
) -> None:
    settings = _settings(settings, receiver.url, all_legs=True)
    leg1, leg2 = samples("click2call-leg1", "click2call-leg2")
    store(settings, engine, leg1, leg2)
    run_jobs(engine, settings)
    store(settings, engine, leg2)  # the same again: nothing new
    run_jobs(engine, settings)
    store(settings, engine, {**leg2, "duration": 41})  # revised: sent again, a new message
    run_jobs(engine, settings)
    ids = [
        (r.json()["data"]["ivruniqueid"], r.json()["data"]["duration"]) for r in receiver.requests
    ]
    assert sorted(ids) == sorted(
        [(leg1["ivruniqueid"], 45), (leg2["ivruniqueid"], 40), (leg2["ivruniqueid"], 41)]
    )
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 3


def test_bad_template_is_dead(settings: Settings, engine: Engine, receiver: FakeServer) -> None:
    settings = _settings(settings, receiver.url, template='{"x": {{ call.nope }}}')
    store(settings, engine, *samples("outgoing-answered"))
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.webhook")
    assert job["status"] == "dead" and "template" in job["last_error"]
    assert not receiver.requests


def test_secret_format_is_checked() -> None:
    from cdrhub.crm.connectors.webhook import secret_key, signature
    from cdrhub.jobs.outbox import PermanentFailure

    assert secret_key(SECRET) == KEY
    with pytest.raises(PermanentFailure):
        secret_key("whsec_not base64!")
    sig = signature(SECRET, "msg_1", 1700000000, b"{}")
    expected = hmac.new(KEY, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    assert sig == "v1," + base64.b64encode(expected).decode()


def test_backfill_enqueues_once_for_calls_stored_before(
    settings: Settings, engine: Engine, receiver: FakeServer, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from cdrhub.cli import app

    before = with_crm(settings, recordings={"enabled": False})
    store(before, engine, *samples("outgoing-answered", "queue-abandoned"))  # no webhooks yet
    assert not jobs(engine, "crm.webhook")
    config = _settings(settings, receiver.url)
    monkeypatch.setattr("cdrhub.commands.common.load_settings", lambda: config)
    for _ in range(2):
        out = CliRunner().invoke(app, ["crm", "backfill", "--since", "2023-11-15"])
        assert out.exit_code == 0, out.output
        assert "2 leg(s)" in out.output
    assert len(jobs(engine, "crm.webhook")) == 2
    run_jobs(engine, config)
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    ("since", "seen"),
    [
        # the calls started at 09:20:00 and 12:06:40 local (07:20:00 and 10:06:40 UTC)
        ("2023-11-15T08:00", 2),  # local wall clock, as `from` everywhere (was UTC: 1)
        ("2023-11-15T09:20:00", 2),
        ("2023-11-15T09:20:01", 1),
        ("2023-11-15T07:20:00Z", 2),
        ("2023-11-15T07:20:01+00:00", 1),
        ("2023-11-15", 2),
        ("2023-11-16", 0),
    ],
)
def test_backfill_since_reads_like_from(
    settings: Settings, engine: Engine, monkeypatch, since: str, seen: int
) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from cdrhub.cli import app

    config = with_crm(settings, recordings={"enabled": False})
    store(config, engine, *samples("outgoing-answered", "queue-abandoned"))
    monkeypatch.setattr("cdrhub.commands.common.load_settings", lambda: config)
    out = CliRunner().invoke(app, ["crm", "backfill", "--since", since])
    assert (out.exit_code, out.stdout) == (
        0,
        f"{seen} leg(s) looked at; the worker runs the jobs\n",
    )
