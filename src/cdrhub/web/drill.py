"""The drill-down filters of `/api/calls` and the Calls page: the legs behind a report's figure
(`contact`, `country`, `weekday`, `hour`, `missed`), read by the reports' own rules
(analytics/facts.py) into the store's LegFilter; and `agent` (a code or a name) as the reports
read it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace

import phonenumbers
from sqlalchemy import Connection

from cdrhub.analytics.facts import (
    DIALER_INCOMING,
    INCOMING_TYPES,
    OUTGOING_TYPES,
    country_of_number,
)
from cdrhub.analytics.filters import Filters, resolve_dims
from cdrhub.analytics.reports import UNKNOWN_COUNTRY
from cdrhub.calls.country_names import NAMES as COUNTRY_NAMES
from cdrhub.inputs import InputError, bounded_int
from cdrhub.store.legs_query import LegFilter
from cdrhub.voicenter.vocab import ANSWERED

NAMES = ("contact", "country", "weekday", "hour", "missed", "queued")
CONTACTS = ("in", "out")


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


def named_agents(conn: Connection, found: LegFilter) -> LegFilter:
    """`agent` as every report reads it: the code given, and the codes of the agents who carry
    that name (analytics' names table)."""
    if not found.agents:
        return found
    codes = resolve_dims(conn, Filters(dims={"agent": found.agents}))["agent"]
    return replace(found, agents=tuple(sorted(codes)))


def _yes_no(params: Mapping[str, str | None], name: str) -> bool | None:
    text = (params.get(name) or "").strip().lower()
    if not text:
        return None
    if text not in ("true", "false"):
        raise InputError(f"{name} must be `true` or `false`")
    return text == "true"
