"""The dashboard's live stream (`GET /live/stream`, Server-Sent Events): the callback items'
events in the user's scope, each with what a pop-up shows (the number, the contact's name if
known, the queue, since when, how often this number called in 30 days).

Each event's SSE id is its feed cursor, so a browser that reconnects (sending Last-Event-ID)
resumes exactly after the last event it had; events outside the user's scope advance the
cursor with an id-only message. The stream ends when the session does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection, Engine, func, select
from starlette.concurrency import run_in_threadpool

from cdrhub.automations import live
from cdrhub.calls.phones import display_number
from cdrhub.crm.contacts import contacts_for_phone
from cdrhub.people.sessions import Session
from cdrhub.store.schema import legs
from cdrhub.timefmt import utcnow
from cdrhub.web.pages import guard

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
RECENT = timedelta(days=30)


def in_scope(session: Session, event: dict[str, Any]) -> bool:
    return session.user.sees(event["queue_name"], event["department_name"])


def _calls_from(conn: Connection, number: str) -> int:
    since = utcnow() - RECENT
    query = select(func.count()).where(legs.c.caller_e164 == number, legs.c.started_at >= since)
    return int(conn.execute(query).scalar_one())


def describe(conn: Connection, event: dict[str, Any], region: str) -> dict[str, Any]:
    """What the browser gets of one event."""
    number = event["customer_number"] or ""
    shown: dict[str, Any] = {
        "kind": event["kind"],
        "item_id": event["item_id"],
        "number": number,
        "number_display": display_number(number, region) if number else "",
        "queue": event["queue_name"],
        "department": event["department_name"],
        **event["data"],
    }
    if event["kind"] in live.POP_UP and number:
        contacts = contacts_for_phone(conn, number)
        shown["contact_name"] = contacts[0]["name"] if contacts else None
        shown["calls_30d"] = _calls_from(conn, number)
    return shown


def _sse(cursor: live.Cursor, data: dict[str, Any] | None) -> str:
    if data is None:
        return f"id: {cursor}\n\n"
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {cursor}\nevent: {data['kind']}\ndata: {body}\n\n"


def read_batch(
    engine: Engine, session: Session, cursor: live.Cursor, region: str
) -> tuple[list[str], live.Cursor]:
    """The SSE messages after `cursor` for this user, and the cursor after them."""
    messages: list[str] = []
    with engine.connect() as conn:
        events = live.after(conn, cursor)
        for event in events:
            cursor = event["cursor"]
            if in_scope(session, event):
                messages.append(_sse(cursor, describe(conn, event, region)))
    if events and not in_scope(session, events[-1]):
        messages.append(_sse(cursor, None))
    return messages, cursor


def _still_signed_in(request: Request) -> bool:
    from cdrhub.people import sessions

    with request.app.state.engine.connect() as conn:
        return sessions.resolve(conn, request.cookies.get(guard.SESSION_COOKIE)) is not None


def _start(engine: Engine, last_event_id: str | None) -> live.Cursor:
    """Resume after the browser's last event, else start after what is settled now."""
    cursor = live.Cursor.parse(last_event_id)
    if cursor is None:
        with engine.connect() as conn:
            cursor = live.now_cursor(conn)
    return cursor


@router.get("/live/stream")
async def stream(
    request: Request, session: Session = Depends(guard.signed_in)
) -> StreamingResponse:
    engine: Engine = request.app.state.engine
    region = request.app.state.settings.default_region
    last_event_id = request.headers.get("last-event-id")

    async def messages() -> AsyncIterator[str]:
        position = await run_in_threadpool(_start, engine, last_event_id)
        yield f"retry: 3000\nid: {position}\n\n"
        quiet = 0.0
        while not await request.is_disconnected():
            batch, position = await run_in_threadpool(read_batch, engine, session, position, region)
            for message in batch:
                yield message
            if batch:
                quiet = 0.0
                continue
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS
            if quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                if not await run_in_threadpool(_still_signed_in, request):
                    return
                yield ": keepalive\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages(), media_type="text/event-stream", headers=headers)
