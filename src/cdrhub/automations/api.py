"""HTTP API of automations, behind the API key:

- `GET /api/jobs?status=&kind=&limit=&offset=`, `GET /api/jobs/{id}`, `POST /api/jobs/{id}/retry`,
  `POST /api/jobs/retry-dead?kind=`
- `GET /api/callbacks?status=open&assigned_to=` (oldest first, with `wait_seconds`),
  `GET /api/callbacks/{id}`, `POST /api/callbacks/{id}/assign {"agent"}`,
  `POST /api/callbacks/{id}/close {"note", "by"}`, `POST /api/callbacks/{id}/call {"agent"}`
  (Voicenter Click2Call: rings the agent, then dials the customer)
- `GET /api/notifications` (latest), `GET /api/notifications/stream` (Server-Sent Events,
  `Authorization: Bearer` like the rest: no key in a URL, where logs and proxies keep it;
  resumes after `Last-Event-ID`)
- `GET /api/optouts`, `POST /api/optouts {"number", "reason"}`, `DELETE /api/optouts/{number}`

The `callbacks` report is served by `/api/reports/callbacks` (analytics registry).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy import Engine

from cdrhub.auth import require_api_key
from cdrhub.automations import callbacks, notifications, shapes, suppression
from cdrhub.calls.phones import to_e164
from cdrhub.httpapi import API_ERRORS, Body, responses
from cdrhub.inputs import MAX_INT, InputError, bounded_int
from cdrhub.jobs import outbox
from cdrhub.jobs.outbox import utcnow
from cdrhub.store.engine import write_transaction

router = APIRouter(
    prefix="/api",
    tags=["automations"],
    dependencies=[Depends(require_api_key)],
    responses=API_ERRORS,
)

# Row ids and paging offsets: what a BIGINT holds.
JOB_ID = Path(ge=1, le=MAX_INT)
ITEM_ID = Path(ge=1, le=MAX_INT)
OFFSET = Query(0, ge=0, le=MAX_INT)


def _engine(request: Request) -> Engine:
    return request.app.state.engine


# --- jobs ------------------------------------------------------------------------------------


@router.get("/jobs", response_model=None, responses={200: {"model": shapes.JobList}})
def list_jobs(
    request: Request,
    status: str | None = Query(None, description="pending | running | done | dead | skipped"),
    kind: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = OFFSET,
) -> dict[str, Any]:
    if status and status not in outbox.STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(outbox.STATUSES)}")
    with _engine(request).connect() as conn:
        jobs = outbox.list_jobs(conn, status=status, kind=kind, limit=limit, offset=offset)
        counts = outbox.count_jobs(conn)
    return {"jobs": jobs, "counts": counts}


@router.post("/jobs/retry-dead", response_model=None, responses={200: {"model": shapes.Retried}})
def retry_dead_jobs(request: Request, kind: str | None = None) -> dict[str, Any]:
    with write_transaction(_engine(request)) as conn:
        return {"retried": outbox.retry_dead(conn, kind=kind)}


@router.get(
    "/jobs/{job_id}", response_model=None, responses={200: {"model": shapes.Job}, **responses(404)}
)
def get_job(request: Request, job_id: int = JOB_ID) -> dict[str, Any]:
    with _engine(request).connect() as conn:
        job = outbox.get_job(conn, job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job


@router.post(
    "/jobs/{job_id}/retry",
    response_model=None,
    responses={200: {"model": shapes.Job}, **responses(404, 409)},
)
def retry_job(request: Request, job_id: int = JOB_ID) -> dict[str, Any]:
    with write_transaction(_engine(request)) as conn:
        if outbox.get_job(conn, job_id) is None:
            raise HTTPException(404, "no such job")
        if not outbox.retry_job(conn, job_id):
            raise HTTPException(409, "only dead or skipped jobs can be retried")
        return outbox.get_job(conn, job_id) or {}


# --- callback items --------------------------------------------------------------------------


class AssignBody(Body):
    agent: str | None = Field(None, max_length=128)


class CloseBody(Body):
    note: str | None = Field(None, max_length=10_000)
    by: str | None = Field(None, max_length=128)


@router.get("/callbacks", response_model=None, responses={200: {"model": shapes.CallbackList}})
def list_callbacks(
    request: Request,
    status: str = Query("open", description="open | returned | reached | closed | all"),
    assigned_to: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = OFFSET,
) -> dict[str, Any]:
    with _engine(request).connect() as conn:
        items = callbacks.list_items(
            conn,
            utcnow(),
            status=None if status == "all" else status,
            assigned_to=assigned_to,
            limit=limit,
            offset=offset,
        )
        open_count = callbacks.count_open(conn)
    return {"items": items, "open": open_count}


@router.get(
    "/callbacks/{item_id}",
    response_model=None,
    responses={200: {"model": shapes.CallbackItem}, **responses(404)},
)
def get_callback(request: Request, item_id: int = ITEM_ID) -> dict[str, Any]:
    with _engine(request).connect() as conn:
        item = callbacks.get_item(conn, item_id, utcnow())
    if item is None:
        raise HTTPException(404, "no such callback item")
    return item


@router.post(
    "/callbacks/{item_id}/assign",
    response_model=None,
    responses={200: {"model": shapes.CallbackItem}, **responses(404)},
)
def assign_callback(body: AssignBody, request: Request, item_id: int = ITEM_ID) -> dict[str, Any]:
    now = utcnow()
    with write_transaction(_engine(request)) as conn:
        if not callbacks.assign(conn, item_id, body.agent, now):
            raise HTTPException(404, "no such callback item")
        return callbacks.get_item(conn, item_id, now) or {}


@router.post(
    "/callbacks/{item_id}/close",
    response_model=None,
    responses={200: {"model": shapes.CallbackItem}, **responses(404, 409)},
)
def close_callback(body: CloseBody, request: Request, item_id: int = ITEM_ID) -> dict[str, Any]:
    now = utcnow()
    with write_transaction(_engine(request)) as conn:
        item = callbacks.get_item(conn, item_id, now)
        if item is None:
            raise HTTPException(404, "no such callback item")
        if not callbacks.close(conn, item_id, now, note=body.note, by=body.by):
            raise HTTPException(409, f"the item is already {item['status']}")
        return callbacks.get_item(conn, item_id, now) or {}


class CallBody(Body):
    agent: str = Field(min_length=1, max_length=64, description="extension code or number")
    via: str | None = Field(None, max_length=64, description="voicenter channel name")
    request_id: str | None = Field(None, max_length=64, description="dedupes double clicks")


@router.post(
    "/callbacks/{item_id}/call",
    status_code=202,
    response_model=None,
    responses={202: {"model": shapes.CallQueued}, **responses(404)},
)
def call_back(body: CallBody, request: Request, item_id: int = ITEM_ID) -> dict[str, Any]:
    """Ring the agent's phone, then dial the customer (Voicenter Click2Call, via the outbox)."""
    from cdrhub.automations import calling

    try:
        via = calling.voicenter_channel(request.app.state.settings, body.via)
    except calling.NoVoicenterChannel as exc:
        raise HTTPException(422, str(exc)) from None
    now = utcnow()
    stamp = body.request_id or now.strftime("%Y%m%d%H%M")  # one call a minute per agent
    with write_transaction(_engine(request)) as conn:
        try:
            done = calling.request_call(conn, via, item_id, body.agent, stamp, now)
        except calling.NoSuchItem:
            raise HTTPException(404, "no such callback item") from None
    if not done.queued:
        return {"queued": False, "reason": "already requested", "key": done.key}
    return {"queued": True, "job_id": done.job_id, "key": done.key}


# --- opt-outs --------------------------------------------------------------------------------


class OptOutBody(Body):
    number: str = Field(max_length=64)
    reason: str | None = Field(None, max_length=1000)


def _e164(request: Request, number: str) -> str:
    region = request.app.state.settings.default_region
    e164 = to_e164(number, region)
    if e164 is None:
        raise HTTPException(422, f"not a phone number: {number!r}")
    return e164


@router.get("/optouts", response_model=None, responses={200: {"model": shapes.OptOutList}})
def list_optouts(request: Request) -> dict[str, Any]:
    with _engine(request).connect() as conn:
        return {"optouts": suppression.list_opt_outs(conn)}


@router.post(
    "/optouts",
    status_code=201,
    response_model=None,
    responses={201: {"model": shapes.OptOutAdded}},
)
def add_optout(body: OptOutBody, request: Request) -> dict[str, Any]:
    number = _e164(request, body.number)
    with write_transaction(_engine(request)) as conn:
        added = suppression.add_opt_out(conn, number, utcnow(), body.reason)
    return {"number": number, "added": added}


@router.delete(
    "/optouts/{number}",
    response_model=None,
    responses={200: {"model": shapes.OptOutRemoved}, **responses(404)},
)
def remove_optout(number: str, request: Request) -> dict[str, Any]:
    e164 = _e164(request, number)
    with write_transaction(_engine(request)) as conn:
        if not suppression.remove_opt_out(conn, e164):
            raise HTTPException(404, "not on the opt-out list")
    return {"number": e164, "removed": True}


# --- notifications ---------------------------------------------------------------------------


@router.get(
    "/notifications", response_model=None, responses={200: {"model": shapes.NotificationList}}
)
def latest_notifications(request: Request, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    with _engine(request).connect() as conn:
        return {"notifications": notifications.latest(conn, limit)}


def _sse(note: dict[str, Any]) -> str:
    data = json.dumps(jsonable_encoder(note), ensure_ascii=False)
    return f"id: {note['id']}\nevent: notification\ndata: {data}\n\n"


@router.get(
    "/notifications/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: one `data:` line of JSON per notification",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def notification_stream(
    request: Request,
    after: int | None = Query(
        None, ge=0, le=MAX_INT, description="start after this id (default: only new ones)"
    ),
) -> StreamingResponse:
    engine = _engine(request)
    section = request.app.state.settings.section("automations")
    poll = float(section.get("notify_poll_seconds", 1.0))
    keepalive = float(section.get("notify_keepalive_seconds", 15.0))
    last_event = request.headers.get("last-event-id")
    if after is None and last_event:
        with contextlib.suppress(InputError):  # a header the browser echoes: ignored if odd
            after = bounded_int(last_event, "Last-Event-ID")

    def read_since(cursor: int) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return notifications.since(conn, cursor)

    def read_last() -> int:
        with engine.connect() as conn:
            return notifications.last_id(conn)

    async def events() -> AsyncIterator[str]:
        cursor = after if after is not None else await run_in_threadpool(read_last)
        yield f"retry: 3000\n: cdrhub notifications after {cursor}\n\n"
        quiet_for = 0.0
        while not await request.is_disconnected():
            batch = await run_in_threadpool(read_since, cursor)
            for note in batch:
                cursor = note["id"]
                yield _sse(note)
            if batch:
                quiet_for = 0.0
                continue
            await asyncio.sleep(poll)
            quiet_for += poll
            if quiet_for >= keepalive:
                quiet_for = 0.0
                yield ": keepalive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


ROUTERS = (router,)
