"""Values every database engine can hold: PostgreSQL's text and JSONB take no NUL character, and
JSON has no NaN or infinities. Normalization cleans leg fields with these, so that no domain
writing a leg's values (rollups, outbox payloads, CRM rows) can fail on them."""

from __future__ import annotations

import math
from typing import Any


def clean_text(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


def _safe_text(value: str) -> str:
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def json_safe(value: Any) -> Any:
    # Leaves are handled inline: a CDR's payload is mostly one level of strings and numbers,
    # and a call per value was most of the cost.
    kind = type(value)
    if kind is str:
        return _safe_text(value)
    if kind is dict:
        out = {}
        for k, v in value.items():
            key = _safe_text(k if type(k) is str else str(k))
            leaf = type(v)
            if leaf is str:
                out[key] = _safe_text(v)
            elif leaf is int or leaf is bool or v is None:
                out[key] = v
            else:
                out[key] = json_safe(v)
        return out
    if kind is list:
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):  # a dict subclass
        return json_safe(dict(value))
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, str):
        return _safe_text(str(value))
    return value
