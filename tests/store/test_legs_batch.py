"""Saving many legs in one statement gives what saving them one after another gives: new legs,
redeliveries and revisions in arrival order, also when one id comes several times in a batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from cdrhub.calls.model import CallLeg
from cdrhub.store import legs as legs_repo
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import leg_versions, legs
from cdrhub.voicenter.normalize import normalize
from tests.conftest import sample

IL = ZoneInfo("Asia/Jerusalem")
T0 = datetime(2026, 11, 28, 10, 0, 0)


def leg(name: str, **changes: Any) -> CallLeg:
    return replace(normalize(sample(name), tz=IL), **changes)


def save(engine: Engine, *items: legs_repo.Incoming) -> list[legs_repo.StoredLeg]:
    with write_transaction(engine) as conn:
        return legs_repo.save_legs(conn, list(items), T0)


def test_one_batch_in_arrival_order(engine: Engine) -> None:
    a = leg("outgoing-answered.json")
    a_longer = replace(a, duration=(a.duration or 0) + 60)
    b = leg("queue-abandoned.json")
    c = leg("click2call-leg1.json")
    save(engine, legs_repo.Incoming(b, "json"))  # b is stored before the batch

    saved = save(
        engine,
        legs_repo.Incoming(a, "json", b"a1"),
        legs_repo.Incoming(a, "xmlrpc", b"a2"),  # the same content again
        legs_repo.Incoming(b, "form"),  # stored before: a redelivery
        legs_repo.Incoming(a_longer, "json", b"a3"),  # changed: a revision of the first
        legs_repo.Incoming(c, "json"),
        legs_repo.Incoming(a_longer, "json", b"a4"),  # the revision again
    )
    assert [s.kind for s in saved] == [
        "new",
        "duplicate",
        "duplicate",
        "revised",
        "new",
        "duplicate",
    ]
    assert saved[0].id == saved[1].id == saved[3].id == saved[5].id
    assert saved[3].previous is not None and saved[3].previous.duration == a.duration
    assert saved[0].content_hash == legs_repo.content_hash(a)
    assert saved[3].content_hash == legs_repo.content_hash(a_longer) != saved[0].content_hash
    assert saved[4].row["ivruniqueid"] == c.ivruniqueid

    with engine.connect() as conn:
        rows = {
            r.ivruniqueid: r
            for r in conn.execute(select(legs.c.ivruniqueid, legs.c.deliveries, legs.c.revision,
                                         legs.c.duration, legs.c.raw_body, legs.c.encoding))
        }  # fmt: skip
        versions = conn.execute(select(func.count()).select_from(leg_versions)).scalar()
    assert (rows[a.ivruniqueid].deliveries, rows[a.ivruniqueid].revision) == (4, 2)
    assert rows[a.ivruniqueid].duration == a_longer.duration
    assert bytes(rows[a.ivruniqueid].raw_body) == b"a3"  # the revision's payload is kept
    assert (rows[b.ivruniqueid].deliveries, rows[b.ivruniqueid].revision) == (2, 1)
    assert (rows[c.ivruniqueid].deliveries, rows[c.ivruniqueid].revision) == (1, 1)
    assert versions == 1


def test_content_hash_ignores_key_order_and_sees_every_field() -> None:
    a = leg("incoming-ivr-as-string.json")
    reordered = replace(a, raw=dict(reversed(list(a.raw.items()))))
    assert legs_repo.content_hash(reordered) == legs_repo.content_hash(a)
    assert legs_repo.content_hash(replace(a, agent_name="x")) != legs_repo.content_hash(a)
    assert legs_repo.content_hash(replace(a, ivr=a.ivr[:-1])) != legs_repo.content_hash(a)
