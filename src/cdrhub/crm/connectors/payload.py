"""What the connectors send, built from one leg. Pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import phonenumbers

from cdrhub.calls.model import CallLeg
from cdrhub.calls.stitch import outcome_of
from cdrhub.crm.timeline import ai_parts
from cdrhub.timefmt import iso_utc, iso_wall, json_times


def national_digits(e164: str) -> str | None:
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return None


def end_time(leg: CallLeg) -> datetime | None:
    """Start + ringing + talk: when the leg ended."""
    if leg.started_at is None:
        return None
    return leg.started_at + timedelta(seconds=(leg.dialtime or 0) + (leg.duration or 0))


def company_number(leg: CallLeg) -> str | None:
    """Our side of the call: the DID dialled on incoming legs, the caller id on outgoing ones."""
    if leg.direction == "in":
        return leg.did_e164 or leg.did or leg.target_e164 or leg.target
    return leg.caller_e164 or leg.caller


def from_to(leg: CallLeg) -> tuple[str | None, str | None]:
    """(from, to) numbers in E.164 where possible."""
    if leg.direction == "in":
        return leg.caller_e164 or leg.caller, company_number(leg)
    return company_number(leg), leg.target_e164 or leg.target


def summary_text(leg: CallLeg) -> str:
    """A short human account of the call, for a CRM activity's body."""
    way = {"in": "Incoming", "out": "Outgoing"}.get(leg.direction, leg.direction.capitalize())
    who = leg.customer_number or leg.caller or leg.target or "unknown number"
    outcome = outcome_of(leg.status).replace("_", " ")
    lines = [f"{way} call {'from' if leg.direction == 'in' else 'to'} {who}: {outcome}."]
    if leg.agent_name or leg.agent_code:
        both = leg.agent_name and leg.agent_code and leg.agent_name != leg.agent_code
        code = f" ({leg.agent_code})" if both else ""
        lines.append(f"Agent: {leg.agent_name or leg.agent_code}{code}")
    if leg.queue_name:
        wait = f", waited {leg.wait_seconds} s" if leg.wait_seconds is not None else ""
        lines.append(f"Queue: {leg.queue_name}{wait}")
    if leg.duration:
        lines.append(f"Talk time: {leg.duration} s")
    if leg.ivr:
        path = " > ".join(f"{s.layer_name or s.layer_id} ({s.dtmf or '-'})" for s in leg.ivr)
        lines.append(f"IVR: {path}")
    ai = ai_parts(leg.ai_data)
    if ai and ai.get("summary"):
        lines.append(f"Summary: {ai['summary']}")
    if leg.record_url:
        lines.append(f"Recording: {leg.record_url}")
    lines.append(f"Voicenter call ID: {leg.ivruniqueid}")
    return "\n".join(lines)


def call_event(leg: CallLeg) -> dict[str, Any]:
    """The normalized call as the generic webhook sends it (Standard Webhooks' envelope)."""
    data = json_times(leg.as_dict())
    data["started_at_local"] = iso_wall(leg.started_at_local, leg.started_at)
    frm, to = from_to(leg)
    data.update(
        outcome=outcome_of(leg.status),
        customer_number=leg.customer_number,
        from_number=frm,
        to_number=to,
        ended_at=iso_utc(end_time(leg)),
        ai=ai_parts(leg.ai_data),
        summary=summary_text(leg),
    )
    return {"type": "call.completed", "timestamp": iso_utc(leg.started_at), "data": data}
