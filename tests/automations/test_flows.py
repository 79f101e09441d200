"""Rules to sent messages: every channel through the worker, and the send-time guards."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from cdrhub.automations import suppression
from cdrhub.automations.channels import webhook
from cdrhub.jobs import outbox
from cdrhub.jobs.outbox import utcnow
from cdrhub.store.engine import write_transaction

from .fakes import (
    FakeServer,
    Reply,
    click2call_responder,
    meta_responder,
    slack_responder,
    twilio_responder,
    twilio_sent,
)
from .helpers import deliver, recent, settings_for, worker

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789").decode()


class Mailbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def _jobs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return sorted(outbox.list_jobs(conn), key=lambda j: j["id"])


def test_every_channel_end_to_end(
    engine: Engine, db_url: str, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, smtp_port = mailbox
    with (
        FakeServer(twilio_responder("AC1", "tok")) as tw,
        FakeServer(meta_responder("1055", "EAAG")) as meta,
        FakeServer(slack_responder) as slack,
        FakeServer(lambda seen: Reply(200, {"ok": True})) as hook,
        FakeServer(click2call_responder("VC")) as vc,
    ):
        toml = f"""
[channels.twilio]
account_sid = "AC1"
auth_token = "tok"
from = "+972722776772"
base_url = "{tw.url}"

[channels.meta]
access_token = "EAAG"
phone_number_id = "1055"
base_url = "{meta.url}"

[channels.mail]
type = "smtp"
host = "127.0.0.1"
port = {smtp_port}
from = "cdrhub@example.com"

[channels.managers]
type = "slack"
webhook_url = "{slack.url}/services/T/B/X"

[channels.crm]
type = "webhook"
url = "{hook.url}/voicenter-events"
secret = "{SECRET}"

[channels.voicenter]
code = "VC"
base_url = "{vc.url}"

[[rules]]
name = "everything"
when = {{ missed = true, queue = "Sales Queue" }}
actions = [
  {{ do = "sms", via = "twilio", text = "מצטערים, נחזור אליך ({{{{ queue_name }}}})" }},
  {{ do = "whatsapp", via = "meta", template = "missed_call", params = ["{{{{ queue_name }}}}"] }},
  {{ do = "email", via = "mail", to = "manager@example.com", subject = "Missed {{{{ customer_number }}}}", text = "Waited {{{{ wait_seconds }}}} s" }},
  {{ do = "slack", via = "managers", text = "Missed call from {{{{ customer_number }}}}" }},
  {{ do = "webhook", via = "crm", event = "call.missed" }},
  {{ do = "click2call", via = "voicenter", agent = "SIPAGENT7" }},
]
"""
        settings = settings_for(db_url, toml, tmp_path)
        wire = recent()
        deliver(engine, settings, wire)
        worker(engine, settings).run_until_idle()
        jobs = _jobs(engine)
        assert [(j["kind"], j["status"]) for j in jobs] == [
            ("automations.sms", "done"),
            ("automations.whatsapp", "skipped"),  # one text per number per period
            ("automations.email", "done"),
            ("automations.slack", "done"),
            ("automations.webhook", "done"),
            ("automations.click2call", "done"),
        ], [j["last_error"] or j["result"] for j in jobs]
        (sms,) = twilio_sent(tw)
        assert sms["body"] == "מצטערים, נחזור אליך (Sales Queue)"
        assert jobs[0]["payload"]["segments"]["encoding"] == "UCS-2"
        assert meta.requests == []
        assert box.envelopes[0].rcpt_tos == ["manager@example.com"]
        assert b"Subject: Missed +972501234567" in box.envelopes[0].content
        assert slack.requests[0].json() == {"text": "Missed call from +972501234567"}
        seen = hook.requests[0]
        assert webhook.verify(SECRET, seen.headers, seen.body)
        assert seen.json()["type"] == "call.missed"
        assert seen.json()["data"]["leg"]["ivruniqueid"] == wire["ivruniqueid"]
        assert vc.requests[0].query["target"] == ["0501234567"]
        # every outbound request carried the job's idempotency key
        keys = {j["kind"]: outbox.idempotency_key(j["key"]) for j in jobs}
        assert tw.requests[0].headers["i-twilio-idempotency-token"] == keys["automations.sms"]
        assert seen.headers["webhook-id"] == "msg_" + keys["automations.webhook"]
        assert vc.requests[0].query["var_cdrhub_key"] == [keys["automations.click2call"]]
        assert slack.requests[0].headers["x-idempotency-key"] == keys["automations.slack"]


def _sms_toml(url: str, extra: str = "") -> str:
    return f"""
[channels.twilio]
account_sid = "AC1"
auth_token = "tok"
from = "+972722776772"
base_url = "{url}"
{extra}
[[rules]]
name = "abandoned"
when = {{ status = "ABANDONE" }}
actions = [{{ do = "sms", via = "twilio", text = "sorry" }}]
"""


def _abandoned(uid: str, **extra: Any) -> dict[str, Any]:
    return {**recent(), "ivruniqueid": uid, **extra}


def test_one_text_per_number_per_period(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with FakeServer(twilio_responder("AC1", "tok")) as tw:
        settings = settings_for(db_url, _sms_toml(tw.url), tmp_path)
        deliver(engine, settings, _abandoned("a1"))
        deliver(engine, settings, _abandoned("a2"))
        deliver(engine, settings, _abandoned("a3", caller="0529999999"))
        worker(engine, settings).run_until_idle()
        assert len(twilio_sent(tw)) == 2
    statuses = [j["status"] for j in _jobs(engine)]
    assert statuses == ["done", "skipped", "done"]


def test_opt_out_list_and_stop_replies(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with FakeServer(twilio_responder("AC1", "tok")) as tw:
        settings = settings_for(
            db_url, _sms_toml(tw.url, "[automations]\ntext_once_per_hours = 0\n"), tmp_path
        )
        with write_transaction(engine) as conn:
            suppression.add_opt_out(conn, "+972501234567", utcnow(), "asked by phone")
        deliver(engine, settings, _abandoned("a1"))
        tw.script(
            Reply(
                400,
                {
                    "code": 21610,
                    "message": "Attempt to send to unsubscribed recipient",
                    "status": 400,
                },
            )
        )
        deliver(engine, settings, _abandoned("a2", caller="0529999999"))
        worker(engine, settings).run_until_idle()
        assert twilio_sent(tw) == []
    jobs = _jobs(engine)
    assert jobs[0]["status"] == "skipped" and "opted out" in jobs[0]["result"]["skipped"]
    assert jobs[1]["status"] == "dead" and "21610" in jobs[1]["last_error"]
    with engine.connect() as conn:
        assert suppression.is_opted_out(conn, "+972529999999")


def test_quiet_hours_hold_the_message(engine: Engine, db_url: str, tmp_path: Path) -> None:
    now_local = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jerusalem"))
    start = (now_local - timedelta(hours=1)).strftime("%H:%M")
    end = (now_local + timedelta(hours=2)).strftime("%H:%M")
    quiet = f'[automations]\nquiet_hours = ["{start}-{end}"]\n'
    with FakeServer(twilio_responder("AC1", "tok")) as tw:
        settings = settings_for(db_url, _sms_toml(tw.url, quiet), tmp_path)
        deliver(engine, settings, _abandoned("a1"))
        (job,) = _jobs(engine)
        held = job["run_at"] - utcnow()
        assert timedelta(hours=1, minutes=50) < held <= timedelta(hours=2)
        assert worker(engine, settings).run_until_idle() == 0  # not due yet
        # Due by the clock (e.g. retried by hand) but still quiet: rescheduled, no attempt used.
        with write_transaction(engine) as conn:
            conn.execute(outbox.outbox_jobs.update().values(run_at=utcnow() - timedelta(seconds=1)))
        worker(engine, settings).run_until_idle()
        (job,) = _jobs(engine)
        assert job["status"] == "pending" and job["attempts"] == 0
        assert "quiet hours" in job["last_error"]
        assert twilio_sent(tw) == []


def test_dead_letter_and_retry(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with FakeServer(
        lambda seen: Reply(503, {"code": 20503, "message": "down", "status": 503})
    ) as tw:
        settings = settings_for(
            db_url, _sms_toml(tw.url, "[automations]\nmax_attempts = 3\n"), tmp_path
        )
        deliver(engine, settings, _abandoned("a1"))
        w = worker(engine, settings)
        for _ in range(5):
            w.run_until_idle()
        (job,) = _jobs(engine)
        assert job["status"] == "dead" and job["attempts"] == 3 and len(tw.requests) == 3
        tw.responder = twilio_responder("AC1", "tok")
        with write_transaction(engine) as conn:
            assert outbox.retry_job(conn, job["id"])
        w.run_until_idle()
        (job,) = _jobs(engine)
        assert job["status"] == "done"


def test_extreme_legs_never_fail_the_ingest(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """The hook runs in the leg's transaction: nothing it writes may be too long for a column."""
    rule = "r" * 100
    toml = f"""
[[rules]]
name = "{rule}"
when = {{ missed = true }}
actions = [{{ do = "notify", title = "{{{{ queue_name }}}} {{{{ queue_name }}}}" }}, {{ do = "callback", assign = "{"a" * 128}" }}]
"""
    settings = settings_for(db_url, toml, tmp_path)
    wire = _abandoned("9" * 128, queuename="ש" * 255, caller="+972 (50) 123-4567")
    (stored,) = deliver(engine, settings, wire)
    assert stored.kind == "new"
    from cdrhub.automations import callbacks, notifications

    with engine.connect() as conn:
        (note,) = notifications.latest(conn)
        assert len(note["title"]) == 255
        (item,) = callbacks.list_items(conn, utcnow())
        assert item["assigned_to"] == "a" * 128 and item["queue_name"] == "ש" * 255


def test_dead_jobs_reach_the_managers_stream(engine: Engine, db_url: str, tmp_path: Path) -> None:
    from cdrhub.automations import notifications

    with FakeServer(lambda seen: Reply(400, {"code": 21211, "message": "Invalid 'To'"})) as tw:
        settings = settings_for(db_url, _sms_toml(tw.url), tmp_path)
        deliver(engine, settings, _abandoned("a1"))
        worker(engine, settings).run_until_idle()
    with engine.connect() as conn:
        (note,) = notifications.latest(conn)
    assert note["level"] == "warning" and "21211" in note["text"]
    assert note["title"] == "automations.sms failed for good"


def test_twilio_whatsapp_rule(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with FakeServer(twilio_responder("AC1", "tok")) as tw:
        toml = _sms_toml(tw.url).replace('do = "sms"', 'do = "whatsapp"')
        settings = settings_for(db_url, toml, tmp_path)
        deliver(engine, settings, _abandoned("a1"))
        worker(engine, settings).run_until_idle()
        (message,) = twilio_sent(tw)
    assert message["to"] == "whatsapp:+972501234567"
    assert message["from"] == "whatsapp:+972722776772"
