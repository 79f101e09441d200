"""What the calls API answers, declared for OpenAPI (documentation and schemathesis' checks;
the routes build plain dicts, so these models never filter or reshape an answer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

Text = str | None
Whole = int | None


class Leg(BaseModel):
    ivruniqueid: str
    type: str
    type_raw: str
    type_id: Whole
    type_known: bool
    direction: str
    status: str
    status_known: bool
    leg1_status: Text
    started_at: Text
    started_at_local: Text
    time_raw: Whole
    time_mismatch_seconds: Whole
    caller: Text
    caller_e164: Text
    target: Text
    target_e164: Text
    did: Text
    did_e164: Text
    caller_extension: Text
    caller_extension_name: Text
    target_extension: Text
    target_extension_name: Text
    duration: Whole
    dialtime: Whole
    wait_seconds: Whole
    queue_id: Whole
    queue_name: Text
    agent_code: Text
    agent_name: Text
    representative_code: Text
    representative_name: Text
    department_id: Whole
    department_name: Text
    top_department_id: Whole
    top_department_name: Text
    record_url: Text
    caller_country: Text
    target_country: Text
    price_agorot: float | None
    original_ivruniqueid: Text
    ivr: list[Any]
    ivr_raw: Text
    ai_data: Any
    custom_data: Any
    unknown_fields: list[str]
    encoding: Text
    revision: Whole
    deliveries: Whole
    first_received_at: Text
    last_received_at: Text
    raw: Any


class CallsPage(BaseModel):
    calls: list[Leg]
    next_cursor: Text
