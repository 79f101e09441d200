"""HubSpot connector: the real client against a local HubSpot stand-in, through the outbox."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.crm.connectors.hubspot import _rate_limit_wait
from tests.crm.conftest import jobs, leg, run_jobs, samples, store, with_crm
from tests.crm.vendors import RATE_LIMITED, FakeHubSpot

ID = "20231115092000abcd1234"


@pytest.fixture
def hubspot() -> FakeHubSpot:
    fake = FakeHubSpot()
    with fake.server:
        yield fake


def _settings(settings: Settings, hubspot: FakeHubSpot, **extra) -> Settings:  # type: ignore[no-untyped-def]
    cfg = {"token": FakeHubSpot.TOKEN, "base_url": hubspot.server.url, **extra}
    return with_crm(settings, hubspot=cfg, recordings={"enabled": False})


def test_call_created_on_the_contact_found_by_phone(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    contact = hubspot.add_contact(firstname="Dana", phone="050-123-4567")
    settings = _settings(settings, hubspot)
    store(settings, engine, *samples("outgoing-answered"))
    run_jobs(engine, settings)
    paths = [(r.method, r.path) for r in hubspot.server.requests]
    assert paths == [
        ("POST", "/crm/v3/objects/calls/search"),
        ("POST", "/crm/v3/objects/contacts/search"),
        ("POST", "/crm/v3/objects/calls"),
    ]
    search = hubspot.server.requests[1].json()
    assert {
        g["filters"][0]["propertyName"]: g["filters"][0]["value"] for g in search["filterGroups"]
    } == {
        "phone": "+972501234567",
        "mobilephone": "+972501234567",
        "hs_searchable_calculated_phone_number": "501234567",
        "hs_searchable_calculated_mobile_number": "501234567",
    }
    ((call_id, call),) = hubspot.calls.items()
    props = call["properties"]
    assert props["hs_timestamp"] == "2023-11-15T07:20:00.000Z"
    assert props["hs_call_direction"] == "OUTBOUND"
    assert props["hs_call_status"] == "COMPLETED"
    assert props["hs_call_duration"] == "11000"
    assert props["hs_call_from_number"] == "+972722776772"
    assert props["hs_call_to_number"] == "+972501234567"
    assert props["hs_call_recording_url"].endswith("20231115092000abcd1234-aws.mp3")
    assert "Walter Melon" in props["hs_call_body"] and ID in props["hs_call_body"]
    assert call["associations"] == [
        {
            "to": {"id": contact},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 194}],
        }
    ]
    (job,) = jobs(engine, "crm.hubspot")
    assert job["status"] == "done"
    assert job["result"] == {"call_id": call_id, "contact_id": contact, "action": "created"}
    assert all(r.headers["authorization"] == "Bearer pat-na1-test" for r in hubspot.server.requests)


def test_redelivered_cdr_updates_the_same_call(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    hubspot.add_contact(phone="+972501234567")
    settings = _settings(settings, hubspot)
    wire = samples("outgoing-answered")[0]
    store(settings, engine, wire)
    run_jobs(engine, settings)
    store(settings, engine, wire)  # the very same CDR: nothing to do
    run_jobs(engine, settings)
    assert len(jobs(engine, "crm.hubspot")) == 1
    store(settings, engine, {**wire, "duration": 25})  # redelivered with new content
    run_jobs(engine, settings)
    ((call_id, call),) = hubspot.calls.items()
    assert call["properties"]["hs_call_duration"] == "25000"
    patch = hubspot.server.seen("PATCH")[0]
    assert patch.path == f"/crm/v3/objects/calls/{call_id}"
    assert patch.json()["properties"]["hs_call_duration"] == "25000"
    assert [j["result"]["action"] for j in jobs(engine, "crm.hubspot")] == ["updated", "created"]


def test_call_deleted_in_hubspot_is_created_again(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    hubspot.add_contact(phone="+972501234567")
    settings = _settings(settings, hubspot)
    wire = samples("outgoing-answered")[0]
    store(settings, engine, wire)
    run_jobs(engine, settings)
    hubspot.calls.clear()
    store(settings, engine, {**wire, "duration": 30})
    run_jobs(engine, settings)
    assert [c["properties"]["hs_call_duration"] for c in hubspot.calls.values()] == ["30000"]


def test_a_lost_response_does_not_make_a_second_call(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    contact = hubspot.add_contact(phone="+972501234567")
    hubspot.calls["900"] = {
        "properties": {"hs_call_body": f"Voicenter call ID: {ID}"},
        "associations": [{"to": {"id": contact}}],
    }
    settings = _settings(settings, hubspot)
    store(settings, engine, *samples("outgoing-answered"))
    run_jobs(engine, settings)
    assert list(hubspot.calls) == ["900"]
    assert hubspot.calls["900"]["properties"]["hs_call_direction"] == "OUTBOUND"


def test_unknown_caller_gets_a_contact_when_set(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    settings = _settings(settings, hubspot, create_contacts=True)
    store(settings, engine, *samples("queue-abandoned"))
    run_jobs(engine, settings)
    ((cid, contact),) = hubspot.contacts.items()
    assert contact == {"phone": "+972501234567"}
    (call,) = hubspot.calls.values()
    assert call["associations"][0]["to"]["id"] == cid
    props = call["properties"]
    assert props["hs_call_direction"] == "INBOUND" and props["hs_call_status"] == "NO_ANSWER"
    assert props["hs_call_from_number"] == "+972501234567"
    assert props["hs_call_to_number"] == "+972722776772"
    assert "hs_call_recording_url" not in props


def test_unknown_caller_is_skipped_by_default(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    settings = _settings(settings, hubspot)
    store(settings, engine, *samples("queue-abandoned"))
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.hubspot")
    assert job["status"] == "skipped" and not hubspot.calls


def test_agent_leg_is_not_pushed(settings: Settings, engine: Engine, hubspot: FakeHubSpot) -> None:
    hubspot.add_contact(phone="+4915112345678")
    settings = _settings(settings, hubspot)
    store(settings, engine, *samples("click2call-leg1", "click2call-leg2"))
    run_jobs(engine, settings)
    assert [j["key"].split(":")[1] for j in jobs(engine, "crm.hubspot")] == [
        "20231115174005legB0002"
    ]
    assert len(hubspot.calls) == 1


def test_rate_limit_and_server_error_are_retried(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    hubspot.add_contact(phone="+972501234567")
    settings = _settings(settings, hubspot)
    hubspot.server.script += [RATE_LIMITED]
    store(settings, engine, *samples("outgoing-answered"))
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.hubspot")
    assert job["status"] == "done" and job["attempts"] == 2
    assert len(hubspot.calls) == 1


def test_server_errors_then_success(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    from tests.crm.fakes import Reply

    hubspot.add_contact(phone="+972501234567")
    settings = _settings(settings, hubspot)
    store(settings, engine, *samples("outgoing-answered"))
    hubspot.server.script += [Reply(502, "bad gateway")] * 2
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.hubspot")
    assert job["status"] == "done" and job["attempts"] == 3 and len(hubspot.calls) == 1


def test_rate_limit_wait_from_policy() -> None:
    def response(policy: str, headers: dict | None = None) -> httpx.Response:
        body = json.dumps({"errorType": "RATE_LIMIT", "policyName": policy})
        return httpx.Response(429, content=body, headers=headers or {})

    assert _rate_limit_wait(response("SECONDLY")) == 1.0
    assert _rate_limit_wait(response("DAILY")) == 3600.0
    assert _rate_limit_wait(response("TEN_SECONDLY_ROLLING", {"retry-after": "7"})) == 7.0


def test_bad_token_is_dead(settings: Settings, engine: Engine, hubspot: FakeHubSpot) -> None:
    settings = with_crm(
        settings,
        hubspot={"token": "wrong", "base_url": hubspot.server.url},
        recordings={"enabled": False},
    )
    store(settings, engine, leg())
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.hubspot")
    assert job["status"] == "dead" and "401" in job["last_error"]


def test_signed_recording_link_instead_of_voicenters(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot
) -> None:
    import time

    from cdrhub.crm.embed import verify

    hubspot.add_contact(phone="+972501234567")
    settings = _settings(
        settings.with_(public_url="https://calls.example.com"), hubspot, recording_link="signed"
    )
    settings = with_crm(
        settings,
        hubspot=settings.file["crm"]["hubspot"],
        recordings={"enabled": False},
        embed={"secret": "hubspot-embed-secret-0123"},
    )
    store(settings, engine, *samples("outgoing-answered"))
    run_jobs(engine, settings)
    (call,) = hubspot.calls.values()
    url = httpx.URL(call["properties"]["hs_call_recording_url"])
    assert str(url).startswith(f"https://calls.example.com/embed/recordings/{ID}?")
    q = dict(url.params)
    assert q["phone"] == "+972501234567"
    assert verify("hubspot-embed-secret-0123", q["phone"], int(q["exp"]), q["sig"], time.time())


@pytest.mark.parametrize(
    "record",
    ["https://attacker.example/x.mp3", "https://127.0.0.1/x.mp3", "javascript:alert(1)"],
)
def test_recording_url_outside_the_allow_list_is_not_given_to_hubspot(
    settings: Settings, engine: Engine, hubspot: FakeHubSpot, record: str
) -> None:
    hubspot.add_contact(firstname="Dana", phone="050-123-4567")
    settings = _settings(settings, hubspot)
    store(settings, engine, leg(record=record))
    run_jobs(engine, settings)
    ((_, call),) = hubspot.calls.items()
    assert "hs_call_recording_url" not in call["properties"]
