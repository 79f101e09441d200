"""Values every database engine can hold: PostgreSQL's text and JSONB take no NUL character, and
JSON has no NaN or infinities. Normalization cleans leg fields with these, so that no domain
writing a leg's values (rollups, outbox payloads, CRM rows) can fail on them."""

from __future__ import annotations

import math
from typing import Any


def clean_text(value: str) -> str:
    return value.replace("\x00", "")


def json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {json_safe(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value
