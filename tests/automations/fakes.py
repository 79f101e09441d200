"""Local stand-ins for the providers: real HTTP servers on 127.0.0.1 that speak each provider's
documented request format and errors, so the channels' real client code runs against them."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[Seen], Reply]


class FakeServer:
    """A threaded HTTP server; `responder(seen)` decides each answer. Queue one-off answers with
    `script` (used first, in order)."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[Seen] = []
        self.scripted: list[Reply] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                parsed = urllib.parse.urlsplit(self.path)
                seen = Seen(
                    self.command,
                    parsed.path,
                    urllib.parse.parse_qs(parsed.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with outer.lock:
                    outer.requests.append(seen)
                    reply = outer.scripted.pop(0) if outer.scripted else None
                if reply is None:
                    reply = outer.responder(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body
                if isinstance(body, (dict, list)):
                    data = json.dumps(body).encode()
                    ctype = "application/json"
                else:
                    data = (body or "").encode() if isinstance(body, str) or body is None else body
                    ctype = "text/plain"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.scripted.extend(replies)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Twilio Messages API ---------------------------------------------------------------------


def twilio_responder(account_sid: str, auth_token: str) -> Responder:
    """POST /2010-04-01/Accounts/{sid}/Messages.json, form body, basic auth, 201 JSON.
    Deduplicates on I-Twilio-Idempotency-Token like Twilio does."""
    sent: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def respond(seen: Seen) -> Reply:
        expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        if seen.headers.get("authorization") != expected:
            return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if (
            seen.method != "POST"
            or seen.path != f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        ):
            return Reply(404, {"code": 20404, "message": "not found", "status": 404})
        form = seen.form()
        if "To" not in form or not ("From" in form or "MessagingServiceSid" in form):
            return Reply(
                400, {"code": 21604, "message": "A 'To' phone number is required.", "status": 400}
            )
        if "Body" not in form and "ContentSid" not in form:
            return Reply(
                400, {"code": 21602, "message": "Message body is required.", "status": 400}
            )
        token = seen.headers.get("i-twilio-idempotency-token", "")
        with lock:
            if token and token in sent:
                return Reply(201, sent[token])
            resource = {
                "sid": f"SM{len(sent):032d}",
                "account_sid": account_sid,
                "to": form["To"],
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
            }
            if token:
                sent[token] = resource
        return Reply(201, resource)

    respond.sent = sent  # type: ignore[attr-defined]
    return respond


def twilio_429(retry_after: int = 1) -> Reply:
    return Reply(
        429,
        {
            "code": 20429,
            "message": "Too Many Requests",
            "more_info": "https://www.twilio.com/docs/errors/20429",
            "status": 429,
        },
        {"Retry-After": str(retry_after)},
    )


def twilio_sent(server: FakeServer) -> list[dict[str, Any]]:
    """The distinct messages the fake Twilio accepted (one per idempotency token)."""
    return list(server.responder.sent.values())  # type: ignore[attr-defined]


# --- Meta WhatsApp Cloud API -----------------------------------------------------------------


def meta_responder(phone_number_id: str, token: str) -> Responder:
    """POST /{version}/{phone-number-id}/messages with a bearer token, JSON template body."""

    def respond(seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {token}":
            return Reply(401, meta_error(190, "Invalid OAuth access token.", "OAuthException"))
        if seen.method != "POST" or not seen.path.endswith(f"/{phone_number_id}/messages"):
            return Reply(400, meta_error(100, "Unsupported post request."))
        body = seen.json()
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "template":
            return Reply(400, meta_error(100, "Invalid parameter"))
        return Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.{len(body['to'])}"}],
            },
        )

    return respond


def meta_error(code: int, message: str, kind: str = "OAuthException") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "Axyz"}}


# --- Slack incoming webhook ------------------------------------------------------------------


def slack_responder(seen: Seen) -> Reply:
    try:
        body = seen.json()
    except ValueError:
        return Reply(400, "invalid_payload")
    if not body.get("text"):
        return Reply(400, "no_text")
    return Reply(200, "ok")


# --- Voicenter Click2Call --------------------------------------------------------------------


def click2call_responder(code: str) -> Responder:
    def respond(seen: Seen) -> Reply:
        q = {k: v[0] for k, v in seen.query.items()}
        if seen.path != "/ForwardDialer/click2call.aspx":
            return Reply(404, "not found")
        if q.get("code") != code:
            return Reply(200, {"ERRORCODE": 3, "ERRORMESSAGE": "Invalid code", "CALLID": None})
        if not q.get("phone") or not q.get("target"):
            return Reply(200, {"ERRORCODE": 2, "ERRORMESSAGE": "Missing phone or target"})
        return Reply(
            200, {"ERRORCODE": 0, "ERRORMESSAGE": "OK", "CALLID": "20260101120000c2c00001"}
        )

    return respond
