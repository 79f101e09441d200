"""Report answers for the terminal: an aligned table, JSON or CSV. Pure."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return columns


def as_table(answer: Mapping[str, Any]) -> str:
    rows = answer["rows"]
    head = [f"{answer['report']}: {answer['formula']}"]
    active = {k: v for k, v in answer["filters"].items() if v not in (None, "")}
    if active:
        head.append("filters: " + ", ".join(f"{k}={v}" for k, v in active.items()))
    if not rows:
        return "\n".join([*head, "(no rows)"])
    columns = _columns(rows)
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(_width(c), *(_width(line[i]) for line in cells)) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))

    out = [*head, line(columns), line(["-" * w for w in widths])]
    out += [line(values).rstrip() for values in cells]
    return "\n".join(out)


def as_csv(answer: Mapping[str, Any]) -> str:
    rows = answer["rows"]
    buffer = io.StringIO()
    columns = _columns(rows)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def as_json(answer: Mapping[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False, indent=2, default=str)


RENDERERS = {"table": as_table, "json": as_json, "csv": as_csv}
