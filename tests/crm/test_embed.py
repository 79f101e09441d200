"""The widget: signed, expiring links; 403 on a bad, foreign or expired signature; never the API
key; recordings reachable with the number's signature only."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.crm.embed import embed_path, recording_path, sign, verify
from cdrhub.crm.recordings.urlpolicy import VOICENTER_HOSTS
from tests.crm.conftest import API, make_client, samples, store, with_crm

SECRET = "s3cret-for-tests"


def test_signature_is_bound_to_number_expiry_and_secret() -> None:
    sig = sign(SECRET, "+972501234567", 2000)
    assert verify(SECRET, "+972501234567", 2000, sig, now=1999)
    assert not verify(SECRET, "+972501234567", 2000, sig, now=2001)  # expired
    assert not verify(SECRET, "+972501234568", 2000, sig, now=1999)  # another number
    assert not verify(SECRET, "+972501234567", 2001, sig, now=1999)  # expiry changed
    assert not verify("other", "+972501234567", 2000, sig, now=1999)  # another secret
    assert not verify(SECRET, "+972501234567", 2000, sig[:-2] + "AA", now=1999)
    assert not verify(SECRET, "+972501234567", 2000, None, now=1999)


def _client(settings: Settings) -> TestClient:
    return make_client(with_crm(settings, embed={"secret": SECRET}))


def test_widget_page_with_a_valid_link(settings: Settings, engine: Engine) -> None:
    store(settings, engine, *samples("incoming-ivr-as-string", "outgoing-answered"))
    exp = int(time.time()) + 600
    with _client(settings) as client:
        page = client.get(embed_path(SECRET, "+972546666666", exp))
        assert page.status_code == 200
        assert "frame-ancestors *" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        html = page.text
        assert "דנה כהן" in html and "תפריט ראשי" in html
        assert "<audio" in html and "/embed/recordings/20231115145320zxcv9012?" in html
        assert "abcd1234" not in html  # only calls with this number


def test_widget_refuses_bad_expired_foreign_and_api_key(settings: Settings, engine: Engine) -> None:
    exp = int(time.time()) + 600
    with _client(settings) as client:
        good = embed_path(SECRET, "+972546666666", exp)
        assert client.get(good).status_code == 200
        # another number with this signature
        assert client.get(good.replace("%2B972546666666", "%2B972501234567")).status_code == 403
        # expired
        old = embed_path(SECRET, "+972546666666", int(time.time()) - 1)
        assert client.get(old).status_code == 403
        # forged
        assert client.get(embed_path("guess", "+972546666666", exp)).status_code == 403
        # no signature: the API key does not open the widget
        assert client.get("/embed/contacts/+972546666666", headers=API).status_code == 403
        # the same number written another way verifies
        local = good.replace("%2B972546666666", "0546666666")
        assert client.get(local).status_code == 200


def test_minted_links_through_the_api_and_cli(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with _client(settings) as client:
        minted = client.post(
            "/api/embed-links", json={"phone": "054-666-6666", "ttl_seconds": 60}, headers=API
        )
        assert minted.status_code == 201
        body = minted.json()
        assert body["phone"] == "+972546666666"
        assert client.get(body["path"]).status_code == 200
        assert client.post("/api/embed-links", json={"phone": "0546666666"}).status_code == 401

    from typer.testing import CliRunner

    from cdrhub.cli import app

    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDRHUB_EMBED_SECRET", SECRET)
    monkeypatch.setenv("CDRHUB_PUBLIC_URL", "https://cdrhub.example.com/")
    out = CliRunner().invoke(app, ["embed-link", "0546666666", "--ttl-days", "1"])
    assert out.exit_code == 0, out.output
    url = out.stdout.strip()
    assert url.startswith("https://cdrhub.example.com/embed/contacts/%2B972546666666?exp=")
    with _client(settings) as client:
        assert client.get(url.removeprefix("https://cdrhub.example.com")).status_code == 200


def test_generated_secret_is_kept(settings: Settings) -> None:
    with make_client(settings) as client:
        path = client.post("/api/embed-links", json={"phone": "0546666666"}, headers=API).json()
    with make_client(settings) as client:
        assert client.get(path["path"]).status_code == 200


def test_recording_link_needs_the_numbers_signature(settings: Settings, engine: Engine) -> None:
    store(settings, engine, *samples("incoming-ivr-as-string", "outgoing-answered"))
    exp = int(time.time()) + 600
    mine = recording_path(SECRET, "+972546666666", exp, "20231115145320zxcv9012")
    theirs = recording_path(SECRET, "+972546666666", exp, "20231115092000abcd1234")
    bucket = "recordings.example-bucket.s3.amazonaws.com"  # the operator allows their bucket
    recordings = {"allowed_hosts": [*VOICENTER_HOSTS, bucket]}
    with make_client(with_crm(settings, embed={"secret": SECRET}, recordings=recordings)) as client:
        # not archived: redirect to Voicenter's URL
        got = client.get(mine, follow_redirects=False)
        assert got.status_code == 307
        assert got.headers["location"].startswith("https://recordings.example-bucket")
        assert client.get(theirs, follow_redirects=False).status_code == 404  # not its own
        forged = mine.replace("sig=", "sig=x")
        assert client.get(forged, follow_redirects=False).status_code == 403


def test_widget_shows_ai_summary_transcript_and_open_callback(
    settings: Settings, engine: Engine
) -> None:
    import json
    from datetime import datetime

    from cdrhub.automations.tables import callback_items
    from cdrhub.store.engine import write_transaction

    wire = samples("queue-abandoned")[0]
    answered = {
        **samples("incoming-ivr-as-string")[0],
        "caller": "0501234567",
        "aiData": json.dumps(
            {
                "insights": {"summary": "Wants a refund"},
                "transcript": [{"speaker": "Speaker1", "text": "I want <my> money back"}],
            }
        ),
    }
    store(settings, engine, wire, answered)
    t = datetime(2023, 11, 15, 10, 6, 40)
    with write_transaction(engine) as conn:
        conn.execute(callback_items.delete())
        conn.execute(
            callback_items.insert().values(
                customer_number="+972501234567",
                status="open",
                opened_at=t,
                last_missed_at=t,
                missed_count=1,
                first_ivruniqueid=wire["ivruniqueid"],
                last_ivruniqueid=wire["ivruniqueid"],
                created_at=t,
                updated_at=t,
            )
        )
    with _client(settings) as client:
        html = client.get(embed_path(SECRET, "+972501234567", int(time.time()) + 60)).text
    assert '<div dir="auto">Wants a refund</div>' in html
    assert "<bdi>I want &lt;my&gt; money back</bdi>" in html  # escaped
    assert 'Callback open since <bdi title="2023-11-15T10:06:40Z">2023-11-15 12:06:40</bdi>' in html
    assert html.index("zxcv9012") < html.index("badge abandoned")  # newest first
