"""The Calls page (`/calls`): legs found by number (any spelling), agent, dates, type, status
and direction, newest first, a page at a time; a call (`/calls/<leg id>`) with its stitched
legs, IVR path, AI summary and transcript, and its recording playing in the page (range
requests, so seeking works). Agents see their own calls, others their scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import Connection, or_, select

from cdrhub.calls.phones import display_number, to_e164
from cdrhub.calls.stitch import stitch
from cdrhub.crm import serving
from cdrhub.crm.timeline import build_timeline, call_item, recordings_for
from cdrhub.inputs import InputError, bounded_int
from cdrhub.people.sessions import Session
from cdrhub.people.users import User
from cdrhub.store.legs import row_to_leg
from cdrhub.store.legs_query import LegFilter, page_legs
from cdrhub.store.schema import legs
from cdrhub.timerange import parse_range
from cdrhub.web.drill import NAMES as DRILL
from cdrhub.web.drill import drill_filter, report_dims
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import local_time, page

router = APIRouter(include_in_schema=False)
PAGE = 50
DIRECTIONS = ("in", "out", "leg1", "transfer", "conference")


def visible(user: User) -> list[Any]:
    """The SQL conditions of the legs a user may see."""
    if user.role == "admin":
        return []
    if user.role == "agent":
        codes = [c for c in (user.agent_code, user.extension) if c]
        if not codes:
            return [legs.c.id < 0]  # an agent with no code has no calls of their own
        return [or_(legs.c.agent_code.in_(codes), legs.c.representative_code.in_(codes))]
    scope = user.scope
    if scope.everything:
        return []
    either = []
    if scope.queues is not None:
        either.append(legs.c.queue_name.in_(sorted(scope.queues)))
    if scope.departments is not None:
        either.append(legs.c.department_name.in_(sorted(scope.departments)))
    return [or_(*either)]


def _filter(request: Request, params: dict[str, str]) -> LegFilter:
    settings = request.app.state.settings
    found = LegFilter()
    if params.get("from") or params.get("to"):
        span = parse_range(params.get("from"), params.get("to"), settings.tz)
        found = replace(found, start=span.start_utc, end=span.end_utc)
    number = params.get("number", "").strip()[:64]
    if number:
        e164 = to_e164(number, settings.default_region)
        found = replace(found, phone_e164=e164) if e164 else replace(found, phone_text=number)
    if params.get("agent"):
        found = replace(found, agents=(params["agent"].strip()[:64],))
    if params.get("status"):
        found = replace(found, status=params["status"].strip()[:64])
    if params.get("type"):
        found = replace(found, type_text=params["type"].strip()[:64])
    if params.get("direction") in DIRECTIONS:
        found = replace(found, direction=params["direction"])
    if params.get("queue"):
        queue = params["queue"].strip()[:128]
        numeric = queue.isascii() and queue.isdigit()
        found = replace(
            found,
            queue_id=bounded_int(queue, "queue") if numeric else None,
            queue_name=None if numeric else queue,
        )
    return drill_filter(found, params)


@router.get("/calls")
def calls_page(request: Request, session: Session = Depends(guard.signed_in)) -> Response:
    params = {
        k: v
        for k, v in request.query_params.items()
        if k in ("number", "agent", "from", "to", "type", "status", "direction", "after", "queue")
        or k in DRILL
    }
    lang, settings = guard.lang_of(request), request.app.state.settings
    error = None
    rows: list[Any] = []
    next_key = None
    try:
        found = _filter(request, params)
        with request.app.state.engine.connect() as conn:
            found = report_dims(conn, found, params)
            rows, next_key = _page(conn, found, session.user, params.get("after"))
    except InputError as exc:
        error = str(exc)
    shown = [
        {
            **row,
            "local": local_time(row["started_at"], settings.tz, lang),
            "from_display": display_number(row["caller_e164"], settings.default_region)
            if row["caller_e164"]
            else row["caller"],
            "to_display": display_number(row["target_e164"], settings.default_region)
            if row["target_e164"]
            else row["target"],
        }
        for row in rows
    ]
    after = f"{next_key[0].isoformat()}_{next_key[1]}" if next_key else None
    return page(
        request,
        lang,
        "calls.html",
        422 if error else 200,
        user=session.user,
        csrf=session.csrf,
        rows=shown,
        params=params,
        error=error,
        after=after,
        directions=DIRECTIONS,
        drill_keys=("queue", *DRILL),
    )


def _page(
    conn: Connection, found: LegFilter, user: User, after: str | None
) -> tuple[list[Any], Any]:
    key = None
    if after:
        at, _, ident = after.partition("_")
        try:
            key = (datetime.fromisoformat(at), int(ident))
        except ValueError:
            raise InputError("after: not a page of this list") from None
    return page_legs(conn, found, after=key, limit=PAGE, limits=visible(user))


def _leg_or_404(conn: Connection, user: User, ivruniqueid: str) -> Any:
    row = (
        conn.execute(select(legs).where(legs.c.ivruniqueid == ivruniqueid[:128], *visible(user)))
        .mappings()
        .first()
    )
    if row is None:
        raise HTTPException(404, "no such call")
    return row


def _recording_link(leg: Any, row: Any) -> str | None:
    if (row is None or row["status"] != "archived") and not leg.record_url:
        return None
    return f"/calls/{leg.ivruniqueid}/recording"


def _has_leg(call: dict[str, Any], ivruniqueid: str) -> bool:
    return any(x["ivruniqueid"] == ivruniqueid for x in call["legs"])


@router.get("/calls/{ivruniqueid}")
def call_page(
    request: Request, ivruniqueid: str, session: Session = Depends(guard.signed_in)
) -> Response:
    settings = request.app.state.settings
    with request.app.state.engine.connect() as conn:
        row = _leg_or_404(conn, session.user, ivruniqueid)
        leg = row_to_leg(row)
        number = leg.caller_e164 if leg.direction == "in" else leg.target_e164
        if number:
            timeline = build_timeline(conn, number, recording_link=_recording_link, limit=200)
            calls = [
                c
                for c in timeline["calls"]
                if any(x["ivruniqueid"] == leg.ivruniqueid for x in c["legs"])
            ]
        else:
            stitched = stitch([leg])
            calls = [
                call_item(c, recordings_for(conn, stitched), _recording_link) for c in stitched
            ]
    call = calls[0] if calls else None
    policy = serving.crm_settings(request).recordings.url_policy
    hosts = tuple(f"https://{h}" for h in policy.allowed_hosts)
    return page(
        request,
        guard.lang_of(request),
        "call.html",
        user=session.user,
        csrf=session.csrf,
        call=call,
        leg=row,
        number=number,
        media_hosts=hosts,
        number_display=display_number(number, settings.default_region) if number else None,
    )


@router.get("/calls/{ivruniqueid}/recording")
def call_recording(
    request: Request, ivruniqueid: str, session: Session = Depends(guard.signed_in)
) -> Response:
    """The recording, for the page's player: the archived copy (with ranges), else a redirect
    to Voicenter's copy on an allowed host."""
    with request.app.state.engine.connect() as conn:
        _leg_or_404(conn, session.user, ivruniqueid)
    return serving.recording_response(request, ivruniqueid)
