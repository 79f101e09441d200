"""Voicenter's webhook: authenticate, read the body, store, and acknowledge in kind.

Err 0 goes out only after the commit. A body that is not a CDR is quarantined and answered
Err 1 with HTTP 200 (retrying cannot fix it). A storage failure is answered Err 2 with HTTP 503
so that Voicenter sends the CDR again.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import time
from datetime import UTC, datetime
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response, Security
from fastapi.openapi.models import APIKey, APIKeyIn, HTTPBase
from fastapi.security.base import SecurityBase
from pydantic import BaseModel

from cdrhub.auth import SecretCheck
from cdrhub.config import Settings
from cdrhub.ingest.messages import Delivery, Outcome
from cdrhub.ingest.writer import IngestWriter, StorageUnavailable
from cdrhub.logs import printable
from cdrhub.voicenter.ack import APP_ERROR, OK, PARSE_ERROR, render_ack
from cdrhub.voicenter.decode import encoding_for
from cdrhub.web.bodylimit import BodyTooLarge
from cdrhub.web.metrics import Metrics

log = logging.getLogger("cdrhub.ingest")
router = APIRouter(tags=["ingest"])


def _basic_credentials(request: Request) -> list[str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return []
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return []
    return [password, user]


def _authorized(request: Request, path_token: str | None) -> str | None:
    """The ingest token the request offered, if it is the right one."""
    check: SecretCheck = request.app.state.ingest_check
    if path_token and check.matches(path_token):
        return path_token  # the usual case, without parsing the query string or headers
    offered = [request.query_params.get("token"), *_basic_credentials(request)]
    return next((t for t in offered if t and check.matches(t)), None)


def _source_allowed(settings: Settings, host: str | None) -> bool:
    if not settings.ingest_allow:
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in network for network in settings.ingest_allow)


def _ack(encoding: str, err: int, desc: str, status: int = 200) -> Response:
    body, media_type = render_ack(encoding, err, desc)
    return Response(body, status_code=status, media_type=media_type)


def _log_cdr(ivruniqueid: str, encoding: str, result: str, started: float) -> None:
    """The CDR's one line at info: id, encoding, result (the `cdrhub_cdrs_total` label) and
    milliseconds from the request to its answer. Never a phone number (those are debug's)."""
    ms = round((time.perf_counter() - started) * 1000, 1)
    fields = {"id": ivruniqueid, "encoding": encoding, "result": result, "ms": ms}
    log.info(
        "CDR id=%s encoding=%s result=%s ms=%s",
        printable(ivruniqueid),
        encoding,
        result,
        ms,
        extra={"fields": fields},
    )


def _log_outcome(result: Outcome, started: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    for note in result.legs:
        _log_cdr(note.ivruniqueid, result.encoding, note.kind, started)
    if result.errors:  # the body (or its unreadable part) was quarantined
        _log_cdr("-", result.encoding, "quarantined", started)


def _count(metrics: Metrics, result: Outcome, tolerance: int) -> None:
    for note in result.legs:
        metrics.cdrs.labels(result.encoding, note.kind).inc()
        if note.kind == "duplicate":
            continue
        if note.unknown_type is not None:
            metrics.unknown_types.inc()
        if note.unknown_status is not None:
            metrics.unknown_statuses.inc()
        if note.unknown_fields:
            metrics.unknown_fields.inc(len(note.unknown_fields))
        if note.time_mismatch_seconds is not None and note.time_mismatch_seconds > tolerance:
            metrics.time_mismatches.inc()
    if result.errors:
        metrics.cdrs.labels(result.encoding, "quarantined").inc()
        metrics.quarantined.inc()


async def _handle(request: Request, path_token: str | None) -> Response:
    started = time.perf_counter()
    state = request.app.state
    settings: Settings = state.settings
    metrics: Metrics = state.metrics
    content_type = request.headers.get("content-type")
    client = request.client.host if request.client else None

    if not _source_allowed(settings, client):
        metrics.cdrs.labels("unknown", "forbidden").inc()
        _log_cdr("-", "unknown", "forbidden", started)
        return _ack("json", PARSE_ERROR, f"source address {client} not allowed", 403)
    if state.ingest_check.stale():  # a rotated token is read off the event loop
        await to_thread.run_sync(state.ingest_check.refresh)
    credential = _authorized(request, path_token)
    if credential is None:
        metrics.cdrs.labels("unknown", "unauthorized").inc()
        _log_cdr("-", "unknown", "unauthorized", started)
        return _ack("json", PARSE_ERROR, "missing or wrong token", 401)
    try:
        body = await request.body()  # at most max_body_bytes (web/bodylimit.py)
    except BodyTooLarge:
        metrics.cdrs.labels("unknown", "too_large").inc()
        _log_cdr("-", "unknown", "too_large", started)
        limit = settings.max_body_bytes
        return _ack("json", PARSE_ERROR, f"body larger than {limit} bytes", 413)

    delivery = Delivery(
        body=body,
        content_type=content_type,
        query=request.scope["query_string"].decode("latin-1"),
        method=request.method,
        # the first value of a repeated header, as Starlette's Headers would give it
        headers={
            k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(request.headers.raw)
        },
        source=client,
        received_at=datetime.now(UTC).replace(tzinfo=None),
        credentials=(credential,),
    )
    writer: IngestWriter = state.ingest_writer
    try:
        # Stored with whatever other requests are waiting, in one transaction; this returns
        # only after that transaction has committed.
        result = await writer.submit(delivery)
    except StorageUnavailable as exc:
        log.error("storage failed, answering Err 2 so that Voicenter retries: %s", exc)
        encoding = encoding_for(content_type, body)
        metrics.cdrs.labels(encoding, "error").inc()
        _log_cdr("-", encoding, "error", started)
        return _ack(encoding, APP_ERROR, "storage unavailable, retry later", 503)

    if result.refused is not None:  # more CDRs than a body may hold: nothing stored
        metrics.cdrs.labels(result.encoding, "too_large").inc()
        _log_cdr("-", result.encoding, "too_large", started)
        return _ack(result.encoding, PARSE_ERROR, result.refused, 413)
    _count(metrics, result, settings.time_mismatch_seconds)
    metrics.ack_seconds.labels(result.encoding).observe(time.perf_counter() - started)
    _log_outcome(result, started)
    if result.errors:
        reason = "; ".join(result.errors)
        if result.legs:
            reason = f"stored {len(result.legs)} CDR(s); quarantined the body: {reason}"
        return _ack(result.encoding, PARSE_ERROR, reason)
    return _ack(result.encoding, OK, "OK")


# The token is read from the path by hand and declared to OpenAPI here: a `token: str`
# parameter would run FastAPI's parameter validation on every CDR, a share of each request
# worth saving on the hottest route (bench/README.md, Ingest, "Figures behind the code").
_TOKEN_PARAMETER = {
    "parameters": [
        {
            "name": "token",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": "The ingest token (CDRHUB_INGEST_TOKEN)",
        }
    ]
}


class _Declared(SecurityBase):
    """A security scheme declared to OpenAPI only: `_authorized` reads the credential itself."""

    def __init__(self, model: APIKey | HTTPBase, name: str) -> None:
        self.model = model
        self.scheme_name = name

    async def __call__(self) -> None:
        return None


_TOKEN_IN_QUERY = _Declared(
    APIKey.model_validate(
        {"type": "apiKey", "in": APIKeyIn.query, "name": "token", "description": "The ingest token"}
    ),
    "IngestToken",
)
_TOKEN_AS_BASIC = _Declared(
    HTTPBase(scheme="basic", description="The ingest token as the user name or the password"),
    "IngestBasic",
)
_TOKEN_ELSEWHERE = [Security(_TOKEN_IN_QUERY), Security(_TOKEN_AS_BASIC)]
# The path-token routes take those too; `{}`: or none besides the token in the path.
_PATH_SECURITY: dict[str, Any] = {"security": [{"IngestToken": []}, {"IngestBasic": []}, {}]}

# What Voicenter posts: a CDR as JSON, as an XML-RPC call or form-encoded (the fields in
# docs/ingest.md; anything else is quarantined and answered Err 1).
_CDR_FIELDS = {
    "ivruniqueid": {"type": "string"},
    "time": {"type": "integer"},
    "type": {"type": "string"},
    "status": {"type": "string"},
    "caller": {"type": "string"},
    "target": {"type": "string"},
    "duration": {"type": "integer"},
}
_CDR_BODY = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"type": "object", "properties": _CDR_FIELDS}},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": _CDR_FIELDS}
            },
            "text/xml": {"schema": {"type": "string"}},
        }
    }
}


class Ack(BaseModel):
    """Voicenter's acknowledgement; as XML-RPC or a form when the CDR came that way."""

    Err: int
    Errdesc: str


def _acks(description: str, *, any_encoding: bool) -> dict[str, Any]:
    ack = Ack.model_json_schema()
    content: dict[str, Any] = {"application/json": {"schema": ack}}
    if any_encoding:  # an XML-RPC methodResponse; a form `Err=0&Errdesc=OK`
        content |= {
            "text/xml": {"schema": {"type": "string"}},
            "application/x-www-form-urlencoded": {"schema": ack},
        }
    return {"description": description, "content": content}


# What the webhook answers, in the encoding of the request where it has read one.
_ACKS: dict[int | str, dict[str, Any]] = {
    200: _acks("Err 0: stored; Err 1: not a CDR, quarantined", any_encoding=True),
    401: _acks("missing or wrong token", any_encoding=False),
    403: _acks("source address not allowed", any_encoding=False),
    413: _acks("body larger than max_body_bytes", any_encoding=False),
    503: _acks("Err 2: storage unavailable, Voicenter retries", any_encoding=True),
}


@router.post(
    "/voicenter/cdr/{token}",
    operation_id="post_cdr",
    summary="Receive a CDR",
    openapi_extra=_TOKEN_PARAMETER | _CDR_BODY | _PATH_SECURITY,
    response_class=Response,
    responses=_ACKS,
)
@router.get(
    "/voicenter/cdr/{token}",
    operation_id="get_cdr",
    summary="Receive a CDR (query)",
    openapi_extra=_TOKEN_PARAMETER | _PATH_SECURITY,
    response_class=Response,
    responses=_ACKS,
)
async def receive_with_path_token(request: Request) -> Response:
    """Voicenter's webhook URL. Accepts JSON, XML-RPC, form-urlencoded, or a query string."""
    return await _handle(request, request.path_params["token"])


@router.post(
    "/voicenter/cdr",
    operation_id="post_cdr_token_elsewhere",
    dependencies=_TOKEN_ELSEWHERE,
    openapi_extra=_CDR_BODY,
    response_class=Response,
    responses=_ACKS,
)
@router.get(
    "/voicenter/cdr",
    operation_id="get_cdr_token_elsewhere",
    dependencies=_TOKEN_ELSEWHERE,
    response_class=Response,
    responses=_ACKS,
)
async def receive_with_query_token(request: Request) -> Response:
    """The same, with the token as `?token=` or as HTTP Basic credentials."""
    return await _handle(request, None)


# Routed only when `bench_noop` is set (the ingest benchmark sets it for its server).
noop_router = APIRouter(include_in_schema=False)


@noop_router.post("/_noop")
async def noop(request: Request) -> Response:
    """Reads the body and answers like ingest, storing nothing: the benchmark's baseline."""
    body = await request.body()
    return _ack(encoding_for(request.headers.get("content-type"), body), OK, "OK")
