"""Odd input at the edge (hardening issue, hole 9): dates at the ends of time, huge integers,
long lists, long-lived links, NUL characters. Each is a 422 with one clear line (or FastAPI's
field errors), never a 500 or Python error text; SQL parameters never reach a log or an error.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from starlette.testclient import TestClient

from cdrhub import domains
from cdrhub.store.schema import legs
from tests.analytics.helpers import answered_in_queue, store

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
BIG = 2**63
MAX = 2**63 - 1
LE_MAX = f"Input should be less than or equal to {MAX}"
DATES = "between 1970-01-01 and 2100-12-31"


def _get(client: TestClient, url: str, **params: object):
    return client.get(url, params=params, headers=AUTH)


def _field_error(response) -> tuple[int, list, str]:
    (error,) = response.json()["detail"]
    return response.status_code, error["loc"], error["msg"]


# --- dates at the ends of time ------------------------------------------------------------------

EDGES = [
    ({"from": "0001-01-01"}, "`from` must be a date " + DATES),
    ({"to": "9999-12-31"}, "`to` must be a date " + DATES),
    ({"from": "9999-12-31"}, "`from` must be a date " + DATES),
    ({"to": "0001-01-01"}, "`to` must be a date " + DATES),
    ({"to": "9999-12-31T23:59:59"}, "`to` must be a date or datetime " + DATES),
    ({"from": "0001-01-01T00:00:00+01:00"}, "`from` must be a date or datetime " + DATES),
]


@pytest.mark.parametrize(("params", "message"), EDGES)
def test_calls_dates_out_of_range(client: TestClient, params: dict, message: str) -> None:
    response = _get(client, "/api/calls", **params)
    assert (response.status_code, response.json()) == (422, {"detail": message})


@pytest.mark.parametrize("name", sorted(domains.reports()))
def test_every_report_bounds_its_dates(client: TestClient, name: str) -> None:
    for params, message in EDGES:
        response = _get(client, f"/api/reports/{name}", **params)
        assert (response.status_code, response.json()) == (422, {"detail": message}), params


@pytest.mark.parametrize("name", sorted(domains.reports()))
def test_every_report_over_the_widest_range(client: TestClient, engine, settings, name) -> None:
    store(engine, settings, [answered_in_queue("2024-01-10 09:00:00", 10, "A1", 5, 60)])
    for params in (
        {"from": "1970-01-01", "to": "2100-12-31"},
        {"from": "1970-01-01T00:00:00", "to": "2100-12-31T23:59:59"},
        {"from": "1970-01-01T00:00:00+14:00", "to": "2100-12-31T23:59:59-12:00"},
    ):
        response = _get(client, f"/api/reports/{name}", **params)
        assert response.status_code == 200, (params, response.text)
        assert response.json()["filters"]["from"] == params["from"]


def test_previous_period_of_a_range_at_the_lower_bound(client, engine, settings) -> None:
    store(engine, settings, [answered_in_queue("2024-01-10 09:00:00", 10, "A1", 5, 60)])
    for params in ({"from": "1970-01-01", "to": "1970-01-31"},
                   {"from": "1970-01-01", "to": "2100-12-31"},
                   {"from": "1970-01-01T00:00:00", "to": "2100-12-31T23:59:59"}):  # fmt: skip
        rows = _get(client, "/api/reports/overview", **params).json()["rows"]
        assert [r["period"] for r in rows] == ["current", "previous"]
        assert rows[1]["legs"] == 0
    rows = _get(client, "/api/reports/overview", **{"from": "1970-01-01", "to": "2100-12-31"})
    assert rows.json()["rows"][0]["legs"] == 1


def test_calls_accept_the_bounds_themselves(client: TestClient, engine, settings) -> None:
    store(engine, settings, [answered_in_queue("2024-01-10 09:00:00", 10, "A1", 5, 60)])
    response = _get(client, "/api/calls", **{"from": "1970-01-01", "to": "2100-12-31"})
    assert (response.status_code, len(response.json()["calls"])) == (200, 1)


def test_timeline_before_out_of_range(client: TestClient) -> None:
    url = "/api/contacts/0501234567/timeline"
    for before in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59"):
        response = _get(client, url, before=before)
        assert response.json() == {"detail": "before must be a date or datetime " + DATES}
    assert _get(client, url, before="2024-01-01T00:00:00Z").status_code == 200
    response = _get(client, url, before="soon")
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "before is not a date or ISO datetime"},
    )


# --- long lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", ["queue", "agent", "department", "type"])
def test_more_than_100_values_in_a_report_filter(client: TestClient, dim: str) -> None:
    many = ",".join(str(n) for n in range(1001))
    response = _get(client, "/api/reports/queues", **{dim: many})
    assert (response.status_code, response.json()) == (
        422,
        {"detail": f"{dim}: at most 100 comma-separated values"},
    )
    hundred = ",".join(str(n) for n in range(100))
    assert _get(client, "/api/reports/queues", **{dim: hundred}).status_code == 200


def test_callbacks_within_hours(client: TestClient) -> None:
    url = "/api/reports/callbacks"
    many = ",".join(["1"] * 1001)
    assert _get(client, url, within_hours=many).json() == {
        "detail": "within_hours: at most 100 comma-separated values"
    }
    for odd in ("abc", "nan", "inf", "1e308", "-1"):
        response = _get(client, url, within_hours=f"2,{odd}")
        assert (response.status_code, response.json()) == (
            422,
            {"detail": "within_hours must be a number from 0 to 8784"},
        ), odd
    row = _get(client, url, within_hours="2,48").json()["rows"][0]
    assert row["returned_within_48h"] == 0


# --- integers beyond a BIGINT -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        (f"/api/jobs/{BIG}", ["path", "job_id"]),
        (f"/api/callbacks/{BIG}", ["path", "item_id"]),
        (f"/api/contacts/{BIG}", ["path", "contact_id"]),
        (f"/api/jobs?offset={BIG}", ["query", "offset"]),
        (f"/api/callbacks?offset={BIG}", ["query", "offset"]),
        (f"/api/contacts?offset={BIG}", ["query", "offset"]),
        (f"/api/reports/repeat-callers?min_calls={BIG}", ["query", "min_calls"]),
        (f"/api/notifications/stream?after={BIG}", ["query", "after"]),
    ],
)
def test_ids_offsets_above_a_bigint(client: TestClient, url: str, loc: list) -> None:
    assert _field_error(client.get(url, headers=AUTH)) == (422, loc, LE_MAX)


def test_ids_at_the_bigint_limit_are_looked_up(client: TestClient) -> None:
    for url in (f"/api/jobs/{MAX}", f"/api/callbacks/{MAX}", f"/api/contacts/{MAX}"):
        assert client.get(url, headers=AUTH).status_code == 404, url
    for url in (f"/api/jobs?offset={MAX}", f"/api/contacts?offset={MAX}"):
        assert client.get(url, headers=AUTH).status_code == 200, url
    retry = client.post(f"/api/jobs/{BIG}/retry", headers=AUTH)
    assert _field_error(retry) == (422, ["path", "job_id"], LE_MAX)


def test_calls_queue_and_cursor_above_a_bigint(client: TestClient) -> None:
    response = _get(client, "/api/calls", queue=str(BIG))
    assert (response.status_code, response.json()) == (
        422,
        {"detail": f"queue must be a whole number between 0 and {MAX}"},
    )
    assert _get(client, "/api/calls", queue=str(MAX)).json()["calls"] == []
    assert _get(client, "/api/calls", queue="²").json()["calls"] == []  # a name, not a number
    for text in (f"2024-01-01T00:00:00|{BIG}", "0001-01-01T00:00:00|1", "9999-12-31T00:00:00|1",
                 "2024-01-01T00:00:00+02:00|1", "2024-01-01T00:00:00|-1", "x|1"):  # fmt: skip
        cursor = base64.urlsafe_b64encode(text.encode()).decode()
        response = _get(client, "/api/calls", cursor=cursor)
        assert (response.status_code, response.json()) == (422, {"detail": "invalid cursor"}), text


def test_report_queue_above_a_bigint_is_a_name(client: TestClient, engine, settings) -> None:
    # report dimensions are text codes: no number to overflow, nothing matches
    store(engine, settings, [answered_in_queue("2024-01-10 09:00:00", 10, "A1", 5, 60)])
    for name in ("queues", "overview"):
        response = _get(client, f"/api/reports/{name}", queue=str(BIG))
        assert response.status_code == 200
    assert _get(client, "/api/reports/queues", queue=str(BIG)).json()["rows"] == []


def test_min_calls(client: TestClient) -> None:
    url = "/api/reports/repeat-callers"
    assert _field_error(_get(client, url, min_calls="abc"))[0:2] == (422, ["query", "min_calls"])
    assert _field_error(_get(client, url, min_calls="0"))[0:2] == (422, ["query", "min_calls"])
    assert _get(client, url, min_calls=str(MAX)).json()["rows"] == []


def test_min_calls_checked_without_the_http_layer(engine, settings) -> None:
    from cdrhub.analytics.service import run_report
    from cdrhub.inputs import InputError

    for given in (str(BIG), "abc", "1_000"):
        with pytest.raises(InputError) as caught:
            run_report(engine, settings, "repeat-callers", {"min_calls": given})
        assert str(caught.value) == f"min_calls must be a whole number between 1 and {MAX}"


# --- embed links --------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [10**21, 10**11, 366 * 86400 + 1, 0])
def test_embed_link_lifetime_is_bounded(client: TestClient, ttl: int) -> None:
    response = client.post(
        "/api/embed-links", json={"phone": "0501234567", "ttl_seconds": ttl}, headers=AUTH
    )
    expected = "Input should be greater than 0" if ttl == 0 else (
        "Input should be less than or equal to 31622400"
    )  # fmt: skip
    assert _field_error(response) == (422, ["body", "ttl_seconds"], expected)


def test_embed_link_of_366_days(client: TestClient) -> None:
    response = client.post(
        "/api/embed-links", json={"phone": "0501234567", "ttl_seconds": 366 * 86400}, headers=AUTH
    )
    assert response.status_code == 201


def test_embed_ttl_setting_is_bounded(settings) -> None:
    from cdrhub.config import ConfigError
    from cdrhub.crm.settings import load_crm_settings

    for ttl in (10**11, 0, "1"):
        odd = settings.with_(file={"crm": {"embed": {"ttl_seconds": ttl}}})
        with pytest.raises(ConfigError) as caught:
            load_crm_settings(odd, env={})
        assert str(caught.value) == "[crm.embed] ttl_seconds must be 1 to 31622400 (366 days)"


# --- NUL characters and undecodable bodies (PostgreSQL refuses NUL in any text parameter) -------


def test_nul_in_query_path_or_body(client: TestClient) -> None:
    nul = {"detail": "NUL characters are not accepted"}
    for url in ("/api/calls?agent=a%00b", "/api/calls/a%00b", "/api/jobs?kind=%00",
                "/api/contacts/05%0001234567/timeline", "/api/reports/queues?queue=%00"):  # fmt: skip
        response = client.get(url, headers=AUTH)
        assert (response.status_code, response.json()) == (422, nul), url
    response = client.post("/api/contacts", json={"name": "a\x00", "phones": ["0501234567"]},
                           headers=AUTH)  # fmt: skip
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Value error, NUL characters are not accepted"
    response = client.post("/api/optouts", json={"number": "0501234567", "reason": "\x00"},
                           headers=AUTH)  # fmt: skip
    assert response.status_code == 422


def test_nul_in_a_signed_widget_link(client: TestClient) -> None:
    path = client.post("/api/embed-links", json={"phone": "0501234567"}, headers=AUTH).json()
    query = path["path"].split("?", 1)[1]
    url = f"/embed/recordings/a%00b?phone=%2B972501234567&{query}"
    response = client.get(url)
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "NUL characters are not accepted"},
    )
    assert client.get(url.replace("a%00b", "ab")).status_code == 404  # not a call of theirs


def test_undecodable_body_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/contacts",
        content=b"\xff\xfe{",
        headers={**AUTH, "content-type": "application/json"},
    )
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "There was an error parsing the body"},
    )


def test_contact_fields_fit_their_columns(client: TestClient) -> None:
    long = {"name": "x" * 256, "phones": ["0501234567"]}
    response = client.post("/api/contacts", json=long, headers=AUTH)
    assert _field_error(response)[0:2] == (422, ["body", "name"])
    ids = {"external_ids": {"s" * 33: "1"}, "phones": ["0501234567"]}
    assert client.post("/api/contacts", json=ids, headers=AUTH).status_code == 422


# --- unexpected errors, readiness, and SQL parameters -------------------------------------------


def test_unexpected_error_is_a_plain_500(app: FastAPI, caplog) -> None:
    def boom() -> None:
        raise OverflowError("date value out of range: secret-42")

    app.add_api_route("/api/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="cdrhub.web"):
        response = client.get("/api/boom")
    assert (response.status_code, response.json()) == (500, {"detail": "internal error"})
    assert "secret-42" not in response.text
    assert "unexpected error in GET /api/boom" in caplog.text
    assert "OverflowError: date value out of range: secret-42" in caplog.text  # the traceback


def test_readiness_does_not_tell_the_database_error(settings, caplog) -> None:
    from cdrhub.web.app import create_app

    broken = settings.with_(database_url="postgresql+psycopg://postgres:pw-7f3@127.0.0.1:1/none")
    client = TestClient(create_app(broken, migrate=False))
    with caplog.at_level(logging.ERROR, logger="cdrhub.health"):
        response = client.get("/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "reason": "the database did not take a write"},
    )
    assert "readiness: the heartbeat failed" in caplog.text
    assert "pw-7f3" not in caplog.text


def test_database_errors_and_logs_hide_parameters(engine, caplog) -> None:
    # The marker is not the duplicated key, which PostgreSQL's own message repeats.
    marker = "secret-parameter-7731"
    row = {"ivruniqueid": "dup-1", "type": "Queue", "direction": "in", "status": "ANSWER",
           "status_known": True, "raw": {}, "encoding": "json", "content_hash": marker,
           "revision": 1, "deliveries": 1, "first_received_at": datetime(2024, 1, 1),
           "last_received_at": datetime(2024, 1, 1)}  # fmt: skip
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        with engine.begin() as conn:
            conn.execute(insert(legs).values(row))
            assert conn.execute(select(legs.c.id).where(legs.c.content_hash == marker)).first()
        with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
            conn.execute(insert(legs).values(row))
    assert "INSERT INTO legs" in caplog.text  # the statements were logged ...
    assert marker not in caplog.text  # ... without their parameters
    assert marker not in str(caught.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(caught.value)


# --- what the OpenAPI declares (what schemathesis checks answers against) ----------------------


def test_openapi_declares_security_and_errors(app: FastAPI) -> None:
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The API key (CDRHUB_API_KEY)",
    }
    api = [(p, m, op) for p, ops in spec["paths"].items() for m, op in ops.items()
           if p.startswith("/api/")]  # fmt: skip
    assert len(api) >= 25
    for path, method, op in api:
        assert {"HTTPBearer": []} in op["security"], (method, path)
        assert {"401", "422"} <= set(op["responses"]), (method, path)
        invalid = op["responses"]["422"]["content"]["application/json"]["schema"]
        assert invalid == {"$ref": "#/components/schemas/Invalid"}, (method, path)
    # a 422 is FastAPI's field errors or one line
    detail = spec["components"]["schemas"]["Invalid"]["properties"]["detail"]["anyOf"]
    assert detail == [
        {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        {"type": "string"},
    ]


def test_openapi_declares_what_routes_really_answer(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for method in ("get", "post"):
        for path in ("/voicenter/cdr/{token}", "/voicenter/cdr"):
            responses = paths[path][method]["responses"]
            assert set(responses) == {"200", "401", "403", "413", "503"}
            assert set(responses["200"]["content"]) == {
                "application/json", "text/xml", "application/x-www-form-urlencoded"
            }  # fmt: skip
            assert set(responses["413"]["content"]) == {"application/json"}
    assert set(paths["/api/contacts"]["post"]["responses"]) >= {"200", "201"}
    assert set(paths["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    assert set(paths["/readyz"]["get"]["responses"]) == {"200", "503"}
    calls = paths["/api/calls"]["get"]["responses"]["200"]["content"]["application/json"]
    assert calls["schema"] == {"$ref": "#/components/schemas/CallsPage"}
    report = paths["/api/reports/repeat-callers"]["get"]
    assert {p["name"] for p in report["parameters"]} >= {"from", "to", "queue", "min_calls"}
    assert set(report["responses"]) == {"200", "401", "422"}
