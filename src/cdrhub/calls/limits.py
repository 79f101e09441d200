"""How many characters each text column of a stored leg holds: what normalizing fits a CDR's
values to (the database refuses more, or would cut it). Kept here, in the ground, so that
voicenter/ stays free of the store; a test holds it equal to `store.schema.legs`."""

from __future__ import annotations

LENGTHS: dict[str, int] = {
    "ivruniqueid": 128,
    "type": 64,
    "type_key": 64,
    "direction": 16,
    "status": 32,
    "leg1_status": 32,
    "caller": 64,
    "caller_e164": 32,
    "target": 64,
    "target_e164": 32,
    "did": 64,
    "did_e164": 32,
    "caller_extension": 64,
    "caller_extension_name": 255,
    "target_extension": 64,
    "target_extension_name": 255,
    "queue_name": 255,
    "agent_code": 64,
    "agent_name": 255,
    "representative_code": 64,
    "representative_name": 255,
    "department_name": 255,
    "top_department_name": 255,
    "caller_country": 64,
    "target_country": 64,
    "original_ivruniqueid": 128,
    "encoding": 16,
    "content_hash": 64,
}
