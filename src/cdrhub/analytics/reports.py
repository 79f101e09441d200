"""The reports: each a function from a scope (range, filters, settings) to rows, with the
formula it follows. They read rollups only (through `query.fetch`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from cdrhub.analytics.customers import missed_customers, repeat_callers
from cdrhub.analytics.errors import ReportError
from cdrhub.analytics.facts import OUTGOING_TYPES
from cdrhub.analytics.periods import to_local
from cdrhub.analytics.query import DAY, Scope, fetch, total
from cdrhub.analytics.specs import FILTER_DIMS, WAIT_LABELS
from cdrhub.analytics.tables import names
from cdrhub.voicenter import vocab

Row = dict[str, Any]
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# The filters every analytics report honours: the time range and the dimensions.
FILTERS = ("from", "to", *FILTER_DIMS)
# the countries report's row of the attempts whose country neither target_country nor the number
# tells
UNKNOWN_COUNTRY = "Unknown"


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    formula: str
    run: Callable[[Connection, Scope, Mapping[str, str]], list[Row]]
    params: tuple[str, ...] = ()  # the report's own parameters, besides `filters`
    filters: tuple[str, ...] = FILTERS  # those of FILTERS it honours
    # the values a parameter takes (the report checks them; the API declares them)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def agorot(milli: int) -> int:
    """Whole agorot of a sum kept in thousandths of an agora (prices come with fractions),
    half up: the JSON's money is an integer, its people's forms divide it into shekels."""
    return (milli + 500) // 1000


def _names(conn: Connection, kind: str) -> dict[str, str]:
    rows = conn.execute(select(names.c.code, names.c.name).where(names.c.kind == kind))
    return {code: name for code, name in rows.tuples()}


AGENT_SORTS = ("incoming", "outgoing")


def _agents(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    sort = params.get("sort") or "incoming"
    if sort not in AGENT_SORTS:
        raise ReportError("sort must be `incoming` or `outgoing`")
    label = _names(conn, "agent")
    by_agent: dict[str, Row] = {}
    counters = ("contacts", "answered", "talk")
    where = {"agent": ("!=", "")}
    for r in fetch(conn, "calls", scope, ["agent", "direction"], where=where, counters=counters):
        row = by_agent.setdefault(
            r["agent"],
            {"agent_code": r["agent"], "agent_name": label.get(r["agent"]),
             "incoming_offered": 0, "incoming_answered": 0, "outgoing_attempts": 0,
             "outgoing_answered": 0, "talk_seconds": 0},
        )  # fmt: skip
        if r["direction"] == "in":
            row["incoming_offered"] += r["contacts"]
            row["incoming_answered"] += r["answered"]
        elif r["direction"] == "out":
            row["outgoing_attempts"] += r["contacts"]
            row["outgoing_answered"] += r["answered"]
        row["talk_seconds"] += r["talk"]
    rows = [r for r in by_agent.values() if r["incoming_offered"] or r["outgoing_attempts"]]
    for row in rows:
        handled = row["incoming_answered"] + row["outgoing_answered"]
        row["avg_handle_seconds"] = ratio(row["talk_seconds"], handled, 1)
        row["incoming_answer_ratio"] = ratio(row["incoming_answered"], row["incoming_offered"])
        row["outgoing_answer_ratio"] = ratio(row["outgoing_answered"], row["outgoing_attempts"])
    key = "incoming_answered" if sort == "incoming" else "outgoing_answered"
    rows.sort(key=lambda r: (-r[key], r["agent_code"]))
    return rows


def _countries(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    rows = []
    where = {"type": OUTGOING_TYPES}
    counters = ("contacts", "answered", "talk", "cost_milli")
    for r in fetch(conn, "calls", scope, ["country"], where=where, counters=counters):
        rows.append(
            {
                "country": r["country"] or UNKNOWN_COUNTRY,
                "attempts": r["contacts"],
                "answered": r["answered"],
                "answer_ratio": ratio(r["answered"], r["contacts"]),
                "acd_seconds": ratio(r["talk"], r["answered"], 1),
                "cost_agorot": agorot(r["cost_milli"]),
            }
        )
    rows.sort(key=lambda r: (-r["attempts"], r["country"]))
    return rows


def _peak_hours(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    spec = "peak_agent" if "agent" in scope.dims else "peak"
    cells = {(r["weekday"], r["hour"]): r for r in fetch(conn, spec, scope, ["weekday", "hour"])}
    rows = []
    for weekday in range(7):
        for hour in range(24):
            r = cells.get((weekday, hour), {})
            rows.append(
                {
                    "weekday": weekday,
                    "weekday_name": WEEKDAYS[weekday],
                    "hour": hour,
                    "offered": r.get("contacts", 0),
                    "answered": r.get("answered", 0),
                    "abandoned": r.get("abandoned", 0),
                }
            )
    return rows


def _wait_buckets(r: Mapping[str, int]) -> dict[str, dict[str, int]]:
    return {
        "answered": {label: r[f"wa{i}"] for i, label in enumerate(WAIT_LABELS)},
        "abandoned": {label: r[f"wb{i}"] for i, label in enumerate(WAIT_LABELS)},
    }


def queue_figures(r: Mapping[str, int]) -> Row:
    offered, short = r["contacts"], r["short_abandoned"]
    return {
        "offered": offered,
        "answered": r["answered"],
        "abandoned": r["abandoned"],
        "short_abandoned": short,
        "abandon_rate": ratio(r["abandoned"], offered),
        "abandon_rate_without_short": ratio(r["abandoned"] - short, offered - short),
        "service_level": ratio(r["sl_met"], offered - short),
        "asa_seconds": ratio(r["wait_answered"], r["answered"], 1),
    }


QUEUE_GROUPS = ("queue", "day")
QUEUE_WHERE = {"direction": "in", "queue": ("!=", "")}
# every day of a bounded range gets its row (a line chart shows a day without calls); past this
# many days only those with calls
MAX_FILLED_DAYS = 3660


def _range_days(scope: Scope) -> list[str]:
    """The local dates of a bounded scope, first to last ([] when open or too long)."""
    if scope.start is None or scope.end is None or scope.end <= scope.start:
        return []
    first = to_local(scope.start, scope.tz).date()
    last = to_local(scope.end - timedelta(microseconds=1), scope.tz).date()
    count = (last - first).days + 1
    if count > MAX_FILLED_DAYS:
        return []
    return [(first + timedelta(days=i)).isoformat() for i in range(count)]


# what queue_figures reads (summing only these: a year by day reads every daily row)
QUEUE_COUNTERS = ("contacts", "answered", "abandoned", "short_abandoned", "sl_met", "wait_answered")


def _queue_days(conn: Connection, scope: Scope) -> list[Row]:
    """The queues' figures summed per local day (the day and hour rollups serve it)."""
    rows = fetch(conn, "calls", scope, [DAY], where=QUEUE_WHERE, counters=QUEUE_COUNTERS)
    found = {r[DAY]: r for r in rows}
    empty = dict.fromkeys(QUEUE_COUNTERS, 0)
    days = sorted({*_range_days(scope), *(d for d, r in found.items() if r["contacts"])})
    return [{"day": day, **queue_figures(found.get(day, empty))} for day in days]


def _queues(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    by = params.get("by") or "queue"
    if by not in QUEUE_GROUPS:
        raise ReportError(f"by must be one of {', '.join(QUEUE_GROUPS)}")
    if by == "day":
        return _queue_days(conn, scope)
    label = _names(conn, "queue")
    where = QUEUE_WHERE
    rows = []
    for r in fetch(conn, "calls", scope, ["queue"], where=where):
        if not r["contacts"]:
            continue
        limits = scope.cfg.for_queue(r["queue"])
        rows.append(
            {
                "queue_id": r["queue"],
                "queue_name": label.get(r["queue"]),
                **queue_figures(r),
                "wait_buckets": _wait_buckets(r),
                "service_level_seconds": limits.service_level_seconds,
                "short_abandon_seconds": limits.short_abandon_seconds,
            }
        )
    rows.sort(key=lambda r: (-r["offered"], r["queue_id"]))
    return rows


def _layer_order(row: Row) -> tuple:
    number = row["layer_number"]
    return (0, int(number), row["layer_id"]) if number.isdigit() else (1, 0, row["layer_id"])


def _ivr(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    label = _names(conn, "layer")
    layers: dict[str, Row] = {}
    for r in fetch(conn, "ivr", scope, ["layer", "layer_number", "dtmf"]):
        row = layers.setdefault(
            r["layer"],
            {"layer_id": r["layer"], "layer_name": label.get(r["layer"]),
             "layer_number": r["layer_number"], "reached": 0, "visits": 0, "hangups": 0,
             "dtmf": {}},
        )  # fmt: skip
        row["reached"] += r["reached"]
        row["visits"] += r["visits"]
        row["hangups"] += r["hangups"]
        key = r["dtmf"] or "none"
        row["dtmf"][key] = row["dtmf"].get(key, 0) + r["visits"]
    rows = list(layers.values())
    for row in rows:
        row["dtmf"] = dict(sorted(row["dtmf"].items(), key=lambda kv: (-kv[1], kv[0])))
    rows.sort(key=_layer_order)
    return rows


# what the overview sums (not the wait buckets: fewer sums per rollup row read)
OVERVIEW_COUNTERS = ("legs", "contacts", "answered", "voicemail", "abandoned", "short_abandoned",
                     "missed", "sl_met", "wait_answered", "talk", "cost_milli")  # fmt: skip


def _overview_figures(conn: Connection, scope: Scope) -> Row:
    parts = fetch(conn, "calls", scope, ["direction", "queue", "type"], counters=OVERVIEW_COUNTERS)
    incoming = total([p for p in parts if p["direction"] == "in"], OVERVIEW_COUNTERS)
    queued = total([p for p in parts if p["direction"] == "in" and p["queue"]], OVERVIEW_COUNTERS)
    outgoing = total([p for p in parts if p["direction"] == "out"], OVERVIEW_COUNTERS)
    every = total(parts, OVERVIEW_COUNTERS)
    handled = incoming["answered"] + outgoing["answered"]
    return {
        "offered": incoming["contacts"],
        "answered": incoming["answered"],
        "voicemail": incoming["voicemail"],
        "abandoned": incoming["abandoned"],
        "short_abandoned": incoming["short_abandoned"],
        "abandon_rate": ratio(incoming["abandoned"], incoming["contacts"]),
        "queue_offered": queued["contacts"],
        "service_level": ratio(queued["sl_met"], queued["contacts"] - queued["short_abandoned"]),
        "asa_seconds": ratio(queued["wait_answered"], queued["answered"], 1),
        "aht_seconds": ratio(incoming["talk"] + outgoing["talk"], handled, 1),
        "missed_contacts": incoming["missed"],
        "missed_customers": missed_customers(conn, scope),
        "outgoing_attempts": outgoing["contacts"],
        "outgoing_answered": outgoing["answered"],
        "legs": every["legs"],
        "unknown_type_legs": sum(p["legs"] for p in parts if vocab.call_type(p["type"]) is None),
        "cost_agorot": agorot(every["cost_milli"]),
    }


def previous_scope(scope: Scope, days: int | None) -> Scope | None:
    if scope.start is None or scope.end is None:
        return None
    if days is not None:
        from cdrhub.analytics.periods import day_start_utc, to_local

        first = to_local(scope.start, scope.tz).date()
        return replace(
            scope, start=day_start_utc(first - timedelta(days=days), scope.tz), end=scope.start
        )
    return replace(scope, start=scope.start - (scope.end - scope.start), end=scope.start)


def _overview(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    rows = [{"period": "current", **_overview_figures(conn, scope)}]
    days = int(params["_days"]) if params.get("_days") else None
    before = previous_scope(scope, days)
    if before is not None:
        rows.append({"period": "previous", **_overview_figures(conn, before)})
    return rows


COST_GROUPS = ("department", "agent", "type", "country")


def _cost(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    by = params.get("by") or "department"
    if by not in COST_GROUPS:
        raise ReportError(f"by must be one of {', '.join(COST_GROUPS)}")
    label = _names(conn, by) if by in ("department", "agent") else {}
    rows = [
        {
            "by": by,
            "key": r[by],
            "name": label.get(r[by]),
            "legs": r["legs"],
            "contacts": r["contacts"],
            "cost_agorot": agorot(r["cost_milli"]),
        }
        for r in fetch(conn, "calls", scope, [by], counters=("legs", "contacts", "cost_milli"))
    ]
    rows.sort(key=lambda r: (-r["cost_agorot"], r["key"]))
    return rows


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            "agents",
            "per agent (Voicenter user, else extension): incoming_offered = incoming contacts; "
            "outgoing_attempts = customer legs (never leg 1); answered = status ANSWER; "
            "avg_handle_seconds = talk seconds / (incoming + outgoing answered)",
            _agents,
            ("sort",),
            choices={"sort": AGENT_SORTS},
        ),
        Report(
            "countries",
            "outgoing attempts by target_country (else from the number); answer_ratio = "
            "answered / attempts; acd_seconds = talk seconds / answered; cost = sum(price)",
            _countries,
        ),
        Report(
            "peak-hours",
            "incoming contacts per local weekday (0 = Sunday) x local hour; answered = ANSWER; "
            "abandoned = left the queue (ABANDONE, TIMEOUT, EXIT, FULL, JOINEMPTY)",
            _peak_hours,
        ),
        Report(
            "queues",
            "offered = contacts that entered the queue; abandon_rate = abandoned / offered; "
            "service_level = answered with wait <= target / (offered - short abandons); "
            "asa = queue wait of answered / answered; by=day: the same over every queue, per "
            "local day",
            _queues,
            ("by",),
            choices={"by": QUEUE_GROUPS},
        ),
        Report(
            "ivr",
            "per IVR layer: reached = contacts that entered it; dtmf = keys pressed (visits); "
            "hangups = contacts whose last layer it was with status VOEND",
            _ivr,
        ),
        Report(
            "overview",
            "offered/answered/abandoned over incoming contacts; service level and ASA over queue "
            "contacts; AHT = talk seconds / answered (both directions); missed_customers = "
            "distinct numbers with a missed contact; previous = the same length just before",
            _overview,
        ),
        Report(
            "repeat-callers",
            "numbers with at least min_calls incoming contacts on one local day (default 2); "
            "contacts, answered and missed count those days only",
            repeat_callers,
            ("min_calls",),
        ),
        Report(
            "cost",
            "sum(price) of every leg (leg 1 and unknown types included), grouped by `by`",
            _cost,
            ("by",),
            choices={"by": COST_GROUPS},
        ),
    )
}
