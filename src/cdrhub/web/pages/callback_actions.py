"""What a user does with a callback item from the dashboard: call the customer back through
their own extension, take the item, close it with a note. Every action is audited; each answers
JSON to the page's script, or sends a form without script back to where it came from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cdrhub.automations import callbacks, calling
from cdrhub.people import audit
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.timefmt import utcnow
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import redirect

router = APIRouter(include_in_schema=False)

MAX_NOTE = 2000


def _answer(request: Request, status: int, body: dict[str, Any]) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    return redirect("/")


def _item_in_scope(request: Request, session: Session, item_id: int) -> dict[str, Any] | None:
    with request.app.state.engine.connect() as conn:
        item = callbacks.get_item(conn, item_id, utcnow())
    if item is None:
        return None
    user = session.user
    if user.role != "admin" and not user.scope.covers(
        item["queue_name"], item.get("department_name")
    ):
        return None
    return item


@router.post("/callbacks/{item_id}/call")
def call_back(
    request: Request,
    item_id: int,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.signed_in),
) -> Response:
    guard.check_form(request, fields, session)
    user = session.user
    if not user.extension:
        return _answer(request, 422, {"error": "no_extension"})
    if _item_in_scope(request, session, item_id) is None:
        return _answer(request, 404, {"error": "no_item"})
    try:
        via = calling.voicenter_channel(request.app.state.settings)
    except calling.NoVoicenterChannel:
        return _answer(request, 422, {"error": "no_channel"})
    request_id = (fields.get("request") or "")[:64] or utcnow().strftime("%Y%m%d%H%M")
    now = utcnow()
    with write_transaction(request.app.state.engine) as conn:
        done = calling.request_call(
            conn,
            via,
            item_id,
            user.extension,
            f"{user.id}:{request_id}",
            now,
            assign_to=user.email,
            agent_code=user.agent_code,
        )
        if done.queued:
            audit.record(
                conn,
                user.email,
                "callback.call",
                f"callback:{item_id}",
                user_id=user.id,
                detail={"extension": user.extension},
            )
    return _answer(request, 202, {"queued": done.queued})


@router.post("/callbacks/{item_id}/assign")
def take(
    request: Request,
    item_id: int,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.signed_in),
) -> Response:
    guard.check_form(request, fields, session)
    if _item_in_scope(request, session, item_id) is None:
        return _answer(request, 404, {"error": "no_item"})
    user = session.user
    with write_transaction(request.app.state.engine) as conn:
        callbacks.assign(conn, item_id, user.email, utcnow(), agent_code=user.agent_code)
        audit.record(conn, user.email, "callback.assign", f"callback:{item_id}", user_id=user.id)
    return _answer(request, 200, {"assigned_to": user.email})


@router.post("/callbacks/{item_id}/close")
def close(
    request: Request,
    item_id: int,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.signed_in),
) -> Response:
    guard.check_form(request, fields, session)
    if _item_in_scope(request, session, item_id) is None:
        return _answer(request, 404, {"error": "no_item"})
    user = session.user
    note = fields.get("note", "")[:MAX_NOTE] or None
    with write_transaction(request.app.state.engine) as conn:
        closed = callbacks.close(conn, item_id, utcnow(), note=note, by=user.email)
        if closed:
            audit.record(
                conn,
                user.email,
                "callback.close",
                f"callback:{item_id}",
                user_id=user.id,
                detail={"note": note},
            )
    return _answer(request, 200 if closed else 409, {"closed": closed})
