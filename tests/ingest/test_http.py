"""The webhook and the read API over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.ingest.replay import replay
from cdrhub.store.schema import leg_versions, legs, quarantine
from cdrhub.web.app import create_app
from tests.conftest import sample, sample_bytes

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
XML = {"content-type": "text/xml"}
API = {"authorization": "Bearer test-api-key-0123456789"}
URL = "/voicenter/cdr/test-ingest-token-0123456789"
OK_JSON = {"Err": 0, "Errdesc": "OK"}


def count(app: FastAPI, table=legs) -> int:  # type: ignore[no-untyped-def]
    with app.state.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def get_call(client: TestClient, ivruniqueid: str) -> dict:
    response = client.get(f"/api/calls/{ivruniqueid}", headers=API)
    assert response.status_code == 200, response.text
    return response.json()


# --- every sample, every encoding -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "outgoing-answered.json",
        "queue-abandoned.json",
        "incoming-ivr-as-string.json",
        "click2call-leg1.json",
        "click2call-leg2.json",
    ],
)
def test_json_samples_are_stored(client: TestClient, name: str) -> None:
    response = client.post(URL, content=sample_bytes(name), headers=JSON)
    assert response.status_code == 200
    assert response.json() == OK_JSON
    wire = sample(name)
    call = get_call(client, wire["ivruniqueid"])
    assert call["raw"] == wire
    assert call["deliveries"] == 1
    assert call["encoding"] == "json"


def test_outgoing_call_api_shape(client: TestClient) -> None:
    client.post(URL, content=sample_bytes("outgoing-answered.json"), headers=JSON)
    call = get_call(client, "20231115092000abcd1234")
    expected = {
        "ivruniqueid": "20231115092000abcd1234",
        "type": "Extension Outgoing",
        "type_id": 4,
        "direction": "out",
        "status": "ANSWER",
        "started_at": "2023-11-15T07:20:00Z",
        "started_at_local": "2023-11-15T09:20:00+02:00",
        "caller": "0722776772",
        "caller_e164": "+972722776772",
        "target": "972501234567",
        "target_e164": "+972501234567",
        "did": None,
        "duration": 11,
        "dialtime": 2,
        "wait_seconds": None,
        "queue_id": None,
        "queue_name": None,
        "agent_code": "9996",
        "agent_name": "Walter Melon",
        "department_id": 123456,
        "record_url": "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/20231115092000abcd1234-aws.mp3",
        "price_agorot": 7,
        "original_ivruniqueid": None,
        "ivr": [],
        "deliveries": 1,
    }
    assert {k: call[k] for k in expected} == expected


def test_xmlrpc_sample_answers_in_xmlrpc(client: TestClient) -> None:
    response = client.post(URL, content=sample_bytes("outgoing-answered.xmlrpc.xml"), headers=XML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<methodResponse>" in response.text
    assert "<member><name>Err</name><value><int>0</int></value></member>" in response.text
    call = get_call(client, "20231115092000abcd1234")
    assert call["encoding"] == "xmlrpc"
    assert call["price_agorot"] == 7 and call["target_e164"] == "+972501234567"


def test_form_sample_answers_in_form(client: TestClient) -> None:
    response = client.post(URL, content=sample_bytes("queue-abandoned.form.txt"), headers=FORM)
    assert response.status_code == 200
    assert response.text == "Err=0&Errdesc=OK"
    call = get_call(client, "20231115120640qwer5678")
    assert call["ivr"] == [
        {
            "layer_id": 1234567,
            "layer_name": "Main IVR",
            "layer_number": None,
            "dtmf": "2",
            "order": 1,
        }
    ]
    assert (call["wait_seconds"], call["queue_id"], call["caller_e164"]) == (
        20,
        1234567,
        "+972501234567",
    )


def test_form_with_ivr_as_json_string(client: TestClient) -> None:
    wire = sample("incoming-ivr-as-string.json")
    body = urlencode({k: "" if v is None else v for k, v in wire.items()})
    assert client.post(URL, content=body, headers=FORM).text == "Err=0&Errdesc=OK"
    call = get_call(client, wire["ivruniqueid"])
    assert [s["layer_name"] for s in call["ivr"]] == ["תפריט ראשי", "שירות לקוחות"]


def test_get_query_string(client: TestClient) -> None:
    query = urlencode(
        {
            "ivruniqueid": "20240101090000get",
            "caller": "0501234567",
            "type": "Incoming Call",
            "status": "ANSWER",
        }
    )
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200 and response.text == "Err=0&Errdesc=OK"
    assert get_call(client, "20240101090000get")["caller_e164"] == "+972501234567"


def test_json_array_stores_each(client: TestClient, app: FastAPI) -> None:
    body = json.dumps([sample("click2call-leg1.json"), sample("click2call-leg2.json")])
    assert client.post(URL, content=body, headers=JSON).json() == OK_JSON
    assert count(app) == 2


# --- authentication and limits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/voicenter/cdr?token=test-ingest-token-0123456789", {}),
        (
            "/voicenter/cdr",
            {
                "authorization": "Basic "
                + base64.b64encode(b"voicenter:test-ingest-token-0123456789").decode()
            },
        ),
        (
            "/voicenter/cdr",
            {
                "authorization": "Basic "
                + base64.b64encode(b"test-ingest-token-0123456789:").decode()
            },
        ),
    ],
)
def test_other_token_forms(client: TestClient, app: FastAPI, url: str, headers: dict) -> None:
    response = client.post(
        url, content=sample_bytes("outgoing-answered.json"), headers={**JSON, **headers}
    )
    assert response.json() == OK_JSON
    assert count(app) == 1


@pytest.mark.parametrize(
    "url",
    [
        URL.replace("test-ingest-token-0123456789", "wrong"),
        "/voicenter/cdr",
        "/voicenter/cdr?token=nope",
    ],
)
def test_wrong_or_missing_token_is_401_and_stores_nothing(
    client: TestClient, app: FastAPI, url: str
) -> None:
    response = client.post(url, content=sample_bytes("outgoing-answered.json"), headers=JSON)
    assert response.status_code == 401
    assert count(app) == 0 and count(app, quarantine) == 0


def test_allow_list(settings: Settings) -> None:
    app = create_app(
        settings.with_(ingest_allow=(__import__("ipaddress").ip_network("10.1.0.0/16"),))
    )
    body = sample_bytes("outgoing-answered.json")
    outside = TestClient(app, client=("192.0.2.7", 1000)).post(URL, content=body, headers=JSON)
    assert outside.status_code == 403
    assert count(app) == 0
    inside = TestClient(app, client=("10.1.2.3", 1000)).post(URL, content=body, headers=JSON)
    assert inside.json() == OK_JSON
    app.state.engine.dispose()


def test_body_over_limit_is_413(settings: Settings) -> None:
    app = create_app(settings.with_(max_body_bytes=1000))
    client = TestClient(app)
    response = client.post(URL, content=b'{"ivruniqueid": "' + b"x" * 2000 + b'"}', headers=JSON)
    assert response.status_code == 413
    assert count(app) == 0 and count(app, quarantine) == 0
    app.state.engine.dispose()


def test_entity_bomb_is_quarantined_not_expanded(client: TestClient, app: FastAPI) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<methodCall>&c;</methodCall>"
    )
    response = client.post(URL, content=bomb, headers=XML)
    assert response.status_code == 200
    assert "<int>1</int>" in response.text and "XML refused" in response.text
    assert count(app, quarantine) == 1


# --- errors: quarantine and storage failure ---------------------------------------------------


def test_unreadable_body_is_quarantined_once_and_answered_err_1(
    client: TestClient, app: FastAPI
) -> None:
    body = b'{"caller": "0501234567", "time": 1700040000'
    for _ in range(2):
        response = client.post(URL, content=body, headers={**JSON, "x-trace": "t1"})
        assert response.status_code == 200
        assert response.json()["Err"] == 1
        assert "invalid JSON" in response.json()["Errdesc"]
    listed = client.get("/api/quarantine", headers=API).json()
    assert listed["next_cursor"] is None
    items = listed["items"]
    assert len(items) == 1
    assert "body" not in items[0] and items[0]["size"] == len(body)
    assert items[0]["received_count"] == 2
    assert items[0]["content_type"] == "application/json"
    assert items[0]["method"] == "POST"
    one = client.get(f"/api/quarantine/{items[0]['id']}", headers=API).json()
    assert (one["body"], one["body_base64"], one["received_count"]) == (body.decode(), None, 2)
    assert one["headers"]["x-trace"] == "t1"
    assert client.get("/api/quarantine/999999", headers=API).status_code == 404
    with app.state.engine.connect() as conn:
        row = conn.execute(select(quarantine)).mappings().one()
    assert row["body"] == body
    assert row["headers"]["x-trace"] == "t1"


def test_cdr_without_id_is_quarantined(client: TestClient, app: FastAPI) -> None:
    response = client.post(URL, content=b"caller=0501234567&type=Queue", headers=FORM)
    assert response.text == "Err=1&Errdesc=no+ivruniqueid%3A+the+CDR+cannot+be+stored+idempotently"
    assert count(app) == 0 and count(app, quarantine) == 1


def test_array_with_one_bad_item_stores_the_good_and_keeps_the_body(
    client: TestClient, app: FastAPI
) -> None:
    body = json.dumps([sample("click2call-leg1.json"), {"caller": "x"}]).encode()
    response = client.post(URL, content=body, headers=JSON)
    assert response.json()["Err"] == 1
    assert response.json()["Errdesc"].startswith(
        "stored 1 CDR(s); quarantined the body: CDR 1: no ivruniqueid"
    )
    assert count(app) == 1 and count(app, quarantine) == 1


def test_storage_failure_is_err_2_with_503(settings: Settings) -> None:
    broken = settings.with_(database_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    app = create_app(broken, migrate=False)
    client = TestClient(app)
    for name, headers, expect_type in [
        ("outgoing-answered.json", JSON, "application/json"),
        ("outgoing-answered.xmlrpc.xml", XML, "text/xml"),
        ("queue-abandoned.form.txt", FORM, "application/x-www-form-urlencoded"),
    ]:
        response = client.post(URL, content=sample_bytes(name), headers=headers)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith(expect_type)
    assert (
        client.post(URL, content=b"{bad", headers=JSON).status_code == 503
    )  # quarantine failed too
    assert client.get("/readyz").status_code == 503


# --- idempotency ------------------------------------------------------------------------------


def test_redelivery_counts_and_stores_once(client: TestClient, app: FastAPI) -> None:
    for _ in range(3):
        assert (
            client.post(URL, content=sample_bytes("queue-abandoned.json"), headers=JSON).json()
            == OK_JSON
        )
    # the same CDR in another encoding is the same content
    assert (
        client.post(URL, content=sample_bytes("queue-abandoned.form.txt"), headers=FORM).status_code
        == 200
    )
    call = get_call(client, "20231115120640qwer5678")
    assert count(app) == 1
    assert call["deliveries"] == 4
    assert call["revision"] in (1, 2)  # the form body lacks fields (IVR step 2), so it may revise


def test_changed_content_revises_and_keeps_the_earlier_version(
    client: TestClient, app: FastAPI
) -> None:
    first = sample("outgoing-answered.json")
    second = {**first, "duration": 12, "price": 8}
    client.post(URL, content=json.dumps(first), headers=JSON)
    client.post(URL, content=json.dumps(second), headers=JSON)
    client.post(URL, content=json.dumps(second), headers=JSON)
    call = get_call(client, first["ivruniqueid"])
    assert (call["duration"], call["price_agorot"], call["revision"], call["deliveries"]) == (
        12,
        8,
        2,
        3,
    )
    with app.state.engine.connect() as conn:
        versions = list(conn.execute(select(leg_versions)).mappings())
    assert len(versions) == 1
    assert versions[0]["raw"] == first and versions[0]["revision"] == 1


# --- read API ---------------------------------------------------------------------------------


def _load_samples(client: TestClient) -> None:
    for name in (
        "outgoing-answered.json",
        "queue-abandoned.json",
        "incoming-ivr-as-string.json",
        "click2call-leg1.json",
        "click2call-leg2.json",
    ):
        client.post(URL, content=sample_bytes(name), headers=JSON)


def ids(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/api/calls?{query}", headers=API)
    assert response.status_code == 200, response.text
    return [c["ivruniqueid"] for c in response.json()["calls"]]


def test_list_filters(client: TestClient) -> None:
    _load_samples(client)
    newest_first = [
        "20231115174005legB0002",
        "20231115174000legA0001",
        "20231115145320zxcv9012",
        "20231115120640qwer5678",
        "20231115092000abcd1234",
    ]
    assert ids(client, "") == newest_first
    assert ids(client, "phone=%2B972-50-123-4567") == [
        "20231115120640qwer5678",
        "20231115092000abcd1234",
    ]
    assert ids(client, "phone=0501234567&direction=in") == ["20231115120640qwer5678"]
    assert ids(client, "agent=2001") == ["20231115174005legB0002", "20231115174000legA0001"]
    assert ids(client, "type=click2callleg2") == ["20231115174005legB0002"]
    assert ids(client, "status=abandone") == ["20231115120640qwer5678"]
    assert ids(client, "queue=1234567") == ["20231115120640qwer5678"]
    assert ids(client, "queue=Sales%20Queue") == ["20231115120640qwer5678"]
    # an ISO datetime `to` is exclusive, as in every report: the leg that starts at 17:40:00
    # local is after the range, a second later it is in it
    assert ids(client, "from=2023-11-15T12:00:00&to=2023-11-15T17:40:00") == [
        "20231115145320zxcv9012",
        "20231115120640qwer5678",
    ]
    assert ids(client, "from=2023-11-15T12:00:00&to=2023-11-15T17:40:01") == [
        "20231115174000legA0001",
        "20231115145320zxcv9012",
        "20231115120640qwer5678",
    ]
    assert ids(client, "from=2023-11-15T12:06:40&to=2023-11-15T12:06:41") == [
        "20231115120640qwer5678"
    ]
    assert ids(client, "from=2023-11-15&to=2023-11-15") == newest_first
    assert ids(client, "from=2023-11-16") == []
    assert client.get("/api/calls?from=yesterday", headers=API).status_code == 422


def test_cursor_pagination(client: TestClient) -> None:
    _load_samples(client)
    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/calls?{query}", headers=API).json()
        seen += [c["ivruniqueid"] for c in page["calls"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids(client, "")


def test_api_needs_the_key(client: TestClient) -> None:
    assert client.get("/api/calls").status_code == 401
    assert client.get("/api/calls", headers={"authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/calls/none", headers=API).status_code == 404


def test_quarantine_replay_after_a_fix(
    client: TestClient, app: FastAPI, settings: Settings
) -> None:
    # A body our decoder cannot read today (no ivruniqueid) ...
    body = b'{"IvrUniqueIdentifier": "20240101000000fix", "caller": "0501234567"}'
    client.post(URL, content=body, headers=JSON)
    still = replay(app.state.engine, settings, [])
    assert [(r.stored, r.error) for r in still] == [
        (0, "no ivruniqueid: the CDR cannot be stored idempotently")
    ]
    # ... is replayed once the fix is in: here the fix is the CDR itself being corrected.
    with app.state.engine.begin() as conn:
        conn.execute(
            quarantine.update().values(body=body.replace(b"IvrUniqueIdentifier", b"ivruniqueid"))
        )
    done = replay(app.state.engine, settings, [])
    assert [(r.stored, r.error) for r in done] == [(1, None)]
    assert get_call(client, "20240101000000fix")["caller_e164"] == "+972501234567"
    assert client.get("/api/quarantine", headers=API).json()["items"] == []


# --- health and metrics -----------------------------------------------------------------------


def test_health_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}
    client.post(URL, content=sample_bytes("outgoing-answered.json"), headers=JSON)
    client.post(URL, content=sample_bytes("outgoing-answered.json"), headers=JSON)
    client.post(URL, content=b"{", headers=JSON)
    unknown = {"ivruniqueid": "20240101000000m", "type": "HoloCall", "status": "BEAMED", "time": 1}
    client.post(URL, content=json.dumps(unknown), headers=JSON)
    text = client.get("/metrics").text
    assert 'cdrhub_cdrs_total{encoding="json",result="new"} 2.0' in text
    assert 'cdrhub_cdrs_total{encoding="json",result="duplicate"} 1.0' in text
    assert 'cdrhub_cdrs_total{encoding="json",result="quarantined"} 1.0' in text
    assert "cdrhub_quarantined_total 1.0" in text
    assert "cdrhub_unknown_types_total 1.0" in text  # named in /api/unknowns, not here
    assert "cdrhub_unknown_statuses_total 1.0" in text
    assert "cdrhub_time_prefix_mismatches_total 1.0" in text
    assert 'cdrhub_ack_seconds_count{encoding="json"} 4.0' in text


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/voicenter/cdr/{token}",
        "/api/calls",
        "/api/calls/{ivruniqueid}",
        "/api/quarantine",
    } <= set(paths)


def test_generated_token_is_kept_and_required(settings: Settings) -> None:
    unset = settings.with_(ingest_token=None, api_key=None)
    first = create_app(unset)
    generated = first.state.generated_secrets
    token, key = generated["ingest_token"], generated["api_key"]
    assert len(token) >= 32 and len(key) >= 32 and token != key
    first.state.engine.dispose()
    second = create_app(unset)
    assert second.state.generated_secrets == {}  # kept (hashed): not generated again
    client = TestClient(second)
    body = sample_bytes("outgoing-answered.json")
    assert client.post("/voicenter/cdr", content=body, headers=JSON).status_code == 401
    assert client.post(f"/voicenter/cdr/{token}", content=body, headers=JSON).json() == OK_JSON
    assert client.get("/api/calls", headers={"authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/api/calls", headers={"authorization": f"Bearer {token}"}).status_code == 401
