"""Stitch legs into calls. Pure: a list of CallLegs in, a list of Calls out.

Two legs belong to one call when
- one names the other in `OriginalIvrUniqueID` (Click2Call leg 2 -> leg 1, transfers), or
- they are the two legs of a Click2Call / ProductiveCall without that link: leg 1 (the agent's
  phone ringing) and leg 2 (the customer) start at most `pair_window` apart, leg 2 not before
  leg 1, and leg 2 was dialled from the extension leg 1 rang (or by the same agent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cdrhub.calls.model import CallLeg, IvrStep

PAIR_WINDOW = timedelta(seconds=60)
# Leg 2 type for each leg 1 type of the two-leg call types.
_LEG2_OF = {"Click2Call leg1": "Click2Call leg2", "ProductiveCallLeg1": "ProductiveCallLeg2"}
LEG2_TYPES = frozenset(_LEG2_OF.values())
QUEUE_LEFT = frozenset({"ABANDONE", "TIMEOUT", "EXIT", "FULL", "JOINEMPTY"})
_OUTCOMES = {
    "ANSWER": "answered",
    "VOICEMAIL": "voicemail",
    "NOANSWER": "no_answer",
    "BUSY": "busy",
    "CANCEL": "cancelled",
    "VOEND": "hung_up_in_ivr",
    "TE": "ivr_message",
    "NOTDIALED": "not_dialed",
    "NOTCALLED": "not_dialed",
    **dict.fromkeys(QUEUE_LEFT, "abandoned"),
    **dict.fromkeys(("CONGESTION", "CHANUNAVAIL", "INVALIDARGS", "SSWPREAUTH"), "failed"),
}


def outcome_of(status: str | None) -> str:
    """A leg status as a plain outcome word (answered, abandoned, no_answer, ...)."""
    return _OUTCOMES.get((status or "").upper(), "unknown")


@dataclass(frozen=True, slots=True)
class Call:
    """Legs that belong together, oldest first, and what the customer experienced."""

    legs: tuple[CallLeg, ...]

    @property
    def id(self) -> str:
        """The call's id: the `ivruniqueid` of its first leg."""
        return self.legs[0].ivruniqueid

    @property
    def customer_legs(self) -> tuple[CallLeg, ...]:
        """Legs that reached the customer: everything but the agent's own leg 1."""
        legs = tuple(leg for leg in self.legs if leg.direction != "leg1")
        return legs or self.legs

    @property
    def main(self) -> CallLeg:
        """The leg that says who the customer is and which way the call went."""
        for leg in self.customer_legs:
            if leg.direction in ("in", "out"):
                return leg
        return self.customer_legs[0]

    @property
    def started_at(self) -> datetime | None:
        times = [leg.started_at for leg in self.legs if leg.started_at is not None]
        return min(times) if times else None

    @property
    def started_at_local(self) -> datetime | None:
        times = [leg.started_at_local for leg in self.legs if leg.started_at_local is not None]
        return min(times) if times else None

    @property
    def direction(self) -> str:
        return self.main.direction

    @property
    def customer_number(self) -> str | None:
        return self.main.customer_number

    @property
    def answered(self) -> bool:
        return any(leg.status == "ANSWER" for leg in self.customer_legs)

    @property
    def outcome(self) -> str:
        """answered when any customer leg was answered, else the main leg's outcome."""
        return "answered" if self.answered else outcome_of(self.main.status)

    @property
    def answering_leg(self) -> CallLeg:
        """The last answered customer leg (who handled the call), else the main leg."""
        answered = [leg for leg in self.customer_legs if leg.status == "ANSWER"]
        return answered[-1] if answered else self.main

    @property
    def talk_seconds(self) -> int:
        return sum(leg.duration or 0 for leg in self.customer_legs)

    @property
    def ring_seconds(self) -> int | None:
        return self.main.dialtime

    @property
    def wait_seconds(self) -> int | None:
        waits = [leg.wait_seconds for leg in self.legs if leg.wait_seconds is not None]
        return sum(waits) if waits else None

    @property
    def queue(self) -> tuple[int | None, str | None]:
        for leg in self.legs:
            if leg.queue_id or leg.queue_name:
                return leg.queue_id, leg.queue_name
        return None, None

    @property
    def ivr_path(self) -> tuple[IvrStep, ...]:
        return tuple(step for leg in self.legs for step in leg.ivr)

    @property
    def recording_legs(self) -> tuple[CallLeg, ...]:
        return tuple(leg for leg in self.legs if leg.record_url)

    @property
    def ai_data(self) -> tuple[Any, ...]:
        return tuple(leg.ai_data for leg in self.legs if leg.ai_data)


def _start_key(leg: CallLeg) -> tuple[datetime, str]:
    return (leg.started_at or datetime.min, leg.ivruniqueid)


class _Groups:
    """Union-find over leg ids."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.parent = {i: i for i in ids}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _pairs(legs: Sequence[CallLeg], linked: set[str], window: timedelta) -> list[tuple[str, str]]:
    """Leg 1 / leg 2 pairs that no OriginalIvrUniqueID links, nearest in time first."""
    candidates = []
    for leg1 in legs:
        leg2_type = _LEG2_OF.get(leg1.type_key or "")
        if leg2_type is None or leg1.started_at is None or leg1.ivruniqueid in linked:
            continue
        for leg2 in legs:
            if leg2.type_key != leg2_type or leg2.started_at is None:
                continue
            if leg2.ivruniqueid in linked or leg2.original_ivruniqueid:
                continue
            gap = leg2.started_at - leg1.started_at
            if not timedelta(0) <= gap <= window:
                continue
            same_ext = bool(leg1.target_extension) and (
                leg1.target_extension == leg2.caller_extension
            )
            same_agent = bool(leg1.agent_code) and leg1.agent_code == leg2.agent_code
            if same_ext or same_agent:
                candidates.append((gap, leg1.ivruniqueid, leg2.ivruniqueid))
    taken: set[str] = set()
    pairs = []
    for _gap, a, b in sorted(candidates):
        if a not in taken and b not in taken:
            taken.update((a, b))
            pairs.append((a, b))
    return pairs


def stitch(legs: Iterable[CallLeg], *, pair_window: timedelta = PAIR_WINDOW) -> list[Call]:
    """Group legs into calls; calls come out newest first, legs inside a call oldest first."""
    unique = {leg.ivruniqueid: leg for leg in legs}
    ordered = sorted(unique.values(), key=_start_key)
    groups = _Groups(unique)
    linked: set[str] = set()
    for leg in ordered:
        parent = leg.original_ivruniqueid
        if parent and parent in unique and parent != leg.ivruniqueid:
            groups.union(parent, leg.ivruniqueid)
            linked.update((parent, leg.ivruniqueid))
    for a, b in _pairs(ordered, linked, pair_window):
        groups.union(a, b)
    members: dict[str, list[CallLeg]] = {}
    for leg in ordered:
        members.setdefault(groups.find(leg.ivruniqueid), []).append(leg)
    calls = [Call(tuple(group)) for group in members.values()]
    calls.sort(key=lambda c: (c.started_at or datetime.min, c.id), reverse=True)
    return calls
