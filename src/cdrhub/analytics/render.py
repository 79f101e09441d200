"""Report answers for people and for programs. Pure.

JSON keeps the exact machine values of the answer (money as integer agorot, ratios 0..1).
The table and CSV are for people: money in shekels (`₪ 12.34`), ratios as percentages
(`56.7 %`), nested figures (wait buckets, DTMF keys) as columns of their own; the table shows
the overview vertically (a figure a line, a column per period). CSV starts with a UTF-8 byte
order mark, which Excel needs to read Hebrew names as UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

BOM = "\ufeff"
# reports whose rows are periods of one set of figures: the table lists a figure a line
VERTICAL = frozenset({"overview"})
# nested figures flattened into columns named `{prefix}_{key}` (the key's own name otherwise)
PREFIXES = {"wait_buckets": "wait"}
MONEY_SUFFIX = "_agorot"

Row = dict[str, Any]


def is_ratio(column: str) -> bool:
    """Columns that hold a ratio 0..1 (every report names them so)."""
    return (
        column.endswith(("_ratio", "_rate"))
        or column.startswith(("ratio_", "abandon_rate_"))
        or column == "service_level"
    )


def shekels(agorot: int | float) -> str:
    """`₪ 12.34` for 1234 agorot."""
    return f"₪ {agorot / 100:.2f}"


def percent(ratio: float) -> str:
    """`56.7 %` for 0.567."""
    return f"{ratio * 100:.1f} %"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if column.endswith(MONEY_SUFFIX):
            return shekels(value)
        if is_ratio(column):
            return percent(value)
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _flat(row: Mapping[str, Any], prefix: str = "") -> Row:
    """Nested mappings as columns of their own: `wait_buckets.answered.0-10` becomes the column
    `wait_answered_0-10`."""
    out: Row = {}
    for key, value in row.items():
        name = f"{prefix}_{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flat(value, PREFIXES.get(name, name)))
        else:
            out[name] = value
    return out


def heading(column: str) -> str:
    """A column's name for people: money loses its unit suffix (the cells carry `₪`)."""
    return column.removesuffix(MONEY_SUFFIX) if column.endswith(MONEY_SUFFIX) else column


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    return columns


def flat_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[Row]]:
    """The rows with nested figures as columns of their own, and every column in order."""
    flat = [_flat(r) for r in rows]
    return _columns(flat), flat


def people_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The rows as people read them: headings, and a line of text cells per row."""
    flat = [_flat(r) for r in rows]
    columns = _columns(flat)
    return [heading(c) for c in columns], [[_cell(c, r.get(c)) for c in columns] for r in flat]


def vertical(
    rows: Sequence[Mapping[str, Any]], key: str = "period"
) -> tuple[list[str], list[list[str]]]:
    """A figure a line and a column per row (named by its `key`)."""
    flat = [_flat(r) for r in rows]
    columns = [c for c in _columns(flat) if c != key]
    head = ["figure", *(str(r.get(key, "")) for r in flat)]
    return head, [[heading(c), *(_cell(c, r.get(c)) for r in flat)] for c in columns]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def as_table(answer: Mapping[str, Any]) -> str:
    rows = answer["rows"]
    head = [f"{answer['report']}: {answer['formula']}"]
    active = {k: v for k, v in answer["filters"].items() if v not in (None, "")}
    if active:
        head.append("filters: " + ", ".join(f"{k}={v}" for k, v in active.items()))
    if not rows:
        return "\n".join([*head, "(no rows)"])
    if answer["report"] in VERTICAL:
        columns, cells = vertical(rows)
    else:
        columns, cells = people_rows(rows)
    widths = [max(_width(c), *(_width(line[i]) for line in cells)) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))

    out = [*head, line(columns).rstrip(), line(["-" * w for w in widths])]
    out += [line(values).rstrip() for values in cells]
    return "\n".join(out)


def as_csv(answer: Mapping[str, Any]) -> str:
    """A line per row of the answer (the rows of its JSON), for people, after a UTF-8 BOM."""
    columns, cells = people_rows(answer["rows"])
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(cells)
    return buffer.getvalue()


def as_json(answer: Mapping[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False, indent=2, default=str)


RENDERERS = {"table": as_table, "json": as_json, "csv": as_csv}
