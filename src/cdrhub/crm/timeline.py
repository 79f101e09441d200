"""A phone number's timeline: every call with it, newest first, legs stitched into calls.

Reading is two steps: `legs_for_phone` fetches the legs where the number is the caller or the
target plus the legs they are linked to (the agent's leg 1 of a Click2Call, transfers), and
`call_item` turns one stitched Call into the JSON the API and the widget show. The widget, which
a link signed for one number opens, shows only the legs that number is a party of: the links
between legs are what CDRs say, and a CDR may point at any other call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, or_, select

from cdrhub.calls.model import CallLeg
from cdrhub.calls.stitch import LEG2_TYPES, PAIR_WINDOW, Call, outcome_of, stitch
from cdrhub.crm.callbacks import callback_items
from cdrhub.crm.contacts import contacts_for_phone
from cdrhub.crm.tables import recordings
from cdrhub.store.legs import row_to_leg
from cdrhub.store.schema import legs
from cdrhub.timefmt import iso_utc, iso_wall

MAX_HOPS = 3  # transfer chains followed this many links deep


def _fetch(conn: Connection, *conditions: Any) -> list[CallLeg]:
    rows = conn.execute(select(legs).where(or_(*conditions))).mappings()
    return [row_to_leg(r) for r in rows]


def legs_for_phone(
    conn: Connection,
    e164: str,
    *,
    limit: int = 100,
    before: datetime | None = None,
    hops: int = MAX_HOPS,
) -> tuple[list[CallLeg], datetime | None]:
    """The newest `limit` legs with this number (started before `before`) and their relatives
    up to `hops` links away, and the cursor for the next page (None when this page is the
    last)."""
    # each side on its own (phone, started_at, id) index: an OR of both would sort every leg
    # of a busy number before the limit
    newest: dict[str, RowMapping] = {}
    for side in (legs.c.caller_e164, legs.c.target_e164):
        query = select(legs).where(side == e164)
        if before is not None:
            query = query.where(legs.c.started_at < before)
        query = query.order_by(legs.c.started_at.desc(), legs.c.id.desc()).limit(limit)
        newest.update((r["ivruniqueid"], r) for r in conn.execute(query).mappings())
    rows = sorted(newest.values(), key=_newest_first)
    found = {leg.ivruniqueid: leg for leg in map(row_to_leg, rows[:limit])}
    frontier = list(found.values())
    starts = [leg.started_at for leg in frontier if leg.started_at is not None]
    cursor = min(starts) if len(frontier) >= limit and starts else None
    for _ in range(hops):
        if not frontier:
            break
        conditions = []
        parents = {leg.original_ivruniqueid for leg in frontier if leg.original_ivruniqueid}
        if parents - found.keys():
            conditions.append(legs.c.ivruniqueid.in_(sorted(parents - found.keys())))
        conditions.append(legs.c.original_ivruniqueid.in_([leg.ivruniqueid for leg in frontier]))
        conditions.extend(_leg1_conditions(frontier))
        frontier = [leg for leg in _fetch(conn, *conditions) if leg.ivruniqueid not in found]
        found.update((leg.ivruniqueid, leg) for leg in frontier)
    return list(found.values()), cursor


def _newest_first(row: RowMapping) -> tuple[bool, float, int]:
    """Newest first, legs without a start time last."""
    at = row["started_at"]
    return (at is None, -at.timestamp() if at is not None else 0.0, -row["id"])


def _leg1_conditions(frontier: list[CallLeg]) -> list[Any]:
    """Candidate agent legs for two-leg calls that no OriginalIvrUniqueID links."""
    conditions = []
    for leg in frontier:
        if leg.original_ivruniqueid or leg.started_at is None or leg.type_key not in LEG2_TYPES:
            continue
        same = [
            c
            for c in (
                legs.c.target_extension == leg.caller_extension if leg.caller_extension else None,
                legs.c.agent_code == leg.agent_code if leg.agent_code else None,
            )
            if c is not None
        ]
        if not same:
            continue
        conditions.append(
            and_(
                legs.c.direction == "leg1",
                legs.c.started_at >= leg.started_at - PAIR_WINDOW,
                legs.c.started_at <= leg.started_at,
                or_(*same),
            )
        )
    return conditions


def ai_parts(ai_data: Any) -> dict[str, Any] | None:
    """Summary, questions, transcript and emotions from Voicenter's `aiData`, where present."""
    if not isinstance(ai_data, Mapping):
        return None
    insights = ai_data.get("insights")
    if not isinstance(insights, Mapping):
        insights = {}
    parts = {
        "summary": insights.get("summary") or ai_data.get("summary"),
        "questions": insights.get("questions") or [],
        "transcript": ai_data.get("transcript") or [],
        "emotions": ai_data.get("emotions"),
    }
    return parts if any(parts.values()) else None


def _leg_item(leg: CallLeg) -> dict[str, Any]:
    return {
        "ivruniqueid": leg.ivruniqueid,
        "type": leg.type,
        "direction": leg.direction,
        "status": leg.status,
        "outcome": outcome_of(leg.status),
        "started_at": iso_utc(leg.started_at),
        "caller": leg.caller,
        "target": leg.target,
        "duration": leg.duration,
        "dialtime": leg.dialtime,
        "agent": {"code": leg.agent_code, "name": leg.agent_name},
    }


RecordingLink = Callable[[CallLeg, RowMapping | None], str | None]  # the recordings row


def call_item(
    call: Call,
    recordings: Mapping[str, RowMapping],
    recording_link: RecordingLink,
) -> dict[str, Any]:
    """The JSON of one call. `recordings` maps ivruniqueid -> archive row; `recording_link`
    gives the URL to play a leg's recording (the archived copy when there is one)."""
    main, agent_leg = call.main, call.answering_leg
    queue_id, queue_name = call.queue
    recs = []
    for leg in call.recording_legs:
        row = recordings.get(leg.ivruniqueid)
        archived = row is not None and row["status"] == "archived"
        recs.append(
            {
                "leg": leg.ivruniqueid,
                "url": recording_link(leg, row),
                "archived": archived,
                "sha256": row["sha256"] if archived and row else None,
                "status": row["status"] if row else None,
            }
        )
    ai = [parts for parts in map(ai_parts, call.ai_data) if parts]
    return {
        "id": call.id,
        "started_at": iso_utc(call.started_at),
        "started_at_local": iso_wall(call.started_at_local, call.started_at),
        "direction": call.direction,
        "outcome": call.outcome,
        "status": main.status,
        "type": main.type,
        "from": main.caller,
        "to": main.target,
        "did": main.did,
        "customer_number": call.customer_number,
        "agent": {"code": agent_leg.agent_code, "name": agent_leg.agent_name},
        "queue": {"id": queue_id, "name": queue_name} if queue_id or queue_name else None,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "ring_seconds": call.ring_seconds,
        "ivr": [
            {
                "layer_id": s.layer_id,
                "layer_name": s.layer_name,
                "layer_number": s.layer_number,
                "dtmf": s.dtmf,
            }
            for s in call.ivr_path
        ],
        "recordings": recs,
        "recording_url": recs[0]["url"] if recs else None,
        "ai": ai[0] if ai else None,
        "legs": [_leg_item(leg) for leg in call.legs],
    }


def recordings_for(conn: Connection, calls: list[Call]) -> dict[str, RowMapping]:
    ids = [leg.ivruniqueid for call in calls for leg in call.recording_legs]
    if not ids:
        return {}
    rows = conn.execute(select(recordings).where(recordings.c.ivruniqueid.in_(ids))).mappings()
    return {r["ivruniqueid"]: r for r in rows}


def build_timeline(
    conn: Connection,
    e164: str,
    *,
    recording_link: RecordingLink,
    limit: int = 100,
    before: datetime | None = None,
    parties_only: bool = False,
) -> dict[str, Any]:
    """Everything the API and the widget show for one number; with `parties_only`, only the
    legs it is the caller or the target of (no relatives)."""
    hops = 0 if parties_only else MAX_HOPS
    found, cursor = legs_for_phone(conn, e164, limit=limit, before=before, hops=hops)
    # a relative fetched by time alone that stitched to nothing of this number is not shown
    calls = [
        c for c in stitch(found) if any(e164 in (x.caller_e164, x.target_e164) for x in c.legs)
    ]
    archive = recordings_for(conn, calls)
    return {
        "phone": e164,
        "contacts": contacts_for_phone(conn, e164),
        "calls": [call_item(call, archive, recording_link) for call in calls],
        "callbacks": callback_items(conn, e164),
        "next_before": iso_utc(cursor),
    }
