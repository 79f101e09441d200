"""The `callbacks` report: how fast missed customers were called back.

`cdrhub.domains.reports()` adds `spec()` to the analytics reports, so it is
served by `/api/reports/callbacks` and `cdrhub report callbacks` like every other report, and
`callbacks_report` answers the same shape on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, ScalarResult, select

from cdrhub.automations.tables import callback_items
from cdrhub.inputs import bounded_float, split_values
from cdrhub.timefmt import iso_utc

if TYPE_CHECKING:
    from cdrhub.analytics.reports import Report

Row = dict[str, Any]
DEFAULT_WITHIN_HOURS = (2, 24)
MAX_WITHIN_HOURS = 366 * 24
GROUPS = ("none", "queue", "day", "agent")

FORMULA = (
    "items = callback items opened in the range (one per customer number until it is closed; "
    "opened_at = start of the first missed contact); returned = closed by a later answered "
    "outgoing call to the number; returned_within_Nh = returned with closed_at - opened_at <= N "
    "hours; median/p90_seconds_to_callback over returned items (nearest rank); reached = "
    "closed by the customer's next answered incoming call; closed_by_hand; open; "
    "never_returned = items - returned; items whose call was answered on another leg are no "
    "missed contact and are left out; an item's agent (agent filter, by=agent) = the agent "
    "whose call reached the customer, else the agent it is assigned to"
)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of sorted or unsorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(items: Iterable[Mapping[str, Any]], within_hours: Sequence[float]) -> Row:
    """Figures for a group of callback items (pure)."""
    items = list(items)
    seconds = [
        (i["closed_at"] - i["opened_at"]).total_seconds()
        for i in items
        if i["status"] == "returned" and i["closed_at"] is not None
    ]
    row: Row = {
        "items": len(items),
        "missed_contacts": sum(i["missed_count"] for i in items),
        "returned": len(seconds),
    }
    for hours in within_hours:
        label = f"returned_within_{hours:g}h"
        row[label] = sum(1 for s in seconds if s <= hours * 3600)
        row[label.replace("returned_", "ratio_returned_")] = (
            round(row[label] / len(items), 4) if items else None
        )
    row.update(
        median_seconds_to_callback=percentile(seconds, 50),
        p90_seconds_to_callback=percentile(seconds, 90),
        reached=sum(1 for i in items if i["status"] == "reached"),
        closed_by_hand=sum(1 for i in items if i["status"] == "closed"),
        open=sum(1 for i in items if i["status"] == "open"),
        never_returned=len(items) - len(seconds),
    )
    return row


def _group_key(item: Mapping[str, Any], by: str, tz: ZoneInfo) -> str:
    if by == "queue":
        return item["queue_name"] or ""
    if by == "agent":
        return item["agent_code"] or ""
    if by == "day":
        local = item["opened_at"].replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)
        return local.date().isoformat()
    return "all"


def rows_for(
    items: Iterable[Mapping[str, Any]], by: str, within_hours: Sequence[float], tz: ZoneInfo
) -> list[Row]:
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}, not {by!r}")
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        groups.setdefault(_group_key(item, by, tz), []).append(item)
    if not groups and by == "none":
        groups["all"] = []
    return [{"key": key, **summarize(group, within_hours)} for key, group in sorted(groups.items())]


def load_items(
    conn: Connection,
    start: datetime | None,
    end: datetime | None,
    *,
    queues: Iterable[str] = (),
    departments: Iterable[str] = (),
    agents: Iterable[str] = (),
) -> list[Mapping[str, Any]]:
    """The items opened in the range; `agents`: only those whose agent is one of these (codes,
    or names an item was assigned by)."""
    query = select(callback_items).where(callback_items.c.status != "answered")
    agents = set(agents)
    if agents:
        query = query.where(callback_items.c.agent_code.in_(sorted(agents)))
    if start is not None:
        query = query.where(callback_items.c.opened_at >= start)
    if end is not None:
        query = query.where(callback_items.c.opened_at < end)
    items: list[Mapping[str, Any]] = [dict(r) for r in conn.execute(query).mappings()]
    queues, departments = set(queues), set(departments)
    if queues:
        items = [i for i in items if (i["queue_name"] or "") in queues]
    if departments:
        items = [i for i in items if str(i["department_id"]) in departments]
    return items


def within_hours_setting(section: Mapping[str, Any]) -> tuple[float, ...]:
    value = section.get("returned_within_hours", DEFAULT_WITHIN_HOURS)
    return tuple(float(h) for h in (value if isinstance(value, list) else [value]))


def callbacks_report(
    conn: Connection,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str = "none",
    within_hours: Sequence[float] = DEFAULT_WITHIN_HOURS,
    tz: ZoneInfo | None = None,
    queues: Iterable[str] = (),
) -> dict[str, Any]:
    """The report in the analytics shape, without the analytics registry."""
    tz = tz or ZoneInfo("Asia/Jerusalem")
    items = load_items(conn, start, end, queues=queues)
    return {
        "report": "callbacks",
        "filters": {
            "from": iso_utc(start),
            "to": iso_utc(end),
            "by": by,
        },
        "settings": {"timezone": str(tz), "returned_within_hours": list(within_hours)},
        "formula": FORMULA,
        "rows": rows_for(items, by, within_hours, tz),
    }


def with_names(conn: Connection, kind: str, selected: Iterable[str]) -> frozenset[str]:
    """The values an item may hold for what a filter selected (codes as given and those named
    so, by `cdrhub.analytics.filters.resolve_dims`): those and their names. Items keep a
    queue's name, and an agent as assigned (a rule or the API may name one)."""
    from cdrhub.analytics.tables import names

    codes = frozenset(selected)
    if not codes:
        return codes
    found: ScalarResult[str] = conn.execute(
        select(names.c.name).where(names.c.kind == kind, names.c.code.in_(sorted(codes)))
    ).scalars()
    return codes | frozenset(found)


def _registered_run(conn: Connection, scope: Any, params: Mapping[str, str]) -> list[Row]:
    within: tuple[float, ...] = DEFAULT_WITHIN_HOURS
    if params.get("within_hours"):
        within = tuple(
            bounded_float(h, "within_hours", low=0, high=MAX_WITHIN_HOURS)
            for h in split_values(params["within_hours"], "within_hours")
        )
    items = load_items(
        conn,
        scope.start,
        scope.end,
        queues=with_names(conn, "queue", scope.dims.get("queue", ())),
        departments=scope.dims.get("department", ()),
        agents=with_names(conn, "agent", scope.dims.get("agent", ())),
    )
    try:
        return rows_for(items, params.get("by", "none"), within, scope.tz)
    except ValueError as exc:
        from cdrhub.analytics.reports import ReportError

        raise ReportError(str(exc)) from exc


def spec() -> Report:
    """The report as the analytics reports run it (composed in `cdrhub.domains.reports`)."""
    from cdrhub.analytics.reports import Report

    return Report(
        "callbacks",
        FORMULA,
        _registered_run,
        ("by", "within_hours"),
        filters=("from", "to", "department", "queue", "agent"),  # items keep no call type
        choices={"by": GROUPS},
    )
