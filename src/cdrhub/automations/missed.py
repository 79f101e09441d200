"""Missed customer contacts (metrics.md, Customers), as a pure function of a leg.

A missed contact is an incoming call from a customer number that no agent answered: it left a
queue (ABANDONE, TIMEOUT, EXIT, FULL, JOINEMPTY), rang unanswered (NOANSWER, CANCEL), hung up in
the IVR after waiting at least `voend_min_seconds` (VOEND), or reached voicemail. Settings in
the TOML `[callbacks]` section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cdrhub.calls.model import CallLeg
from cdrhub.calls.phones import looks_like_phone
from cdrhub.voicenter import vocab

DEFAULT_MISSED = frozenset({*vocab.QUEUE_LEFT, "NOANSWER", "CANCEL", "VOICEMAIL"})


@dataclass(frozen=True, slots=True)
class MissedSettings:
    open_on_missed: bool = True  # open a callback item for every missed contact
    statuses: frozenset[str] = DEFAULT_MISSED
    voend_min_seconds: int = 5
    min_wait_seconds: int = 0  # ignore queue abandons shorter than this
    internal_numbers: frozenset[str] = frozenset()  # E.164 of our own numbers

    @classmethod
    def from_sections(
        cls, callbacks: Mapping[str, Any], internal: Iterable[str] = ()
    ) -> MissedSettings:
        statuses = callbacks.get("missed_statuses")
        return cls(
            open_on_missed=bool(callbacks.get("open_on_missed", True)),
            statuses=frozenset(s.upper() for s in statuses) if statuses else DEFAULT_MISSED,
            voend_min_seconds=int(callbacks.get("voend_min_seconds", 5)),
            min_wait_seconds=int(callbacks.get("min_wait_seconds", 0)),
            internal_numbers=frozenset(internal),
        )


def is_missed_contact(leg: CallLeg, settings: MissedSettings | None = None) -> bool:
    s = settings or MissedSettings()
    number = leg.caller_e164
    if leg.direction != "in" or not number or not looks_like_phone(leg.caller or ""):
        return False
    if number in s.internal_numbers or number == leg.did_e164:
        return False
    if leg.status == vocab.ANSWERED and leg.type_key != "VoiceMail":
        return False
    if leg.type_key == "VoiceMail" or leg.status == "VOICEMAIL":
        return True
    if leg.status in vocab.QUEUE_LEFT and leg.status in s.statuses:
        return (leg.wait_seconds or 0) >= s.min_wait_seconds
    if leg.status == "VOEND":
        waited = max(leg.duration or 0, leg.dialtime or 0, leg.wait_seconds or 0)
        return waited >= s.voend_min_seconds
    return leg.status in s.statuses
