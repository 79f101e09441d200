"""Noting recordings for many legs at once: the same as one after another."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from cdrhub.calls.model import CallLeg
from cdrhub.crm.recordings.archive import note_recording, note_recordings
from cdrhub.crm.tables import recordings
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.normalize import normalize

from ..conftest import sample_bytes

URL = "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/{}.mp3"


def _leg(uid: str, url: str | None, shift: int = 0) -> CallLeg:
    wire = json.loads(sample_bytes("outgoing-answered.json"))
    leg = normalize({**wire, "ivruniqueid": uid}, tz=ZoneInfo("Asia/Jerusalem"))
    assert leg.started_at is not None
    return replace(leg, record_url=url, started_at=leg.started_at + timedelta(seconds=shift))


def _rows(engine: Engine) -> dict[str, tuple[str, str, datetime | None]]:
    with engine.connect() as conn:
        return {
            r.ivruniqueid: (r.source_url, r.status, r.call_started_at)
            for r in conn.execute(select(recordings))
        }


def test_one_by_one(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        assert note_recording(conn, _leg("a", URL.format(1))) is True
        assert note_recording(conn, _leg("a", URL.format(1), shift=5)) is False
        assert note_recording(conn, _leg("b", "not a url")) is False
        assert note_recording(conn, _leg("b", None)) is False
    with write_transaction(engine) as conn:
        assert note_recording(conn, _leg("a", URL.format(2), shift=9)) is True
    rows = _rows(engine)
    assert set(rows) == {"a"}
    assert rows["a"][:2] == (URL.format(2), "pending")
    assert rows["a"][2] == _leg("a", None, shift=9).started_at


def test_a_batch_is_noted_like_legs_one_after_another(engine: Engine) -> None:
    before = [_leg("a", URL.format(1)), _leg("c", URL.format(5))]
    batch = [
        _leg("a", URL.format(1), shift=1),  # known URL: nothing due, row kept
        _leg("a", URL.format(2), shift=2),  # new URL of a known row: due
        _leg("a", URL.format(2), shift=3),  # same again: not due, keeps shift 2
        _leg("b", URL.format(3), shift=4),  # new row: due
        _leg("b", URL.format(4), shift=5),  # new row's URL changes in the batch: due
        _leg("d", None),  # no recording
        _leg("c", URL.format(5), shift=6),  # known, same URL
    ]
    one_by_one = [_leg(leg.ivruniqueid + "1", leg.record_url, 0) for leg in before]
    with write_transaction(engine) as conn:
        assert note_recordings(conn, before) == [True, True]
    with write_transaction(engine) as conn:
        due = note_recordings(conn, batch)
    assert due == [False, True, False, True, True, False, False]
    # the same legs, under other ids, one transaction each
    with write_transaction(engine) as conn:
        for leg in one_by_one:
            note_recording(conn, leg)
    single = []
    for leg in batch:
        with write_transaction(engine) as conn:
            single.append(note_recording(conn, replace(leg, ivruniqueid=leg.ivruniqueid + "1")))
    assert single == due
    rows = _rows(engine)
    for uid in ("a", "b", "c"):
        assert rows[uid] == rows[uid + "1"]
    assert rows["a"][0] == URL.format(2) and rows["b"][0] == URL.format(4)
    assert rows["a"][2] == _leg("a", None, shift=2).started_at
    assert "d" not in rows and "d1" not in rows
