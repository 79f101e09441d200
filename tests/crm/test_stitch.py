"""Stitching legs into calls: OriginalIvrUniqueID links, unlinked two-leg pairs, transfers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cdrhub.calls.stitch import outcome_of, stitch
from cdrhub.voicenter.normalize import normalize
from tests.conftest import sample

TZ = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2023, 11, 16)


def _leg(wire: dict, **changes):
    return normalize({**wire, **changes}, tz=TZ, received_at=NOW)


def test_click2call_legs_linked_by_original_id_are_one_call() -> None:
    leg1 = _leg(sample("click2call-leg1.json"))
    leg2 = _leg(sample("click2call-leg2.json"))
    other = _leg(sample("outgoing-answered.json"))
    calls = stitch([leg2, other, leg1])
    assert [len(c.legs) for c in calls] == [2, 1]  # newest first
    call = calls[0]
    assert call.id == leg1.ivruniqueid
    assert call.main is not leg1 and call.main.ivruniqueid == leg2.ivruniqueid
    assert call.direction == "out" and call.customer_number == "+4915112345678"
    assert call.talk_seconds == 40  # the agent's own leg 1 is not talk with the customer
    assert call.outcome == "answered"
    assert [leg.ivruniqueid for leg in call.recording_legs] == [leg2.ivruniqueid]


def test_unlinked_pair_is_stitched_by_time_and_extension() -> None:
    leg1 = _leg(sample("click2call-leg1.json"))
    leg2 = _leg(sample("click2call-leg2.json"), OriginalIvrUniqueID="")
    calls = stitch([leg1, leg2])
    assert len(calls) == 1 and len(calls[0].legs) == 2


def test_pair_too_far_apart_or_other_extension_stays_apart() -> None:
    leg1 = _leg(sample("click2call-leg1.json"))
    late = _leg(sample("click2call-leg2.json"), OriginalIvrUniqueID="", time=1700070000 + 300)
    assert len(stitch([leg1, late])) == 2
    other = _leg(
        sample("click2call-leg2.json"),
        OriginalIvrUniqueID="",
        callerextension="SIPOTHER",
        representative_code="77",
    )
    assert len(stitch([leg1, other])) == 2


def test_each_leg1_takes_its_nearest_leg2() -> None:
    a1 = _leg(sample("click2call-leg1.json"))
    b1 = _leg(sample("click2call-leg1.json"), ivruniqueid="20231115174010legC0003", time=1700070010)
    a2 = _leg(sample("click2call-leg2.json"), OriginalIvrUniqueID="")
    b2 = _leg(
        sample("click2call-leg2.json"),
        OriginalIvrUniqueID="",
        ivruniqueid="20231115174012legD0004",
        time=1700070012,
    )
    calls = stitch([a1, b1, a2, b2])
    pairs = sorted(tuple(leg.ivruniqueid for leg in c.legs) for c in calls)
    assert pairs == sorted([(a1.ivruniqueid, a2.ivruniqueid), (b1.ivruniqueid, b2.ivruniqueid)])


def test_transfer_chain_is_one_call_with_the_last_answering_agent() -> None:
    first = _leg(sample("incoming-ivr-as-string.json"))
    xfer = _leg(
        sample("incoming-ivr-as-string.json"),
        ivruniqueid="20231115145400xfer0001",
        time=1700060040,
        type="XferCDR",
        OriginalIvrUniqueID=first.ivruniqueid,
        representative_code="1050",
        representative_name="Avi",
        duration=60,
    )
    calls = stitch([xfer, first])
    assert len(calls) == 1
    call = calls[0]
    assert call.main.ivruniqueid == first.ivruniqueid
    assert call.direction == "in"
    assert call.answering_leg.agent_name == "Avi"
    assert call.talk_seconds == 38 + 60


def test_outcomes() -> None:
    assert outcome_of("ABANDONE") == "abandoned"
    assert outcome_of("TIMEOUT") == "abandoned"
    assert outcome_of("voicemail") == "voicemail"
    assert outcome_of("CHANUNAVAIL") == "failed"
    assert outcome_of("SOMETHINGNEW") == "unknown"
    queue = _leg(sample("queue-abandoned.json"))
    (call,) = stitch([queue])
    assert call.outcome == "abandoned" and call.wait_seconds == 20
    assert call.queue == (1234567, "Sales Queue")
    assert [s.layer_name for s in call.ivr_path] == ["Main IVR", "Sales Department"]
