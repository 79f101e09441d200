"""What the CRM's HTTP routes share: settings cached on the app, the embed secret, and answering
with an archived recording (with single-range support so that players can seek)."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
from fastapi import HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection, Engine, or_, select

from cdrhub.calls.phones import to_e164
from cdrhub.crm.embed import embed_secret
from cdrhub.crm.recordings.archive import get_recording, read_recording
from cdrhub.crm.recordings.storage import make_storage
from cdrhub.crm.settings import RECORDING_STORAGES, CrmSettings, load_crm_settings
from cdrhub.store.schema import legs

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def crm_settings(request: Request) -> CrmSettings:
    state = request.app.state
    if getattr(state, "crm_settings", None) is None:
        state.crm_settings = load_crm_settings(state.settings)
    return state.crm_settings


def secret(request: Request) -> str:
    state = request.app.state
    if getattr(state, "embed_secret", None) is None:
        state.embed_secret = embed_secret(state.engine, crm_settings(request))
    return state.embed_secret


def engine(request: Request) -> Engine:
    return request.app.state.engine


def phone_or_none(request: Request, phone: str) -> str | None:
    return to_e164(phone, crm_settings(request).region)


def leg_involves(conn: Connection, ivruniqueid: str, e164: str) -> bool:
    """Whether the number is the caller or the target of this very leg. Not of a leg it is
    linked to: an OriginalIvrUniqueID is the CDR's word, and any CDR may name any leg."""
    query = select(legs.c.id).where(
        legs.c.ivruniqueid == ivruniqueid,
        or_(legs.c.caller_e164 == e164, legs.c.target_e164 == e164),
    )
    return conn.execute(query).first() is not None


def _ranged(body: bytes, content_type: str, range_header: str | None) -> Response:
    headers = {"accept-ranges": "bytes", "cache-control": "private, max-age=3600"}
    match = _RANGE.match(range_header or "")
    size = len(body)
    if not match or size == 0 or (not match.group(1) and not match.group(2)):
        return Response(body, media_type=content_type, headers=headers)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:
        start, end = max(0, size - int(last)), size - 1
    if start > end or start >= size:
        return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
    headers["content-range"] = f"bytes {start}-{end}/{size}"
    return Response(body[start : end + 1], 206, media_type=content_type, headers=headers)


def recording_response(request: Request, ivruniqueid: str) -> Response:
    """The archived copy; else a redirect to Voicenter's URL (without our API code)."""
    cfg = crm_settings(request).recordings
    with engine(request).connect() as conn:
        row = get_recording(conn, ivruniqueid)
        source = conn.execute(
            select(legs.c.record_url).where(legs.c.ivruniqueid == ivruniqueid)
        ).scalar()
    if row is not None and row["storage"] in RECORDING_STORAGES:
        row_cfg = replace(cfg, storage=row["storage"])  # where it was archived, not where it goes
        with httpx.Client(timeout=cfg.timeout_seconds) as client:
            audio = read_recording(row, make_storage(row_cfg, client))
        if audio is not None:
            response = _ranged(audio.body, audio.content_type, request.headers.get("range"))
            response.headers["x-content-sha256"] = audio.sha256
            return response
    if source:
        return RedirectResponse(source, status_code=307)
    raise HTTPException(404, "no recording for this call")
