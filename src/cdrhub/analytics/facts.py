"""What one leg adds to each rollup: pure, no I/O. The single place counting rules live.

Counting (docs/analytics.md, after ../shared/docs/metrics.md):
- An incoming contact is a leg of an incoming type (Incoming Call, Queue, VoiceMail, CC, Click 2
  IVR Incoming, Click 2 Queue Incoming) that does not point to another call through
  `OriginalIvrUniqueID`: the extension legs of a queue call and transferred legs link back to the
  call they came from and are not counted again. The dialer's incoming leg 2 links to its
  outgoing leg 1 and does count (its leg 1 is an outgoing attempt, metrics.md counts both).
- An outgoing attempt is a leg of Extension Outgoing, Click2Call leg2, ProductiveCallLeg2,
  Click 2 IVR or Auto forward. Leg 1 of Click2Call and ProductiveCall never is.
- Every leg, whatever its type (unknown ones too), counts in `legs` and in cost.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers

from cdrhub.analytics.config import AnalyticsSettings
from cdrhub.analytics.specs import (
    CALLERS,
    CALLERS_AGENT,
    CALLS,
    IVR,
    PEAK,
    PEAK_AGENT,
    WAIT_EDGES,
)
from cdrhub.calls.country_names import NAMES as COUNTRY_NAMES
from cdrhub.calls.model import CallLeg
from cdrhub.voicenter.vocab import ANSWERED, QUEUE_LEFT

INCOMING_TYPES = frozenset(
    {"Incoming Call", "Queue", "VoiceMail", "CC", "Click 2 IVR Incoming", "Click 2 Queue Incoming"}
)
DIALER_INCOMING = frozenset({"Click 2 IVR Incoming", "Click 2 Queue Incoming"})
OUTGOING_TYPES = frozenset(
    {"Extension Outgoing", "Click2Call leg2", "ProductiveCallLeg2", "Click 2 IVR", "Auto forward"}
)
MISSED_STATUSES = frozenset({"NOANSWER", "CANCEL"})


@dataclass(frozen=True, slots=True)
class Fact:
    spec: str
    dims: tuple[str | int, ...]
    counters: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LegFacts:
    hour: datetime  # local start of the hour the leg started in (naive)
    facts: tuple[Fact, ...]
    names: tuple[tuple[str, str, str], ...]  # (kind, code, name)


def local_hour(started_at: datetime, tz: ZoneInfo) -> datetime:
    local = started_at.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    return local.replace(minute=0, second=0, microsecond=0)


def weekday_sunday_first(day: datetime) -> int:
    return (day.weekday() + 1) % 7


def type_label(leg: CallLeg) -> str:
    return leg.type_key or leg.type.strip()


def is_incoming_contact(leg: CallLeg) -> bool:
    if leg.type_key not in INCOMING_TYPES:
        return False
    linked = leg.original_ivruniqueid and leg.original_ivruniqueid != leg.ivruniqueid
    return not linked or leg.type_key in DIALER_INCOMING


def is_outgoing_attempt(leg: CallLeg) -> bool:
    return leg.type_key in OUTGOING_TYPES


@lru_cache(maxsize=65536)
def country_of_number(e164: str | None) -> str:
    """The English name of the number's country, as phonenumbers' geocoder gives it
    (`country_name_for_number`): the region of its country code, or, when regions share the
    code, the one region the number is valid in ("" when it is valid in none or several).
    Without importing the geocoder, whose place names of every prefix would be most of each
    process's memory (bench/README.md, Footprint)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
    if len(regions) == 1:
        return COUNTRY_NAMES.get(regions[0], "")
    valid = [r for r in regions if phonenumbers.is_valid_number_for_region(number, r)]
    return COUNTRY_NAMES.get(valid[0], "") if len(valid) == 1 else ""


def destination_country(leg: CallLeg) -> str:
    return (leg.target_country or "").strip() or country_of_number(leg.target_e164)


def _str(value: object) -> str:
    """A dimension value: "" for none, at most the 128 characters of a rollup key."""
    return "" if value is None else str(value).replace("\x00", "")[:128]


def _calls_counters(leg: CallLeg, incoming: bool, outgoing: bool, cfg: AnalyticsSettings) -> tuple:
    status = leg.status
    price = leg.price_agorot
    cost = round(price * 1000) if price is not None and price == price else 0
    contacts = answered = voicemail = abandoned = short = missed = sl_met = wait_ans = talk = 0
    wa = [0] * 6
    wb = [0] * 6
    if incoming or outgoing:
        contacts = 1
        voicemail = int(incoming and (status == "VOICEMAIL" or leg.type_key == "VoiceMail"))
        answered = int(status == ANSWERED and not voicemail)
        talk = (leg.duration or 0) if answered else 0
    if incoming:
        limits = cfg.for_queue(_str(leg.queue_id))
        wait = leg.wait_seconds or 0
        abandoned = int(status in QUEUE_LEFT)
        short = int(abandoned and wait < limits.short_abandon_seconds)
        missed = int(
            abandoned or voicemail or status in MISSED_STATUSES or (status == "VOEND" and wait > 0)
        )
        sl_met = int(answered and wait <= limits.service_level_seconds)
        wait_ans = wait if answered else 0
        if leg.queue_id is not None and leg.wait_seconds is not None:
            bucket = bisect_right(WAIT_EDGES, leg.wait_seconds)
            if answered:
                wa[bucket] = 1
            elif abandoned:
                wb[bucket] = 1
    return (
        1, contacts, answered, voicemail, abandoned, short, missed, sl_met, wait_ans, talk, cost,
        *wa, *wb,
    )  # fmt: skip


def _ivr_facts(leg: CallLeg, base: tuple[str, ...]) -> Iterator[Fact]:
    seen: set[str] = set()
    last = len(leg.ivr) - 1
    for index, step in enumerate(leg.ivr):
        layer = _str(step.layer_id) or _str(step.layer_number) or _str(step.layer_name)
        reached = int(layer not in seen)
        seen.add(layer)
        hangup = int(index == last and leg.status == "VOEND")
        dims = (*base, layer, _str(step.layer_number), _str(step.dtmf))
        yield Fact(IVR.name, dims, (1, reached, hangup))


def leg_facts(leg: CallLeg, tz: ZoneInfo, cfg: AnalyticsSettings) -> LegFacts | None:
    """The facts a leg adds to the rollups, or None for a leg without a start time."""
    if leg.started_at is None:
        return None
    hour = local_hour(leg.started_at, tz)
    incoming = is_incoming_contact(leg)
    outgoing = is_outgoing_attempt(leg)
    base = (
        _str(leg.department_id),
        _str(leg.queue_id),
        _str(leg.agent_code),
        _str(type_label(leg)),
    )
    country = _str(destination_country(leg)) if outgoing else ""
    counters = _calls_counters(leg, incoming, outgoing, cfg)
    facts = [Fact(CALLS.name, (*base, leg.direction, country), counters)]
    if incoming:
        answered, abandoned, missed = counters[2], counters[4], counters[6]
        slot = (weekday_sunday_first(hour), hour.hour)
        without_agent = (base[0], base[1], base[3])
        facts.append(Fact(PEAK.name, (*without_agent, *slot), (1, answered, abandoned)))
        facts.append(Fact(PEAK_AGENT.name, (*base, *slot), (1, answered, abandoned)))
        facts.extend(_ivr_facts(leg, base))
        number = _str(leg.caller_e164 or leg.caller)
        if number:
            facts.append(Fact(CALLERS.name, (number, *without_agent), (1, answered, missed)))
            facts.append(Fact(CALLERS_AGENT.name, (number, *base), (1, answered, missed)))
    names = []
    if leg.agent_code and leg.agent_name:
        names.append(("agent", _str(leg.agent_code), leg.agent_name))
    if leg.queue_id is not None and leg.queue_name:
        names.append(("queue", str(leg.queue_id), leg.queue_name))
    if leg.department_id is not None and leg.department_name:
        names.append(("department", str(leg.department_id), leg.department_name))
    for step in leg.ivr if incoming else ():
        layer = _str(step.layer_id) or _str(step.layer_number) or _str(step.layer_name)
        if step.layer_name:
            names.append(("layer", layer, step.layer_name))
    return LegFacts(hour, tuple(facts), tuple(names))
