"""Hooks get the legs of a transaction at once (group commit): the end state must be the one
the same legs give one transaction after another. Each scenario runs twice on one database,
with different customer numbers and leg ids: leg by leg, then in one `ingest` call."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from cdrhub import domains
from cdrhub.automations.tables import callback_items, notifications
from cdrhub.config import Settings
from cdrhub.crm.tables import recordings
from cdrhub.ingest.pipeline import Incoming, ingest
from cdrhub.jobs.tables import outbox_jobs
from cdrhub.voicenter.normalize import normalize

from .helpers import EXAMPLE_TOML, sample, settings_for

BASE = 1700050000  # 2023-11-15 12:06:40 Israel time
RECORD = "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/{}-aws.mp3"
TOML = (
    EXAMPLE_TOML
    + """
[automations]
max_age = "off"  # the legs are from 2023: this file is about batching, not about their age

[crm.recordings]
enabled = true

[[crm.webhooks]]
name = "zapier"
url = "https://hooks.zapier.example/x"
"""
)


def _missed(uid: str, at: int, number: str, **extra: Any) -> dict[str, Any]:
    wire = {**sample("queue-abandoned.json"), "ivruniqueid": uid, "time": at, **extra}
    return {**wire, "caller": "0" + number}


def _outgoing(uid: str, at: int, number: str, status: str = "ANSWER", **extra: Any):
    wire = {**sample("outgoing-answered.json"), "ivruniqueid": uid, "time": at, "status": status}
    return {**wire, "target": "972" + number, "record": RECORD.format(uid), **extra}


def _incoming(uid: str, at: int, number: str, status: str = "ANSWER", **extra: Any):
    wire = sample("incoming-ivr-as-string.json")
    return {
        **wire,
        "ivruniqueid": uid,
        "time": at,
        "status": status,
        "caller": "0" + number,
        **extra,
    }


# Each scenario: (CDRs delivered before, one by one; the CDRs of the batch), built from
# (leg id prefix, customer number without the leading 0).
SCENARIOS = {
    "missed then returned": lambda p, n: (
        [],
        [_missed(p + "m1", BASE, n), _outgoing(p + "o1", BASE + 3600, n)],
    ),
    "open item: missed again then reached": lambda p, n: (
        [_missed(p + "m0", BASE, n)],
        [
            _incoming(p + "i1", BASE + 300, n, status="NOANSWER"),
            _incoming(p + "i2", BASE + 900, n),
        ],
    ),
    "open item: returned then missed again": lambda p, n: (
        [_missed(p + "m0", BASE, n)],
        [_outgoing(p + "o1", BASE + 600, n), _missed(p + "m2", BASE + 1200, n)],
    ),
    "open item: answered, missed, answered": lambda p, n: (
        [_missed(p + "m0", BASE, n)],
        [
            _outgoing(p + "o1", BASE + 600, n),
            _missed(p + "m2", BASE + 1200, n),
            _outgoing(p + "o3", BASE + 1800, n),
        ],
    ),
    "two missed legs of one number": lambda p, n: (
        [],
        [
            _missed(p + "m1", BASE, n),
            _incoming(p + "m2", BASE + 60, n, status="NOANSWER", type="Incoming Call"),
        ],
    ),
    "a revision in the batch: same job keys, new recording": lambda p, n: (
        [],
        [
            _missed(p + "m1", BASE, n, queuename="Sales"),
            _missed(p + "m1", BASE, n, queuename="Support"),
            _outgoing(p + "o1", BASE + 3600, n),
            _outgoing(p + "o1", BASE + 3600, n, duration=12),  # same recording URL
            _outgoing(p + "o1", BASE + 3600, n, duration=12, record=RECORD.format(p + "x")),
        ],
    ),
    "the same CDR twice in the batch": lambda p, n: (
        [_outgoing(p + "o0", BASE - 60, n)],
        [_missed(p + "m1", BASE, n), _missed(p + "m1", BASE, n), _outgoing(p + "o0", BASE - 60, n)],
    ),
}


def _ingest(engine: Engine, settings: Settings, wires: list[dict[str, Any]]) -> None:
    received = datetime.now(UTC).replace(tzinfo=None)
    items = [Incoming(normalize(w, tz=settings.tz, received_at=received), "json") for w in wires]
    ingest(engine, items, domains.hooks(settings), received)


def _state(engine: Engine, prefix: str, number: str) -> dict[str, Any]:
    """What the legs with this prefix left, ids and numbers made neutral."""

    def plain(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(prefix, "<p>").replace(number, "<n>")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    with engine.connect() as conn:
        items = conn.execute(
            select(
                callback_items.c.status,
                callback_items.c.opened_at,
                callback_items.c.last_missed_at,
                callback_items.c.last_missed_until,
                callback_items.c.missed_count,
                callback_items.c.first_ivruniqueid,
                callback_items.c.last_ivruniqueid,
                callback_items.c.rule,
                callback_items.c.closed_at,
                callback_items.c.closed_by_ivruniqueid,
                callback_items.c.closed_by_agent,
            )
            .where(callback_items.c.customer_number.like(f"%{number}"))
            .order_by(callback_items.c.id)
        ).all()
        jobs = conn.execute(
            select(
                outbox_jobs.c.kind,
                outbox_jobs.c.key,
                outbox_jobs.c.payload,
                outbox_jobs.c.status,
                outbox_jobs.c.max_attempts,
            )
            .where(outbox_jobs.c.key.like(f"%{prefix}%"))
            .order_by(outbox_jobs.c.id)
        ).all()
        notes = conn.execute(
            select(notifications.c.key, notifications.c.title, notifications.c.text)
            .where(notifications.c.key.like(f"%{prefix}%"))
            .order_by(notifications.c.id)
        ).all()
        recs = conn.execute(
            select(
                recordings.c.ivruniqueid,
                recordings.c.source_url,
                recordings.c.status,
                recordings.c.call_started_at,
            )
            .where(recordings.c.ivruniqueid.like(f"{prefix}%"))
            .order_by(recordings.c.ivruniqueid)
        ).all()
    # CRM job keys end with a hash of the URL or of the content, which hold the leg id. Jobs
    # are compared as a set: in one transaction each hook writes those of all its legs in turn.
    return plain(
        {
            "items": [list(r) for r in items],
            "jobs": sorted(
                [kind, key.rsplit(":", 1)[0] if kind.startswith("crm.") else key, *rest]
                for kind, key, *rest in jobs
            ),
            "notifications": [list(r) for r in notes],
            "recordings": [list(r) for r in recs],
        }
    )


@pytest.mark.parametrize("with_rule", [False, True], ids=["defaults", "example-rule"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_one_batch_ends_like_one_transaction_per_leg(
    engine: Engine, db_url: str, tmp_path: Path, name: str, with_rule: bool
) -> None:
    settings = settings_for(db_url, TOML if with_rule else "", tmp_path)
    states = []
    for prefix, number, batched in (("sep", "501110001", False), ("bat", "501110002", True)):
        before, batch = SCENARIOS[name](prefix, number)
        for wire in before:
            _ingest(engine, settings, [wire])
        if batched:
            _ingest(engine, settings, batch)
        else:
            for wire in batch:
                _ingest(engine, settings, [wire])
        states.append(_state(engine, prefix, number))
    separate, together = states
    assert together == separate
    assert together["items"] or name == "the same CDR twice in the batch"


def test_missed_then_answered_in_one_batch(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, TOML, tmp_path)
    _ingest(engine, settings, [_missed("m1", BASE, "501234567")])
    _ingest(
        engine,
        settings,
        [
            _missed("m2", BASE + 60, "501234567"),
            _outgoing("o1", BASE + 3600, "501234567"),
            _missed("m3", BASE + 7200, "501234567"),
        ],
    )
    with engine.connect() as conn:
        items = conn.execute(select(callback_items).order_by(callback_items.c.id)).mappings().all()
        keys = list(conn.execute(select(outbox_jobs.c.key).order_by(outbox_jobs.c.id)).scalars())
    assert [(i["status"], i["missed_count"]) for i in items] == [("returned", 2), ("open", 1)]
    assert items[0]["closed_by_ivruniqueid"] == "o1" and items[1]["first_ivruniqueid"] == "m3"
    assert len(keys) == len(set(keys))
    assert {k for k in keys if k.startswith("rule:")} == {
        f"rule:abandoned-queue:{uid}:0" for uid in ("m1", "m2", "m3")
    }
    assert sum(k.startswith("crm.recording:o1:") for k in keys) == 1
