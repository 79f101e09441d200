"""The Calls, Call and Contact pages: search by number in any format, what each role sees, a
call's legs and IVR path, its recording played with range requests, the contact's details."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.crm.contacts import contacts_for_phone
from cdrhub.web.app import create_app
from tests.crm.conftest import LOCAL_RECORDINGS, MP3, leg, run_jobs, samples, store, with_crm
from tests.crm.fakes import FakeServer, Reply
from tests.pages.helpers import ORIGIN, add_user, csrf, signed_in

ABANDONED = "20231115120640qwer5678"  # queue-abandoned.json, Sales Queue, from 0501234567
OUTGOING = "20231115092000abcd1234"  # outgoing-answered.json, to 0501234567
IVR = "incoming-ivr-as-string"


def _legs(html: str) -> list[str]:
    return re.findall(r'<tr data-leg="([^"]+)">', html)


def test_search_by_number_in_any_spelling(app: FastAPI, settings: Settings, engine: Engine) -> None:
    store(settings, engine, *samples("queue-abandoned", "outgoing-answered", IVR))
    add_user(engine, "boss@example.com", "admin")
    web = signed_in(app, "boss@example.com")
    for spelling in ("0501234567", "+972-50-123-4567", "972501234567"):
        assert _legs(web.get("/calls", params={"number": spelling}).text) == [ABANDONED, OUTGOING]
    assert _legs(web.get("/calls", params={"direction": "out"}).text) == [OUTGOING]
    assert _legs(web.get("/calls", params={"from": "2023-11-16"}).text) == []
    bad = web.get("/calls", params={"from": "yesterday"})
    assert bad.status_code == 422 and "`from`" in bad.text


def test_each_role_sees_its_own(app: FastAPI, settings: Settings, engine: Engine) -> None:
    store(settings, engine, *samples("queue-abandoned", "outgoing-answered"))
    add_user(engine, "sales@example.com", "manager", queues=["Sales Queue"])
    add_user(engine, "avi@example.com", "agent")  # no agent code: no calls of their own
    assert _legs(signed_in(app, "sales@example.com").get("/calls").text) == [ABANDONED]
    agent = signed_in(app, "avi@example.com")
    assert _legs(agent.get("/calls").text) == []
    assert agent.get(f"/calls/{ABANDONED}").status_code == 404


def test_a_call_shows_its_legs_and_ivr_path(
    app: FastAPI, settings: Settings, engine: Engine
) -> None:
    store(settings, engine, *samples(IVR))
    add_user(engine, "boss@example.com", "admin")
    web = signed_in(app, "boss@example.com")
    (leg_id,) = _legs(web.get("/calls").text)
    page = web.get(f"/calls/{leg_id}")
    assert page.status_code == 200
    assert f'<code dir="ltr">{leg_id}</code>' in page.text
    assert "IVR path" in page.text
    assert '<li><bdi>תפריט ראשי</bdi> (key <bdi dir="ltr">3</bdi>)</li>' in page.text


def test_a_recording_plays_in_the_page_with_ranges(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    config = {
        "local_dir": str(tmp_path / "rec"),
        "voicenter_code": "C0DE",
        "enabled": True,
        "backoff_seconds": 0.01,
        "max_wait_seconds": 5,
        **LOCAL_RECORDINGS,
    }
    settings = with_crm(settings, recordings=config)
    with FakeServer(lambda seen: Reply(200, MP3, {"content-type": "audio/mpeg"})) as host:
        store(settings, engine, leg(record=f"{host.url}/PlayRecord/{OUTGOING}-aws.mp3"))
        run_jobs(engine, settings)
    app = create_app(settings)
    add_user(engine, "boss@example.com", "admin")
    web = signed_in(app, "boss@example.com")
    page = web.get(f"/calls/{OUTGOING}")
    assert (
        f'<audio controls preload="metadata" src="/calls/{OUTGOING}/recording"></audio>'
        in page.text
    )
    part = web.get(f"/calls/{OUTGOING}/recording", headers={"range": "bytes=0-3"})
    assert (part.status_code, part.content) == (206, MP3[:4])
    assert part.headers["content-range"] == f"bytes 0-3/{len(MP3)}"
    assert (
        TestClient(app, follow_redirects=False).get(f"/calls/{OUTGOING}/recording").status_code
        == 303
    )
    app.state.engine.dispose()


def test_the_contact_page_edits_the_details(
    app: FastAPI, settings: Settings, engine: Engine
) -> None:
    store(settings, engine, *samples("queue-abandoned", "outgoing-answered"))
    add_user(engine, "boss@example.com", "admin")
    web = signed_in(app, "boss@example.com")
    page = web.get("/contacts/0501234567")
    assert page.status_code == 200
    assert '<bdi dir="ltr" title="+972501234567">050-123-4567</bdi>' in page.text
    # the outgoing call carries a recording (Voicenter's URL): one player, through cdrhub
    assert re.findall(r'<audio controls preload="none" src="([^"]+)">', page.text) == [
        f"/calls/{OUTGOING}/recording"
    ]
    saved = web.post(
        "/contacts/+972501234567",
        data={
            "csrf": csrf(page.text),
            "name": "דנה כהן",
            "company": "Acme",
            "email": "dana@acme.co.il",
        },
        headers=ORIGIN,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/contacts/+972501234567")
    with engine.connect() as conn:
        (contact,) = contacts_for_phone(conn, "+972501234567")
    assert (contact["name"], contact["company"], contact["email"]) == (
        "דנה כהן",
        "Acme",
        "dana@acme.co.il",
    )
    assert "<bdi>דנה כהן</bdi>" in web.get("/contacts/0501234567").text
    assert web.get("/contacts/not-a-number").status_code == 404
