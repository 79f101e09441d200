"""Each channel's real client code against a local server that speaks the provider's protocol."""

from __future__ import annotations

import base64
import os

import pytest

from cdrhub.automations.channels import base, click2call, meta_whatsapp, slack, twilio, webhook
from cdrhub.jobs.outbox import PermanentFailure, RetryLater

from .fakes import (
    FakeServer,
    Reply,
    click2call_responder,
    meta_error,
    meta_responder,
    slack_responder,
    twilio_429,
    twilio_responder,
)

SID, TOKEN = "AC0123456789", "secret"


@pytest.fixture
def twilio_server():
    with FakeServer(twilio_responder(SID, TOKEN)) as server:
        yield server


def _twilio(url: str, **extra):
    return {
        "account_sid": SID,
        "auth_token": TOKEN,
        "from": "+972722776772",
        "base_url": url,
        **extra,
    }


def test_twilio_sms_request_follows_the_messages_api(twilio_server: FakeServer) -> None:
    result = twilio.send_message(
        _twilio(twilio_server.url), to="+972501234567", body="שלום", idempotency_key="k1"
    )
    assert result["sid"].startswith("SM") and result["status"] == "queued"
    (seen,) = twilio_server.requests
    assert seen.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.form() == {"To": "+972501234567", "From": "+972722776772", "Body": "שלום"}
    assert seen.headers["i-twilio-idempotency-token"] == "k1"


def test_twilio_whatsapp_prefixes_addresses(twilio_server: FakeServer) -> None:
    twilio.send_message(
        _twilio(twilio_server.url),
        to="+972501234567",
        body="hi",
        idempotency_key="k",
        whatsapp=True,
    )
    form = twilio_server.requests[0].form()
    assert form["To"] == "whatsapp:+972501234567" and form["From"] == "whatsapp:+972722776772"


def test_twilio_429_is_retried_after_retry_after(twilio_server: FakeServer) -> None:
    twilio_server.script(twilio_429(retry_after=7))
    with pytest.raises(RetryLater) as info:
        twilio.send_message(
            _twilio(twilio_server.url), to="+972501234567", body="x", idempotency_key="k"
        )
    assert info.value.retry_after == 7 and "20429" in info.value.reason


def test_twilio_rate_limit_code_without_429_status_is_retried(twilio_server: FakeServer) -> None:
    twilio_server.script(Reply(400, {"code": 14107, "message": "rate limit", "status": 400}))
    with pytest.raises(RetryLater):
        twilio.send_message(
            _twilio(twilio_server.url), to="+972501234567", body="x", idempotency_key="k"
        )


@pytest.mark.parametrize("status", [500, 502, 503])
def test_twilio_5xx_is_retried(twilio_server: FakeServer, status: int) -> None:
    twilio_server.script(Reply(status, {"code": 20500, "message": "Internal", "status": status}))
    with pytest.raises(RetryLater):
        twilio.send_message(
            _twilio(twilio_server.url), to="+972501234567", body="x", idempotency_key="k"
        )


def test_twilio_errors_that_retrying_cannot_fix(twilio_server: FakeServer) -> None:
    twilio_server.script(
        Reply(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
    )
    with pytest.raises(PermanentFailure) as info:
        twilio.send_message(
            _twilio(twilio_server.url), to="+972501234567", body="x", idempotency_key="k"
        )
    assert "21211" in info.value.reason and not isinstance(info.value, base.RecipientOptedOut)
    twilio_server.script(Reply(400, {"code": 21610, "message": "unsubscribed", "status": 400}))
    with pytest.raises(base.RecipientOptedOut):
        twilio.send_message(
            _twilio(twilio_server.url), to="+972501234567", body="x", idempotency_key="k"
        )
    with pytest.raises(PermanentFailure) as info:
        twilio.send_message(
            _twilio(twilio_server.url, auth_token="wrong"),
            to="+972501234567",
            body="x",
            idempotency_key="k",
        )
    assert "20003" in info.value.reason


def test_network_errors_are_retried() -> None:
    with FakeServer(twilio_responder(SID, TOKEN)) as server:
        url = server.url
    with pytest.raises(RetryLater):
        twilio.send_message(_twilio(url), to="+972501234567", body="x", idempotency_key="k")


def test_timeouts_are_retried(twilio_server: FakeServer) -> None:
    twilio_server.script(Reply(201, {}, delay=1.0))
    with pytest.raises(RetryLater, match="timeout"):
        twilio.send_message(
            _twilio(twilio_server.url, timeout=0.2),
            to="+972501234567",
            body="x",
            idempotency_key="k",
        )


# --- Meta ------------------------------------------------------------------------------------


def _meta(url: str) -> dict:
    return {"access_token": "EAAG", "phone_number_id": "1055", "base_url": url}


def test_meta_template_message() -> None:
    with FakeServer(meta_responder("1055", "EAAG")) as server:
        result = meta_whatsapp.send_template(
            _meta(server.url),
            to="+972501234567",
            template="missed_call",
            language="he",
            params=["תור מכירות"],
            idempotency_key="k9",
        )
        assert result["id"].startswith("wamid.")
        seen = server.requests[0]
        assert seen.path == "/v21.0/1055/messages"
        body = seen.json()
        assert body["to"] == "972501234567" and body["biz_opaque_callback_data"] == "k9"
        assert body["template"] == {
            "name": "missed_call",
            "language": {"code": "he"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "תור מכירות"}]}
            ],
        }


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (400, 130429, RetryLater),  # throughput limit
        (400, 131056, RetryLater),  # pair rate limit
        (400, 80007, RetryLater),  # WABA rate limit
        (503, 131016, RetryLater),  # service unavailable
        (500, 1, RetryLater),
        (400, 131026, PermanentFailure),  # undeliverable
        (400, 132001, PermanentFailure),  # template does not exist
        (401, 190, PermanentFailure),  # token expired
        (400, 131050, base.RecipientOptedOut),
    ],
)
def test_meta_errors(status: int, code: int, outcome: type) -> None:
    with FakeServer(meta_responder("1055", "EAAG")) as server:
        server.script(Reply(status, meta_error(code, "error")))
        with pytest.raises(outcome) as info:
            meta_whatsapp.send_template(
                _meta(server.url),
                to="+972501234567",
                template="t",
                language="he",
                params=[],
                idempotency_key="k",
            )
        assert str(code) in info.value.reason


# --- Slack -----------------------------------------------------------------------------------


def test_slack_webhook() -> None:
    with FakeServer(slack_responder) as server:
        hook = {"webhook_url": f"{server.url}/services/T000/B000/XXXX"}
        assert slack.post(hook, text="missed call", idempotency_key="k")["response"] == "ok"
        assert server.requests[0].json() == {"text": "missed call"}
        assert server.requests[0].path == "/services/T000/B000/XXXX"
        server.script(Reply(429, "rate_limited", {"Retry-After": "30"}))
        with pytest.raises(RetryLater) as info:
            slack.post(hook, text="x", idempotency_key="k")
        assert info.value.retry_after == 30
        server.script(Reply(404, "channel_not_found"))
        with pytest.raises(PermanentFailure, match="channel_not_found"):
            slack.post(hook, text="x", idempotency_key="k")
        server.script(Reply(410, "channel_is_archived"))
        with pytest.raises(PermanentFailure):
            slack.post(hook, text="x", idempotency_key="k")
        server.script(Reply(500, "rollup_error"))
        with pytest.raises(RetryLater):
            slack.post(hook, text="x", idempotency_key="k")


# --- Standard Webhooks -----------------------------------------------------------------------


def test_standard_webhook_is_signed_and_verifiable() -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    with FakeServer(lambda seen: Reply(204)) as server:
        options = {"url": f"{server.url}/hooks/cdr", "secret": secret}
        result = webhook.deliver(
            options, event="rule.matched", data={"a": "ב"}, idempotency_key="abc"
        )
        assert result["webhook_id"] == "msg_abc"
        seen = server.requests[0]
        assert webhook.verify(secret, seen.headers, seen.body)
        assert not webhook.verify(secret, seen.headers, seen.body + b" ")
        assert seen.json()["type"] == "rule.matched" and seen.json()["data"] == {"a": "ב"}
        # a retry carries the same webhook-id
        webhook.deliver(options, event="rule.matched", data={"a": "ב"}, idempotency_key="abc")
        assert server.requests[1].headers["webhook-id"] == seen.headers["webhook-id"]
        server.script(Reply(503, "busy", {"Retry-After": "5"}))
        with pytest.raises(RetryLater) as info:
            webhook.deliver(options, event="e", data={}, idempotency_key="k")
        assert info.value.retry_after == 5
        server.script(Reply(410, "gone"))
        with pytest.raises(PermanentFailure):
            webhook.deliver(options, event="e", data={}, idempotency_key="k")


def test_standard_webhooks_reference_signature() -> None:
    # The example from the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = webhook.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


# --- Voicenter Click2Call --------------------------------------------------------------------


def test_click2call() -> None:
    with FakeServer(click2call_responder("VC-CODE")) as server:
        options = {"code": "VC-CODE", "base_url": server.url}
        result = click2call.call(
            options, agent="SIPAGENT7", to="+972501234567", idempotency_key="k"
        )
        assert result["callid"] == "20260101120000c2c00001"
        q = {k: v[0] for k, v in server.requests[0].query.items()}
        assert q == {
            "code": "VC-CODE",
            "phone": "SIPAGENT7",
            "target": "0501234567",
            "format": "json",
            "var_cdrhub_key": "k",
        }
        with pytest.raises(PermanentFailure, match="ERRORCODE 3"):
            click2call.call(
                {**options, "code": "bad"}, agent="1", to="+972501234567", idempotency_key="k"
            )
        server.script(Reply(429, "Too many", {"Retry-After": "2"}))
        with pytest.raises(RetryLater):
            click2call.call(options, agent="1", to="+972501234567", idempotency_key="k")
    assert click2call.dial_string("+4915112345678") == "004915112345678"
