"""The drill-down filters of `/api/calls` and the Calls page: the legs behind a report's figure
(`contact`, `country`, `weekday`, `hour`, `missed`, `queued`), read by the reports' own rules
(analytics/facts.py) into the store's LegFilter; the reports' dimension filters (`department`,
`queue_id`, `agent_code`, `type_label`), resolved as the reports resolve theirs; and `agent`
(a code or a name) as the reports read it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace

import phonenumbers
from sqlalchemy import Connection

from cdrhub.analytics.errors import ReportError
from cdrhub.analytics.facts import (
    DIALER_INCOMING,
    INCOMING_TYPES,
    OUTGOING_TYPES,
    country_of_number,
)
from cdrhub.analytics.filters import Filters, resolve_dims
from cdrhub.analytics.reports import UNKNOWN_COUNTRY
from cdrhub.calls.country_names import NAMES as COUNTRY_NAMES
from cdrhub.inputs import MAX_INT, InputError, bounded_int, split_values
from cdrhub.store.legs_query import LegFilter
from cdrhub.voicenter.vocab import ANSWERED

# each report dimension (analytics' FILTER_DIMS) by the parameter that carries its filter: the
# report's values as given (codes or names, comma-separated), selecting the legs the rollups
# count under them (analytics/facts.py leg_facts)
DIMENSIONS = {
    "department": "department",
    "queue_id": "queue",
    "agent_code": "agent",
    "type_label": "type",
}
NAMES = ("contact", "country", "weekday", "hour", "missed", "queued", *DIMENSIONS)
CONTACTS = ("in", "out")
TYPE_LABEL_TEXT = "`type_label` is neither a known call type nor one a stored leg carries"


@functools.cache
def _prefixes() -> dict[str, tuple[str, ...]]:
    """Country name (as the reports name it) -> the calling codes of its regions, `+972`.
    A code shared by several countries (+1, +7) selects them all in SQL when target_country is
    blank; the reports' own rule (`country_of_number`) then keeps the asked country's."""
    found: dict[str, set[str]] = {}
    for region, name in COUNTRY_NAMES.items():
        code = phonenumbers.country_code_for_region(region)
        if code:
            found.setdefault(name, set()).add(f"+{code}")
    return {name: tuple(sorted(codes)) for name, codes in found.items()}


def country_prefixes(country: str) -> tuple[str, ...]:
    return _prefixes().get(country, ())


def drill_filter(found: LegFilter, params: Mapping[str, str | None]) -> LegFilter:
    """`found` narrowed by the drill-down parameters present in `params` (InputError on a bad
    one): contact=in (incoming contacts) or out (outgoing attempts), as the reports count them;
    country (the customer's, of outgoing attempts); weekday (0 = Sunday) and hour, local;
    missed=true (not answered) or false (answered); queued=true (legs of some queue, as the
    queues report counts them) or false."""
    contact = (params.get("contact") or "").strip().lower()
    if contact:
        if contact not in CONTACTS:
            raise InputError("contact must be `in` or `out`")
        if contact == "in":
            found = replace(
                found,
                type_keys=tuple(sorted(INCOMING_TYPES)),
                linked_type_keys=tuple(sorted(DIALER_INCOMING)),
            )
        else:
            found = replace(found, type_keys=tuple(sorted(OUTGOING_TYPES)))
    country = (params.get("country") or "").strip()[:128]
    if country:
        found = replace(
            found,
            country=country,
            country_prefixes=country_prefixes(country),
            country_of=country_of_number,
            country_unknown=country == UNKNOWN_COUNTRY,
        )
    if params.get("weekday"):
        found = replace(found, weekday=bounded_int(str(params["weekday"]), "weekday", high=6))
    if params.get("hour"):
        found = replace(found, hour=bounded_int(str(params["hour"]), "hour", high=23))
    missed = _yes_no(params, "missed")
    if missed is not None:
        found = replace(found, answered=not missed, answered_status=ANSWERED)
    queued = _yes_no(params, "queued")
    if queued is not None:
        found = replace(found, queued=queued)
    return found


def _named_agents(conn: Connection, found: LegFilter) -> LegFilter:
    """`agent` as every report reads it: the code given, and the codes of the agents who carry
    that name (analytics' names table)."""
    if not found.agents:
        return found
    codes = resolve_dims(conn, Filters(dims={"agent": found.agents}))["agent"]
    return replace(found, agents=tuple(sorted(codes)))


def report_dims(conn: Connection, found: LegFilter, params: Mapping[str, str | None]) -> LegFilter:
    """`found` narrowed by the reports' dimension filters present in `params` (`DIMENSIONS`),
    resolved by the reports' own rule (`resolve_dims`: codes given and codes of the names given;
    a type loosely spelled to its canonical name) and matched as the rollups key a leg; and its
    `agent` resolved by the same rule."""
    found = _named_agents(conn, found)
    given = {}
    for name, dim in DIMENSIONS.items():
        values = split_values(str(params.get(name) or ""), name)
        if values:
            given[dim] = values
    if not given:
        return found
    try:
        codes = resolve_dims(conn, Filters(dims=given))
    except ReportError:  # the one it raises: a type neither known nor received
        raise InputError(TYPE_LABEL_TEXT) from None
    if "department" in codes:
        found = replace(found, department_ids=_ids(codes["department"]))
    if "queue" in codes:
        found = replace(found, queue_ids=_ids(codes["queue"]))
    if "agent" in codes:
        found = replace(found, agent_codes=tuple(sorted(codes["agent"])))
    if "type" in codes:
        found = replace(found, type_labels=tuple(sorted(codes["type"])))
    return found


def _ids(codes: frozenset[str]) -> tuple[int, ...]:
    """The ids among dimension codes: a rollup keys an id as its decimal text, so any other
    spelling ("07", a name no table knows) matches no leg."""
    ids = set()
    for code in codes:
        try:
            number = int(code)
        except ValueError:
            continue
        if str(number) == code and abs(number) <= MAX_INT:
            ids.add(number)
    return tuple(sorted(ids))


def _yes_no(params: Mapping[str, str | None], name: str) -> bool | None:
    text = (params.get(name) or "").strip().lower()
    if not text:
        return None
    if text not in ("true", "false"):
        raise InputError(f"{name} must be `true` or `false`")
    return text == "true"
