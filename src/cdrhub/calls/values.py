"""Values every database engine can hold: PostgreSQL's text and JSONB take no NUL character,
psycopg encodes no lone surrogate (a JSON `\\ud800` escape decodes to one), and JSON has no NaN
or infinities. Normalization cleans leg fields with these, so that no domain writing a leg's
values (rollups, outbox payloads, CRM rows) can fail on them.

Nesting is bounded too: a value nested deeper than `MAX_DEPTH` levels is kept as its JSON text,
so that nothing downstream (hashing, JSON encoding, PostgreSQL's JSONB parser) recurses without
bound on what a sender chose to nest.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Voicenter's deepest value (an IVR list of step objects) is 3 levels; aiData a few more.
MAX_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Text for a text column: NUL characters removed, lone surrogates made U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii() and _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return value


def _safe_text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if not value.isascii() and _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return value


def json_safe(value: Any, depth: int = MAX_DEPTH) -> Any:
    """`value` as JSON every engine stores: text cleaned, NaN and infinities as text, keys as
    text, and each list or object below `depth` levels kept as its JSON text (`json_text`)."""
    # Leaves are handled inline: a CDR's payload is mostly one level of strings and numbers,
    # and a call per value was most of the cost.
    kind = type(value)
    if kind is str:
        return _safe_text(value)
    if kind is dict:
        if depth <= 0:
            return json_text(value)
        out = {}
        for k, v in value.items():
            key = _safe_text(k if type(k) is str else str(k))
            leaf = type(v)
            if leaf is str:
                out[key] = _safe_text(v)
            elif leaf is int or leaf is bool or v is None:
                out[key] = v
            else:
                out[key] = json_safe(v, depth - 1)
        return out
    if kind is list:
        if depth <= 0:
            return json_text(value)
        return [json_safe(v, depth - 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):  # a dict subclass
        return json_safe(dict(value), depth)
    if isinstance(value, list):
        return json_safe(list(value), depth)
    if isinstance(value, str):
        return _safe_text(str(value))
    return value


class _Punct(str):
    """Text `json_text` emits as it is (brackets, commas, keys)."""


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(_safe_text(value), ensure_ascii=False)
    if value is None or isinstance(value, (bool, int)):
        return json.dumps(value)
    if isinstance(value, float):
        return json.dumps(value) if math.isfinite(value) else json.dumps(str(value))
    return json.dumps(_safe_text(str(value)), ensure_ascii=False)


def json_text(value: Any) -> str:
    """The JSON text of a decoded value however deeply it nests (a loop, no recursion), its
    text cleaned as `json_safe` cleans it."""
    out: list[str] = []
    todo: list[Any] = [value]
    while todo:
        item = todo.pop()
        if type(item) is _Punct:
            out.append(item)
        elif isinstance(item, dict):
            todo.append(_Punct("}"))
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, child = entries[index]
                todo.append(child)
                comma = ", " if index else ""
                todo.append(_Punct(f"{comma}{_scalar_text(str(key))}: "))
            todo.append(_Punct("{"))
        elif isinstance(item, (list, tuple)):
            todo.append(_Punct("]"))
            for index in range(len(item) - 1, -1, -1):
                todo.append(item[index])
                if index:
                    todo.append(_Punct(", "))
            todo.append(_Punct("["))
        else:
            out.append(_scalar_text(item))
    return "".join(out)
