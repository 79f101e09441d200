"""Read API for stored legs and the quarantine (bearer API key)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlalchemy import Connection, RowMapping

from cdrhub.auth import require_api_key
from cdrhub.calls.phones import to_e164
from cdrhub.config import Settings
from cdrhub.httpapi import API_ERRORS, responses
from cdrhub.inputs import MAX_INT, InputError, bounded_int, check_moment
from cdrhub.store import quarantine as quarantine_repo
from cdrhub.store import unknowns
from cdrhub.store.legs import get_leg_row
from cdrhub.store.legs_query import Key, LegFilter, page_legs
from cdrhub.timefmt import iso_utc, iso_wall
from cdrhub.timerange import parse_range
from cdrhub.voicenter import vocab
from cdrhub.web import shapes
from cdrhub.web.drill import drill_filter, report_dims

router = APIRouter(
    prefix="/api", tags=["calls"], dependencies=[Depends(require_api_key)], responses=API_ERRORS
)


def _number(value: float | None) -> int | float | None:
    return int(value) if value is not None and float(value).is_integer() else value


def leg_json(row: RowMapping) -> dict[str, Any]:
    """The API's shape of a stored leg."""
    return {
        "ivruniqueid": row["ivruniqueid"],
        "type": row["type_key"] or row["type"],
        "type_raw": row["type"],
        "type_id": row["type_id"],
        "type_known": row["type_key"] is not None,
        "direction": row["direction"],
        "status": row["status"],
        "status_known": row["status_known"],
        "leg1_status": row["leg1_status"],
        "started_at": iso_utc(row["started_at"]),
        "started_at_local": iso_wall(row["started_at_local"], row["started_at"]),
        "time_raw": row["time_raw"],
        "time_mismatch_seconds": row["time_mismatch_seconds"],
        **{
            k: row[k]
            for k in (
                "caller",
                "caller_e164",
                "target",
                "target_e164",
                "did",
                "did_e164",
                "caller_extension",
                "caller_extension_name",
                "target_extension",
                "target_extension_name",
                "duration",
                "dialtime",
                "wait_seconds",
                "queue_id",
                "queue_name",
                "agent_code",
                "agent_name",
                "representative_code",
                "representative_name",
                "department_id",
                "department_name",
                "top_department_id",
                "top_department_name",
                "record_url",
                "caller_country",
                "target_country",
            )
        },
        "price_agorot": _number(row["price_agorot"]),
        "original_ivruniqueid": row["original_ivruniqueid"],
        "ivr": row["ivr"] or [],
        "ivr_raw": row["ivr_raw"],
        "ai_data": row["ai_data"],
        "custom_data": row["custom_data"],
        "unknown_fields": row["unknown_fields"] or [],
        "encoding": row["encoding"],
        "revision": row["revision"],
        "deliveries": row["deliveries"],
        "first_received_at": iso_utc(row["first_received_at"]),
        "last_received_at": iso_utc(row["last_received_at"]),
        "raw": row["raw"],
    }


def _read(request: Request) -> Connection:
    return request.app.state.engine.connect()


@router.get(
    "/calls/{ivruniqueid}",
    response_model=None,
    responses={200: {"model": shapes.Leg}, **responses(404)},
)
def get_call(ivruniqueid: str, request: Request) -> dict[str, Any]:
    """One leg by its Voicenter id, with its raw payload and delivery count."""
    with _read(request) as conn:
        row = get_leg_row(conn, ivruniqueid)
    if row is None:
        raise HTTPException(404, f"no leg {ivruniqueid!r}")
    return leg_json(row)


def _encode_cursor(key: Key) -> str:
    started_at, ident = key
    return base64.urlsafe_b64encode(f"{started_at.isoformat()}|{ident}".encode()).decode()


def _decode_cursor(cursor: str) -> Key:
    """What `_encode_cursor` wrote: a naive UTC instant in bounds and a row id."""
    try:
        stamp, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at = check_moment(datetime.fromisoformat(stamp), "cursor")
        if at.tzinfo is not None:
            raise ValueError(stamp)
        return at, bounded_int(ident, "cursor")
    except ValueError as exc:  # binascii.Error, UnicodeDecodeError and InputError are ones
        raise HTTPException(422, "invalid cursor") from exc


DIRECTION_TEXT = "`direction` must be one of " + ", ".join(vocab.DIRECTIONS)
TYPE_TEXT = "`type` is neither a known call type nor one a stored leg carries"
STATUS_TEXT = "`status` is neither a known call status nor one a stored leg carries"


def leg_filter(
    settings: Settings,
    *,
    from_: str | None,
    to: str | None,
    phone: str | None,
    agent: str | None,
    type_: str | None,
    status: str | None,
    queue: str | None,
    direction: str | None,
) -> LegFilter:
    """The query parameters of `/api/calls`, read (InputError, a 422, when one cannot be).
    An unknown type or status is checked against the stored legs by `check_received`."""
    span = parse_range(from_, to, settings.tz)
    if direction and direction.lower() not in vocab.DIRECTIONS:
        raise InputError(DIRECTION_TEXT)
    e164 = to_e164(phone, settings.default_region) if phone else None
    known = vocab.call_type(type_) if type_ else None
    numeric = queue is not None and queue.isascii() and queue.isdigit()
    return LegFilter(
        start=span.start_utc,
        end=span.end_utc,
        phone_e164=e164,
        phone_text=phone if phone and not e164 else None,
        agents=(agent,) if agent else None,
        type_key=known.name if known else None,
        type_text=type_ if type_ and not known else None,
        status=status.upper() if status else None,
        queue_id=bounded_int(queue, "queue") if queue and numeric else None,
        queue_name=queue if queue and not numeric else None,
        direction=direction.lower() if direction else None,
    )


def check_received(conn: Connection, found: LegFilter) -> None:
    """422 for a type or status that is neither known nor carried by a stored leg (it could
    only ever select nothing: a typo, not an empty answer)."""
    if found.type_text is not None and not unknowns.received(conn, "types", found.type_text):
        raise InputError(TYPE_TEXT)
    status = found.status
    known = status is None or status in vocab.KNOWN_STATUSES
    if not known and not unknowns.received(conn, "statuses", str(status)):
        raise InputError(STATUS_TEXT)


@router.get("/calls", response_model=None, responses={200: {"model": shapes.CallsPage}})
def list_calls(
    request: Request,
    from_: str | None = Query(
        None, alias="from", description="local date (its start) or ISO datetime"
    ),
    to: str | None = Query(
        None, description="local date (inclusive: the whole day) or ISO datetime (exclusive)"
    ),
    phone: str | None = Query(None, description="any written form; matched in E.164"),
    agent: str | None = Query(
        None, description="agent (Voicenter user) code or name, or extension"
    ),
    type: str | None = Query(
        None, description="call type, loosely spelled, or an unknown type as received"
    ),
    status: str | None = Query(None, description="call status (ANSWER, NOANSWER, ...)"),
    queue: str | None = Query(None, description="queue id or name"),
    direction: str | None = Query(None, description=", ".join(vocab.DIRECTIONS)),
    contact: Literal["in", "out"] | None = Query(
        None, description="in: incoming contacts, out: outgoing attempts (as the reports count)"
    ),
    country: str | None = Query(
        None, max_length=128, description="the customer's country of an outgoing attempt"
    ),
    weekday: int | None = Query(None, ge=0, le=6, description="local weekday, 0 = Sunday"),
    hour: int | None = Query(None, ge=0, le=23, description="local hour"),
    missed: bool | None = Query(None, description="true: not answered; false: answered"),
    queued: bool | None = Query(
        None, description="true: legs of some queue (as the queues report counts); false: of none"
    ),
    department: str | None = Query(
        None, description="department ids or names, comma-separated, as the reports' `department`"
    ),
    queue_id: str | None = Query(
        None, description="queue ids or names, comma-separated, as the reports' `queue`"
    ),
    agent_code: str | None = Query(
        None,
        description="agent codes or names, comma-separated, as the reports' `agent`: the leg's "
        "agent_code only (not the representative or an extension, unlike `agent`)",
    ),
    type_label: str | None = Query(
        None, description="call types, comma-separated, as the reports' `type` labels them"
    ),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200, description="`next_cursor` of a page"),
) -> dict[str, Any]:
    """Legs newest first, filtered; pass `next_cursor` back as `cursor` for the next page.
    `from`/`to` mean what they mean in every report (README, API)."""
    found = leg_filter(
        request.app.state.settings,
        from_=from_,
        to=to,
        phone=phone,
        agent=agent,
        type_=type,
        status=status,
        queue=queue,
        direction=direction,
    )
    drill = {
        "contact": contact,
        "country": country,
        "missed": None if missed is None else str(missed),
        "queued": None if queued is None else str(queued),
    }
    drill |= {"weekday": None if weekday is None else str(weekday)}
    drill |= {"hour": None if hour is None else str(hour)}
    found = drill_filter(found, drill)
    after = _decode_cursor(cursor) if cursor else None
    dims = {"department": department, "queue_id": queue_id, "agent_code": agent_code}
    dims |= {"type_label": type_label}
    with _read(request) as conn:
        check_received(conn, found)
        found = report_dims(conn, found, dims)
        rows, last = page_legs(conn, found, after=after, limit=limit)
    return {
        "calls": [leg_json(r) for r in rows],
        "next_cursor": _encode_cursor(last) if last else None,
    }


@router.get("/quarantine")
def list_quarantine(
    request: Request,
    include_replayed: bool = False,
    limit: int = Query(quarantine_repo.LIST_DEFAULT, ge=1, le=quarantine_repo.LIST_MAX),
    cursor: int | None = Query(
        None, ge=0, le=MAX_INT, description="the `next_cursor` of the page before"
    ),
) -> dict[str, Any]:
    """Deliveries that could not be read as CDRs, oldest first, without their bodies (one at a
    time: `/api/quarantine/{id}`)."""
    with _read(request) as conn:
        rows, next_cursor = quarantine_repo.page(
            conn, after=cursor, limit=limit, include_replayed=include_replayed
        )
    return {"items": [quarantine_repo.as_json(r) for r in rows], "next_cursor": next_cursor}


@router.get("/quarantine/{quarantine_id}", responses=responses(404))
def get_quarantined(
    request: Request, quarantine_id: int = Path(ge=1, le=MAX_INT)
) -> dict[str, Any]:
    """One quarantined delivery with its headers and body (`body` when it is UTF-8, else
    `body_base64`)."""
    with _read(request) as conn:
        row = quarantine_repo.get(conn, quarantine_id)
    if row is None:
        raise HTTPException(404, "no such quarantined delivery")
    return quarantine_repo.as_json_with_body(row)
