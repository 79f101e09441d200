"""Hostile values in a CDR, on SQLite and PostgreSQL: each body is stored (Err 0) or
quarantined (Err 1, exactly one quarantine row holding it), never answered Err 2 or 500, and
what reaches a column fits it (docs/ingest.md, Hostile values)."""

from __future__ import annotations

import json
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Integer, RowMapping, select
from starlette.testclient import TestClient

from cdrhub.calls.values import clean_text
from cdrhub.store.legs import leg_to_row
from cdrhub.store.schema import legs, quarantine
from cdrhub.voicenter import normalize as normalize_module
from cdrhub.voicenter.normalize import LENGTHS, NormalizeError, normalize
from tests.conftest import sample

URL = "/voicenter/cdr/test-ingest-token-0123456789"
JSON = {"content-type": "application/json"}
OK = {"Err": 0, "Errdesc": "OK"}


def post(client: TestClient, wire: Any) -> Any:
    return client.post(URL, content=json.dumps(wire).encode(), headers=JSON)


def leg_rows(app: FastAPI) -> list[RowMapping]:
    with app.state.engine.connect() as conn:
        return list(conn.execute(select(legs).order_by(legs.c.id)).mappings())


def quarantined(app: FastAPI) -> list[tuple[bytes, str]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(quarantine.c.body, quarantine.c.reason).order_by(quarantine.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def nested(levels: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def depth_of(value: Any) -> tuple[int, Any]:
    """(lists around the innermost value, that value)."""
    levels = 0
    while isinstance(value, list):
        value, levels = value[0], levels + 1
    return levels, value


ANSWERED = sample("outgoing-answered.json")
ABANDONED = sample("queue-abandoned.json")


def test_an_ivruniqueid_too_long_for_its_column_is_quarantined(
    app: FastAPI, client: TestClient
) -> None:
    """Cut to 128 characters it would be another CDR's key: refused, with a clear reason (it
    was answered Err 2 on every delivery)."""
    long_id = "20231115092000" + "a" * 115  # 129 characters
    wire = {**ANSWERED, "ivruniqueid": long_id}
    for _delivery in range(2):
        response = post(client, wire)
        assert (response.status_code, response.json()) == (
            200,
            {
                "Err": 1,
                "Errdesc": "ivruniqueid longer than 128 characters: the CDR cannot be stored"
                " under its own key",
            },
        )
    assert leg_rows(app) == []
    assert [body for body, _reason in quarantined(app)] == [json.dumps(wire).encode()]

    fits = {**ANSWERED, "ivruniqueid": long_id[:128]}
    assert post(client, fits).json() == OK
    assert [r["ivruniqueid"] for r in leg_rows(app)] == [long_id[:128]]


def test_an_id_too_long_in_an_array_leaves_the_other_cdrs_stored(
    app: FastAPI, client: TestClient
) -> None:
    wires = [{**ANSWERED, "ivruniqueid": "x" * 200}, ABANDONED]
    response = post(client, wires)
    assert response.json() == {
        "Err": 1,
        "Errdesc": "stored 1 CDR(s); quarantined the body: CDR 0: ivruniqueid longer than 128"
        " characters: the CDR cannot be stored under its own key",
    }
    assert [r["ivruniqueid"] for r in leg_rows(app)] == [ABANDONED["ivruniqueid"]]
    assert len(quarantined(app)) == 1


@pytest.mark.parametrize("field", ["aiData", "IVR", "CustomData", "var_deep", "Unknown"])
def test_a_field_nested_500_deep_is_stored_with_its_depth_kept_as_text(
    app: FastAPI, client: TestClient, field: str
) -> None:
    """Beyond 32 levels a value is kept as its JSON text (it raised RecursionError: Err 1 for
    aiData, a 500 for an unknown field)."""
    wire = {**ANSWERED, field: nested(500)}
    assert post(client, wire).json() == OK
    [row] = leg_rows(app)
    levels, inner = depth_of(row["raw"][field])
    assert levels == 31  # the record itself is the 32nd level
    assert inner == "[" * 469 + '"x"' + "]" * 469
    assert row["raw_body"] == json.dumps(wire).encode()


def test_a_body_nested_10000_deep_is_stored(app: FastAPI, client: TestClient) -> None:
    """Deeper than Python's JSON parser goes: the levels below 64 are read as their text."""
    body = b'{"ivruniqueid": "20231115092000deep", "aiData": ' + b"[" * 10_000
    body += b'"x"' + b"]" * 10_000 + b"}"
    response = client.post(URL, content=body, headers=JSON)
    assert response.json() == OK
    [row] = leg_rows(app)
    assert row["raw_body"] == body
    levels, inner = depth_of(row["raw"]["aiData"])
    assert levels == 31
    assert isinstance(inner, str) and inner.startswith("[[[") and len(inner) > 60


@pytest.mark.parametrize("odd", ["²", "٣", "Ⅻ", "1²", "\ud800", "99999999999999999999"])
def test_a_type_of_odd_characters_is_stored_as_an_unknown_type(
    app: FastAPI, client: TestClient, odd: str
) -> None:
    """ "²".isdigit() is True and int("²") raises: such a type was quarantined."""
    wire = {**ABANDONED, "type": odd}
    assert post(client, wire).json() == OK
    [row] = leg_rows(app)
    expected = "\ufffd" if odd == "\ud800" else odd
    assert (row["type"], row["type_key"], row["type_id"]) == (expected, None, None)
    assert row["direction"] == "in"  # guessed from the DID
    metrics = client.get("/metrics").text
    assert "\ncdrhub_unknown_types_total 1.0\n" in metrics  # one series; the name: /api/unknowns


def test_odd_digits_are_no_numbers(app: FastAPI, client: TestClient) -> None:
    """float("٣") is 3.0 in Python; Voicenter sends ASCII digits, so other digits are kept in
    raw only."""
    wire = {**ANSWERED, "duration": "٣", "price": "²", "queueid": "١٢", "time": "١٧٠٠٠٤٠٠٠٠"}
    assert post(client, wire).json() == OK
    [row] = leg_rows(app)
    assert (row["duration"], row["price_agorot"], row["queue_id"], row["time_raw"]) == (
        None,
        None,
        None,
        None,
    )
    assert row["raw"]["duration"] == "٣"


@pytest.mark.parametrize(
    "changes",
    [
        {"duration": 10**400},  # beyond any float: int -> float raised OverflowError
        {"duration": 2**70, "dialtime": 2**31, "queueid": 2**63, "DepartmentID": -(2**64)},
        {"duration": 1e308, "price": 1e308, "queueid": 1e308, "seconds_waiting_in_queue": 1e300},
        {"duration": "1" * 5000, "time": "9" * 30, "TopDepartmentID": "12" * 20},
        {"time": 2**62},  # no datetime
        {"time": 253_402_300_000},  # the year 9999: the rollups' next year is no date
        {"time": -62_135_596_800},  # the year 1
    ],
)
def test_numbers_beyond_their_columns_are_left_out(
    app: FastAPI, client: TestClient, changes: dict[str, Any]
) -> None:
    wire = {**ANSWERED, **changes}
    body = json.dumps(wire).encode()
    response = client.post(URL, content=body, headers=JSON)
    assert (response.status_code, response.json()) == (200, OK)
    [row] = leg_rows(app)
    for column in ("duration", "dialtime", "queue_id", "department_id", "top_department_id"):
        value = row[column]
        assert value is None or abs(value) < 2**31, (column, value)
    if "time" in changes:
        # the start is read from the ivruniqueid prefix instead
        assert str(row["started_at_local"]) == "2023-11-15 09:20:00"
    assert row["raw_body"] == body


def test_two_huge_durations_do_not_overflow_the_rollups(app: FastAPI, client: TestClient) -> None:
    """NULL in the column, and nothing in the rollups (two of 2^62 would sum beyond a
    bigint)."""
    wires = [
        {**ANSWERED, "ivruniqueid": f"20231115092000big{i}", "duration": 2**62} for i in range(2)
    ]
    assert post(client, wires).json() == OK
    assert [r["duration"] for r in leg_rows(app)] == [None, None]


def test_nul_characters_in_text_are_removed(app: FastAPI, client: TestClient) -> None:
    wire = {
        **ABANDONED,
        "queuename": "Sa\x00les",
        "representative_name": "\x00",
        "a\x00key": "a\x00value",
        "IVR": [{"layer_id": "1\x00", "layer_name": "Main\x00", "Dtmf": "2", "dtmf_order": 1}],
    }
    assert post(client, wire).json() == OK
    [row] = leg_rows(app)
    assert (row["queue_name"], row["representative_name"]) == ("Sales", None)
    assert row["raw"]["a\ufffdkey"] == "a\ufffdvalue"
    assert row["unknown_fields"] == ["a\ufffdkey"]
    assert row["ivr"][0]["layer_name"] == "Main"


def test_lone_surrogates_anywhere_are_replaced(app: FastAPI, client: TestClient) -> None:
    """A JSON `\\ud800` escape decodes to a lone surrogate, which psycopg and sqlite3 cannot
    encode (a 500)."""
    wire = {**ABANDONED, "queuename": "Q\ud800", "k\udfff": ["v\ud800"], "aiData": {"\ud83d": 1}}
    body = json.dumps(wire).encode()  # ASCII, with the escapes
    assert client.post(URL, content=body, headers=JSON).json() == OK
    [row] = leg_rows(app)
    assert row["queue_name"] == "Q\ufffd"
    assert row["raw"]["k\ufffd"] == ["v\ufffd"]
    assert row["ai_data"] == {"\ufffd": 1}
    assert row["raw_body"] == body


def test_text_longer_than_its_column_is_left_out_and_kept_in_raw(
    app: FastAPI, client: TestClient
) -> None:
    wire = {
        **ANSWERED,
        "caller": "0" * 65,
        "representative_code": "c" * 65,
        "representative_name": "n" * 256,
        "queuename": "q" * 255,  # fits
        "OriginalIvrUniqueID": "o" * 129,
        "type": "t" * 300,
        "status": "s" * 40,
        "record": "https://example.invalid/" + "r" * 5000,  # a text column: any length
    }
    assert post(client, wire).json() == OK
    [row] = leg_rows(app)
    assert (row["caller"], row["caller_e164"]) == (None, None)
    assert (row["representative_code"], row["representative_name"]) == (None, None)
    assert (row["agent_code"], row["agent_name"]) == ("SIPSIP", "Walter Melon")  # the extension
    assert row["queue_name"] == "q" * 255
    assert row["original_ivruniqueid"] is None
    assert (row["type"], row["type_key"], row["status"]) == ("t" * 64, None, "S" * 32)
    assert row["record_url"] == wire["record"]
    assert row["raw"]["representative_name"] == "n" * 256


hostile_text = st.one_of(
    st.text(max_size=3),
    st.text(min_size=60, max_size=300),
    st.sampled_from(["²", "٣", "\x00", "\ud800", "1e999", "-0", "9" * 40, "ß" * 20, "ﬃ" * 12]),
)
hostile_number = st.one_of(
    st.integers(-(2**80), 2**80), st.floats(), st.just(10**400), hostile_text
)


@settings(max_examples=200, deadline=None)
@given(
    ivruniqueid=st.text(min_size=1, max_size=128).filter(str.strip),
    texts=st.dictionaries(st.sampled_from(sorted(normalize_module.KNOWN_FIELDS)), hostile_text),
    numbers=st.dictionaries(
        st.sampled_from(["duration", "dialtime", "time", "queueid", "price", "departmentid",
                         "topdepartmentid", "seconds_waiting_in_queue"]),
        hostile_number,
    ),
)  # fmt: skip
def test_every_value_normalize_sets_fits_its_column(
    ivruniqueid: str, texts: dict[str, Any], numbers: dict[str, Any]
) -> None:
    """Whatever the fields hold: text no longer than its column, free of NUL and lone
    surrogates; integers within their column's range; no NaN or infinity."""
    wire = {**texts, **numbers, "ivruniqueid": ivruniqueid}
    try:
        leg = normalize(wire, tz=ZoneInfo("Asia/Jerusalem"))
    except NormalizeError:
        assert not clean_text(ivruniqueid).strip()
        return
    row = leg_to_row(leg)
    for column in legs.c:
        value = getattr(leg, column.name, None)
        if isinstance(value, str):
            assert len(value) <= (LENGTHS.get(column.name) or len(value)), column.name
            assert "\x00" not in value and not re.search("[\ud800-\udfff]", value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int) and isinstance(column.type, Integer):  # not JSON
            limit = 2**63 - 1 if isinstance(column.type, BigInteger) else 2**31 - 1
            assert -limit <= value <= limit, column.name
        elif isinstance(value, float):
            assert math.isfinite(value), column.name
        if column.name in row and not isinstance(value, (list, dict, tuple)):
            assert row[column.name] == value, column.name  # nothing left for the store to fit
