"""What the CRM's HTTP routes share: settings cached on the app, the embed secret, and answering
with an archived recording, streamed from its storage (with single-range support so that players
can seek)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from fastapi import HTTPException, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import Connection, Engine, or_, select

from cdrhub.calls.phones import to_e164
from cdrhub.config import ConfigError
from cdrhub.crm.embed import embed_secret_source
from cdrhub.crm.recordings.archive import ArchivedAudio, get_recording, read_recording
from cdrhub.crm.recordings.storage import Storage, StorageMissing, make_storage
from cdrhub.crm.recordings.urlpolicy import redirect_target
from cdrhub.crm.settings import RECORDING_STORAGES, CrmSettings, load_crm_settings
from cdrhub.jobs.outbox import JobOutcome
from cdrhub.store.schema import legs

log = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def crm_settings(request: Request) -> CrmSettings:
    state = request.app.state
    if getattr(state, "crm_settings", None) is None:
        state.crm_settings = load_crm_settings(state.settings)
    return state.crm_settings


def secret(request: Request) -> str:
    state = request.app.state
    if getattr(state, "embed_secret", None) is None:
        state.embed_secret = embed_secret_source(state.engine, crm_settings(request))
    return state.embed_secret()


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


def byte_range(range_header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) of a single `bytes=` range, None for the whole body; an
    unsatisfiable range comes back with start > end or start >= size."""
    match = _RANGE.match(range_header or "")
    if not match or size == 0 or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.groups()
    if first:
        return int(first), min(int(last) if last else size - 1, size - 1)
    return max(0, size - int(last)), size - 1


def _stored_response(storage: Storage, audio: ArchivedAudio, range_header: str | None) -> Response:
    """The archived copy, streamed from the storage (a range read as a ranged read); raises
    StorageMissing when the object went away."""
    size = audio.size
    headers = {
        "accept-ranges": "bytes",
        "cache-control": "private, max-age=3600",
        "x-content-sha256": audio.sha256,
    }
    wanted = byte_range(range_header, size)
    if wanted is None:
        start, end, status = 0, size - 1, 200
    else:
        start, end = wanted
        if start > end or start >= size:
            headers = {"content-range": f"bytes */{size}", "x-content-sha256": audio.sha256}
            return Response(status_code=416, headers=headers)
        status = 206
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    if size == 0:
        return Response(b"", media_type=audio.content_type, headers=headers)
    chunks = storage.read(audio.key, start, end if wanted else None)
    headers["content-length"] = str(end - start + 1)
    return StreamingResponse(chunks, status, headers=headers, media_type=audio.content_type)


def recording_response(request: Request, ivruniqueid: str) -> Response:
    """The archived copy; else a redirect to Voicenter's URL (without our API code) when it is
    an https URL on an allowed host; else 404 (never a `javascript:`, `file:` or http link)."""
    cfg = crm_settings(request).recordings
    with engine(request).connect() as conn:
        row = get_recording(conn, ivruniqueid)
        source = conn.execute(
            select(legs.c.record_url).where(legs.c.ivruniqueid == ivruniqueid)
        ).scalar()
    if row is not None and row["storage"] in RECORDING_STORAGES:
        try:
            # where it was archived, not necessarily where new ones go
            storage = make_storage(replace(cfg, storage=row["storage"]))
            audio = read_recording(row, storage)
            if audio is not None:
                return _stored_response(storage, audio, request.headers.get("range"))
        except StorageMissing:
            pass  # deleted since: Voicenter's copy then
        except (ConfigError, JobOutcome) as exc:
            log.warning("recording %s: storage: %s", ivruniqueid, exc)
            raise HTTPException(503, "the recording storage is not available") from None
    target = redirect_target(source, cfg.url_policy)
    if target:
        return RedirectResponse(target, status_code=307)
    raise HTTPException(404, "no recording for this call")
