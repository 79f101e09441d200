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
from functools import partial

from fastapi import APIRouter, Request, Response
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from cdrhub.config import Settings
from cdrhub.pipeline import StoredLeg, run_hooks, save_legs
from cdrhub.store import quarantine
from cdrhub.store.groupcommit import GroupCommitter
from cdrhub.voicenter.ack import APP_ERROR, OK, PARSE_ERROR, render_ack
from cdrhub.voicenter.decode import encoding_for
from cdrhub.voicenter.receive import Received, receive
from cdrhub.web.auth import same_secret
from cdrhub.web.metrics import Metrics

log = logging.getLogger("cdrhub.ingest")
router = APIRouter(tags=["ingest"])


class BodyTooLarge(Exception):
    pass


def _basic_credentials(request: Request) -> list[str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return []
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return []
    return [password, user]


def _authorized(request: Request, path_token: str | None) -> bool:
    expected = request.app.state.ingest_token
    offered = [path_token, request.query_params.get("token"), *_basic_credentials(request)]
    return any(same_secret(t, expected) for t in offered if t)


def _source_allowed(settings: Settings, host: str | None) -> bool:
    if not settings.ingest_allow:
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in network for network in settings.ingest_allow)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _ack(encoding: str, err: int, desc: str, status: int = 200) -> Response:
    body, media_type = render_ack(encoding, err, desc)
    return Response(body, status_code=status, media_type=media_type)


def _store(
    conn: Connection, request: Request, body: bytes, received: Received, received_at: datetime
) -> list[StoredLeg]:
    """In the caller's transaction: the legs that could be read, and the body if any part could
    not. The legs' hooks run once for the whole batch (`_run_hooks`)."""
    stored = save_legs(conn, received.items, received_at)
    if received.errors:
        quarantine.keep(
            conn,
            body=body,
            reason="; ".join(received.errors),
            method=request.method,
            content_type=request.headers.get("content-type"),
            query=request.url.query,
            headers=dict(request.headers),
            source=request.client.host if request.client else None,
            received_at=received_at,
        )
    return stored


def _committer(request: Request) -> GroupCommitter:
    """The app's group committer (created on first use, so no lifespan is needed)."""
    state = request.app.state
    committer: GroupCommitter | None = getattr(state, "ingest_committer", None)
    if committer is None or committer.engine is not state.engine:
        hooks = state.hooks

        def run_batch_hooks(conn: Connection, results: list[list[StoredLeg]]) -> None:
            run_hooks(conn, hooks, (leg for stored in results for leg in stored))

        committer = GroupCommitter(state.engine, finish=run_batch_hooks)
        state.ingest_committer = committer
    return committer


def _count(metrics: Metrics, received: Received, stored: list[StoredLeg], tolerance: int) -> None:
    for result in stored:
        metrics.cdrs.labels(received.encoding, result.kind).inc()
        if result.kind == "duplicate":
            continue
        leg = result.leg
        if leg.type_key is None:
            metrics.unknown_types.labels(leg.type[:64]).inc()
        if not leg.status_known:
            metrics.unknown_statuses.labels(leg.status[:32]).inc()
        for name in leg.unknown_fields[:50]:
            metrics.unknown_fields.labels(name[:64]).inc()
        if leg.time_mismatch_seconds is not None and leg.time_mismatch_seconds > tolerance:
            metrics.time_mismatches.inc()
    if received.errors:
        metrics.cdrs.labels(received.encoding, "quarantined").inc()
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
        return _ack("json", PARSE_ERROR, f"source address {client} not allowed", 403)
    if not _authorized(request, path_token):
        metrics.cdrs.labels("unknown", "unauthorized").inc()
        return _ack("json", PARSE_ERROR, "missing or wrong token", 401)
    try:
        body = await _read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        metrics.cdrs.labels("unknown", "too_large").inc()
        limit = settings.max_body_bytes
        return _ack("json", PARSE_ERROR, f"body larger than {limit} bytes", 413)

    received_at = datetime.now(UTC).replace(tzinfo=None)
    received = receive(body, content_type, request.url.query, settings, received_at)
    try:
        # Group commit: stored with whatever other requests are waiting, in one transaction;
        # this returns only after that transaction has committed.
        stored = await _committer(request).run(
            partial(_store, request=request, body=body, received=received, received_at=received_at)
        )
    except (SQLAlchemyError, OSError) as exc:
        log.error("storage failed, answering Err 2 so that Voicenter retries: %s", exc)
        metrics.cdrs.labels(received.encoding, "error").inc()
        return _ack(received.encoding, APP_ERROR, "storage unavailable, retry later", 503)

    _count(metrics, received, stored, settings.time_mismatch_seconds)
    metrics.ack_seconds.labels(received.encoding).observe(time.perf_counter() - started)
    if received.errors:
        reason = "; ".join(received.errors)
        if stored:
            reason = f"stored {len(stored)} CDR(s); quarantined the body: {reason}"
        return _ack(received.encoding, PARSE_ERROR, reason)
    return _ack(received.encoding, OK, "OK")


@router.post("/voicenter/cdr/{token}", operation_id="post_cdr", summary="Receive a CDR")
@router.get("/voicenter/cdr/{token}", operation_id="get_cdr", summary="Receive a CDR (query)")
async def receive_with_path_token(token: str, request: Request) -> Response:
    """Voicenter's webhook URL. Accepts JSON, XML-RPC, form-urlencoded, or a query string."""
    return await _handle(request, token)


@router.post("/voicenter/cdr", operation_id="post_cdr_token_elsewhere")
@router.get("/voicenter/cdr", operation_id="get_cdr_token_elsewhere")
async def receive_with_query_token(request: Request) -> Response:
    """The same, with the token as `?token=` or as HTTP Basic credentials."""
    return await _handle(request, None)


@router.post("/_noop", include_in_schema=False)
async def noop(request: Request) -> Response:
    """Reads the body and answers like ingest, storing nothing: the benchmark's baseline."""
    body = await request.body()
    return _ack(encoding_for(request.headers.get("content-type"), body), OK, "OK")
