"""The embeddable widget: a number's timeline as a small HTML page for an iframe in a CRM,
reached through a signed, expiring link (never the API key), and its recordings."""

from __future__ import annotations

import time
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from cdrhub.calls.model import CallLeg
from cdrhub.calls.phones import MAX_PHONE_CHARS, display_number, parse_e164
from cdrhub.crm.embed import recording_path, verify
from cdrhub.crm.serving import (
    crm_settings,
    engine,
    leg_involves,
    recording_response,
    secret,
)
from cdrhub.crm.timeline import build_timeline
from cdrhub.crm.widget_text import TEXTS, direction

router = APIRouter(prefix="/embed", tags=["embed"], include_in_schema=False)
_TEMPLATES = Environment(
    loader=PackageLoader("cdrhub.crm", "templates"), autoescape=select_autoescape(["html"])
)
_PAGE_SIZE = 50


def _authorised(request: Request, phone: str, exp: int | None, sig: str | None) -> str:
    """The number's E.164 when the signature is good and unexpired; 403 otherwise.

    The signature is checked before anything else is done with the number: links carry the
    E.164 they were signed for, which verifies as it is; another spelling of it is normalized
    without a cache. A bad link costs no database work and leaves no trace in memory."""
    now = time.time()
    if not sig or exp is None or exp < now or len(phone) > MAX_PHONE_CHARS:
        raise HTTPException(403, "invalid or expired link")
    key = secret(request)
    if verify(key, phone, exp, sig, now):
        return phone
    e164 = parse_e164(phone, crm_settings(request).region)
    if e164 is None or e164 == phone or not verify(key, e164, exp, sig, now):
        raise HTTPException(403, "invalid or expired link")
    return e164


def _duration(seconds: Any) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


_TEMPLATES.filters["duration"] = _duration


def local_time(iso_text: Any, tz: ZoneInfo) -> str:
    """An ISO time as the account's wall clock, `2023-11-15 12:06:40`: one with a zone (`Z`, an
    offset) converted to `tz`, one without taken as a wall-clock reading already; anything
    else as it is. Calls and callbacks are written alike through it."""
    try:
        instant = datetime.fromisoformat(str(iso_text))
    except ValueError:
        return str(iso_text or "")
    if instant.tzinfo is not None:
        instant = instant.astimezone(tz)
    return instant.strftime("%Y-%m-%d %H:%M:%S")


@router.get("/contacts/{phone}", response_class=HTMLResponse)
def contact_page(
    phone: str,
    request: Request,
    exp: int | None = Query(None),
    sig: str | None = Query(None),
) -> HTMLResponse:
    e164 = _authorised(request, phone, exp, sig)
    key = secret(request)
    expires = exp or 0

    def link(leg: CallLeg, row: Any) -> str:
        return recording_path(key, e164, expires, leg.ivruniqueid)

    with engine(request).connect() as conn:
        data = build_timeline(conn, e164, recording_link=link, limit=_PAGE_SIZE, parties_only=True)
    crm = crm_settings(request)
    language = crm.embed.language
    html = _TEMPLATES.get_template("embed.html").render(
        phone=e164,
        data=data,
        lang=language,
        dir=direction(language),
        t=TEXTS[language],
        number=partial(display_number, region=crm.region),
        local_time=partial(local_time, tz=request.app.state.settings.tz),
    )
    ancestors = crm.embed.frame_ancestors
    headers = {
        "content-security-policy": (
            "default-src 'none'; style-src 'unsafe-inline'; media-src 'self' https:; "
            f"frame-ancestors {ancestors}"
        ),
        "referrer-policy": "no-referrer",
        "cache-control": "private, no-store",
        "x-robots-tag": "noindex",
    }
    return HTMLResponse(html, headers=headers)


@router.get("/recordings/{ivruniqueid}")
def recording(
    ivruniqueid: str,
    request: Request,
    phone: str = Query(...),
    exp: int | None = Query(None),
    sig: str | None = Query(None),
) -> Response:
    """A recording of a call with the number the signature was made for."""
    e164 = _authorised(request, phone, exp, sig)
    with engine(request).connect() as conn:
        if not leg_involves(conn, ivruniqueid, e164):
            raise HTTPException(404, "no recording for this call")  # none of this number's
    return recording_response(request, ivruniqueid)
