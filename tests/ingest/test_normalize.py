"""Normalization of every sample and every quirk the docs describe (pure, no database)."""

from __future__ import annotations

import calendar
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cdrhub.calls.model import IvrStep
from cdrhub.calls.phones import country_of, to_e164
from cdrhub.voicenter.normalize import NormalizeError, normalize
from tests.conftest import sample

IL = ZoneInfo("Asia/Jerusalem")


def wall(text: str) -> int:
    """Voicenter's `time` for an Israel wall-clock reading: its digits read as UTC."""
    return calendar.timegm(datetime.fromisoformat(text).timetuple())


def leg_of(wire: dict, **kw):  # type: ignore[no-untyped-def]
    return normalize(wire, tz=IL, **kw)


def test_outgoing_sample() -> None:
    leg = leg_of(sample("outgoing-answered.json"))
    assert (leg.type, leg.type_key, leg.type_id, leg.direction) == (
        "Extension Outgoing",
        "Extension Outgoing",
        4,
        "out",
    )
    assert leg.status == "ANSWER" and leg.status_known
    assert leg.started_at == datetime(2023, 11, 15, 7, 20, 0)
    assert leg.started_at_local == datetime(2023, 11, 15, 9, 20, 0)
    assert leg.time_mismatch_seconds == 0
    assert (leg.caller, leg.caller_e164) == ("0722776772", "+972722776772")
    assert (leg.target, leg.target_e164) == ("972501234567", "+972501234567")
    assert leg.customer_number == "+972501234567"
    assert (leg.duration, leg.dialtime, leg.price_agorot) == (11, 2, 7.0)
    assert (leg.agent_code, leg.agent_name) == ("9996", "Walter Melon")
    assert (leg.department_id, leg.top_department_id) == (123456, 7654321)
    assert leg.top_department_name == "Voicenter Top Account"
    assert leg.queue_id is None  # queueid 0 means no queue
    assert leg.record_url.endswith("20231115092000abcd1234-aws.mp3")
    assert leg.unknown_fields == ()
    assert leg.raw == sample("outgoing-answered.json")


def test_queue_abandoned_sample() -> None:
    leg = leg_of(sample("queue-abandoned.json"))
    assert (leg.type_key, leg.type_id, leg.direction, leg.status) == ("Queue", 8, "in", "ABANDONE")
    assert (leg.queue_id, leg.queue_name, leg.wait_seconds) == (1234567, "Sales Queue", 20)
    assert leg.department_id == 123456  # spelled DepartmentId here
    assert leg.agent_code is None and leg.target is None
    assert leg.customer_number == "+972501234567"
    assert leg.did_e164 == "+972722776772"
    assert leg.ivr == (
        IvrStep(1234567, "Main IVR", 0, "2", 1),
        IvrStep(7654321, "Sales Department", 6, "0", 2),
    )


def test_ivr_as_json_string_with_hebrew() -> None:
    leg = leg_of(sample("incoming-ivr-as-string.json"))
    assert leg.ivr == (
        IvrStep(8650, "תפריט ראשי", 1, "3", 1),
        IvrStep(8651, "שירות לקוחות", 2, "0", 2),
    )
    assert leg.ivr_raw is None
    assert leg.queue_id is None
    assert leg.price_agorot == 0.0  # 0.0 is a real price, not a missing one
    assert (leg.agent_code, leg.agent_name) == ("1042", "דנה כהן")
    assert leg.target_extension == "EXT101"


def test_click2call_legs() -> None:
    leg1 = leg_of(sample("click2call-leg1.json"))
    leg2 = leg_of(sample("click2call-leg2.json"))
    assert (leg1.type_key, leg1.type_id, leg1.direction) == ("Click2Call leg1", 9, "leg1")
    assert leg1.target_e164 is None  # SIPAGENT7 is an extension
    assert leg1.customer_number is None
    assert (leg2.type_key, leg2.type_id, leg2.direction) == ("Click2Call leg2", 10, "out")
    assert leg2.leg1_status == "ANSWER"
    assert leg2.original_ivruniqueid == "20231115174000legA0001"
    assert leg2.target_e164 == "+4915112345678"
    assert country_of(leg2.target_e164) == "DE"


def test_seed_malformed_ivr_string_is_kept_and_salvaged() -> None:
    ivr = (
        '[{ "layer_id":1234567, "layer_name":"LayerName\\, "layer_number":6,'
        ' "Dtmf":0, "dtmf_order":1 }]'
    )
    leg = leg_of({"ivruniqueid": "20240101120000x", "type": "Incoming Call", "IVR": ivr})
    assert leg.ivr_raw == ivr
    assert leg.ivr[0].layer_id == 1234567
    assert leg.ivr[0].dtmf == "0"


def test_ivr_garbage_string_is_kept_verbatim() -> None:
    leg = leg_of({"ivruniqueid": "20240101120000x", "IVR": "not json at all"})
    assert leg.ivr == () and leg.ivr_raw == "not json at all"


def test_liberal_fields() -> None:
    wire = {
        "IVRUNIQUEID": "20240715103000liberal",
        "Type": "click2callLEG2",
        "STATUS": "answer",
        "Time": str(wall("2024-07-15 10:30:00")),
        "Duration": "33",
        "dialtime": "",
        "price": "12.5",
        "seconds_waiting_in_ queue": "7",
        "QueueID": "",
        "Representative_Code": 42,
        "departmentid": "0",
        "Caller": " +972-50-123-4567 ",
        "target": "0",
        "SomethingNew": {"a": 1},
        "var_order": "A-17",
        "CustomData": '{"crm_id": "99"}',
        "aiData": '{"insights": {"summary": "asked about billing"}}',
    }
    leg = leg_of(wire)
    assert leg.ivruniqueid == "20240715103000liberal"
    assert (leg.type_key, leg.status) == ("Click2Call leg2", "ANSWER")
    assert leg.started_at == datetime(2024, 7, 15, 7, 30)  # IDT is UTC+3
    assert (leg.duration, leg.dialtime, leg.price_agorot, leg.wait_seconds) == (33, None, 12.5, 7)
    assert leg.queue_id is None and leg.department_id is None
    assert leg.agent_code == "42"
    assert leg.caller_e164 == "+972501234567"
    assert leg.target == "0" and leg.target_e164 is None
    assert leg.unknown_fields == ("SomethingNew",)
    assert leg.custom_data == {"crm_id": "99", "varorder": "A-17"}
    assert leg.ai_data == {"insights": {"summary": "asked about billing"}}
    assert leg.raw["SomethingNew"] == {"a": 1}


def test_zero_is_a_value() -> None:
    leg = leg_of({"ivruniqueid": "20240101000000z", "duration": 0, "dialtime": "0", "price": 0})
    assert (leg.duration, leg.dialtime, leg.price_agorot) == (0, 0, 0.0)


def test_unknown_type_and_status_are_kept() -> None:
    leg = leg_of(
        {
            "ivruniqueid": "20240101000000u",
            "type": "HoloCall",
            "status": "BEAMED",
            "did": "0722776772",
        }
    )
    assert (leg.type, leg.type_key, leg.type_id) == ("HoloCall", None, None)
    assert leg.direction == "in"  # a DID means someone called in
    assert (leg.status, leg.status_known) == ("BEAMED", False)


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("Click2Callleg1", "Click2Call leg1"),
        ("click2call_leg_2", "Click2Call leg2"),
        ("INCOMING CALL", "Incoming Call"),
        ("Click 2 Queue Incoming", "Click 2 Queue Incoming"),
        ("click2ivr", "Click 2 IVR"),
        ("Attended CDR leg2", "Attended CDR leg2"),
        ("autoforward", "Auto forward"),
        ("8", "Queue"),
    ],
)
def test_type_spellings(spelling: str, name: str) -> None:
    assert leg_of({"ivruniqueid": "20240101000000t", "type": spelling}).type_key == name


def test_missing_ivruniqueid_is_an_error() -> None:
    with pytest.raises(NormalizeError, match="no ivruniqueid"):
        leg_of({"caller": "0501234567"})
    with pytest.raises(NormalizeError):
        normalize(["not", "a", "dict"], tz=IL)  # type: ignore[arg-type]


def test_winter_and_summer_offsets() -> None:
    winter = leg_of({"ivruniqueid": "20240115120000w", "time": wall("2024-01-15 12:00:00")})
    summer = leg_of({"ivruniqueid": "20240701120000s", "time": wall("2024-07-01 12:00:00")})
    assert winter.started_at == datetime(2024, 1, 15, 10, 0)
    assert summer.started_at == datetime(2024, 7, 1, 9, 0)


def test_repeated_autumn_hour_settled_by_receipt_time() -> None:
    # 2024-10-27 01:30 happens twice in Israel: 22:30 UTC (IDT) and 23:30 UTC (IST) on the 26th.
    wire = {"ivruniqueid": "20241027013000dst", "time": wall("2024-10-27 01:30:00"), "duration": 60}
    first = leg_of(wire, received_at=datetime(2024, 10, 26, 22, 32))
    second = leg_of(wire, received_at=datetime(2024, 10, 26, 23, 33))
    assert first.started_at == datetime(2024, 10, 26, 22, 30)
    assert second.started_at == datetime(2024, 10, 26, 23, 30)
    assert first.started_at_local == second.started_at_local == datetime(2024, 10, 27, 1, 30)


def test_time_as_true_utc_setting_and_prefix_mismatch() -> None:
    wire = sample("outgoing-answered.json")
    leg = leg_of(wire, time_mode="utc")
    assert leg.started_at == datetime(2023, 11, 15, 9, 20)
    assert leg.started_at_local == datetime(2023, 11, 15, 11, 20)
    assert leg.time_mismatch_seconds == 7200


def test_start_from_id_prefix_when_time_is_missing() -> None:
    leg = leg_of({"ivruniqueid": "20231115092000abcd1234"})
    assert leg.started_at == datetime(2023, 11, 15, 7, 20)
    assert leg.time_raw is None and leg.time_mismatch_seconds is None


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("0501234567", "+972501234567"),
        ("972501234567", "+972501234567"),
        ("+972-50-123-4567", "+972501234567"),
        ("00972501234567", "+972501234567"),
        ("(050) 123-4567", "+972501234567"),
        ("4915112345678", "+4915112345678"),
        ("SIPSIP", None),
        ("EXT101", None),
        ("101", None),
        ("", None),
        (None, None),
    ],
)
def test_phone_forms(written: str | None, e164: str | None) -> None:
    assert to_e164(written) == e164


def test_absurd_price_is_kept_in_raw_only() -> None:
    leg = leg_of({"ivruniqueid": "20240101000000p", "price": 9223372036854775})
    assert leg.price_agorot is None
    assert leg.raw["price"] == 9223372036854775
