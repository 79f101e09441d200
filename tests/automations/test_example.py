"""The issue's TOML example, exactly as written (base_url pointed at a local Twilio)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from cdrhub.automations import callbacks, notifications
from cdrhub.jobs import outbox
from cdrhub.jobs.outbox import utcnow

from .fakes import FakeServer, twilio_429, twilio_responder, twilio_sent
from .helpers import EXAMPLE_TOML, deliver, recent, settings_for, worker


def _example(url: str) -> str:
    return EXAMPLE_TOML.replace("https://api.twilio.com", url)


def test_one_abandoned_cdr_delivered_three_times_sends_one_sms(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with FakeServer(twilio_responder("AC0123456789", "secret")) as twilio:
        settings = settings_for(db_url, _example(twilio.url), tmp_path)
        wire = recent()
        kinds = [deliver(engine, settings, wire)[0].kind for _ in range(3)]
        assert kinds == ["new", "duplicate", "duplicate"]
        twilio.script(twilio_429(retry_after=0))  # the first attempt is rate limited
        w = worker(engine, settings)
        while w.run_until_idle():
            pass
        # a retry waits for its backoff; run again until the queue is empty
        for _ in range(20):
            with engine.connect() as conn:
                if outbox.count_jobs(conn).get("pending", 0) == 0:
                    break
            w.run_until_idle()
        sent = twilio_sent(twilio)
        assert len(sent) == 1
        assert sent[0]["to"] == "+972501234567"
        assert sent[0]["from"] == "+972722776772"
        assert sent[0]["body"] == "Sorry we missed you (Sales Queue). We will call you back soon."
        posts = [r for r in twilio.requests if r.method == "POST"]
        assert len(posts) == 2  # the 429, then the retry with the same idempotency key
        assert len({r.headers["i-twilio-idempotency-token"] for r in posts}) == 1

    with engine.connect() as conn:
        jobs = outbox.list_jobs(conn)
        assert [(j["kind"], j["status"], j["attempts"]) for j in jobs] == [
            ("automations.sms", "done", 2)
        ]
        items = callbacks.list_items(conn, utcnow())
        assert [(i["customer_number"], i["missed_count"]) for i in items] == [("+972501234567", 1)]
        notes = notifications.latest(conn)
        assert len(notes) == 1 and "Sales Queue" in notes[0]["text"]
