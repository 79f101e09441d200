"""Voicenter's vocabularies: call types (with their Call Log ids and directions) and statuses.

Types are matched loosely: case, spaces, underscores and dashes are ignored, so
`Click2Callleg1`, `Click2Call leg1` and `click2call_leg_1` are one type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallType:
    name: str  # canonical spelling
    id: int | None  # Voicenter Call Log CdrType, where known
    direction: str  # in | out | leg1 | transfer | conference


CALL_TYPES: tuple[CallType, ...] = (
    CallType("Incoming Call", 1, "in"),
    CallType("CC", None, "in"),
    CallType("Extension Outgoing", 4, "out"),
    CallType("Queue", 8, "in"),
    CallType("Click2Call leg1", 9, "leg1"),
    CallType("Click2Call leg2", 10, "out"),
    CallType("VoiceMail", 11, "in"),
    CallType("Callference", None, "conference"),
    CallType("XferCDR", 13, "transfer"),
    CallType("ProductiveCallLeg1", 14, "leg1"),
    CallType("ProductiveCallLeg2", 15, "out"),
    CallType("Scrubber", None, "out"),
    CallType("Click 2 IVR", 17, "out"),
    CallType("Click 2 IVR Incoming", 18, "in"),
    CallType("Click 2 Queue Incoming", 19, "in"),
    CallType("FaxCdr", None, "out"),
    CallType("Attended CDR leg1", 21, "transfer"),
    CallType("Attended CDR leg2", 22, "transfer"),
    CallType("Auto forward", 23, "out"),
)

_SQUASH = re.compile(r"[\s_\-]+")


def _squash(value: str) -> str:
    return _SQUASH.sub("", value).lower()


_BY_KEY = {_squash(t.name): t for t in CALL_TYPES}
_BY_ID = {t.id: t for t in CALL_TYPES if t.id is not None}
# Spellings seen in documents that squash differently from the canonical name.
_ALIASES = {
    "click2callleg1": "Click2Call leg1",
    "incoming": "Incoming Call",
    "outgoing": "Extension Outgoing",
    "voicemailcdr": "VoiceMail",
    "autoforward": "Auto forward",
    "attendedcdrleg1": "Attended CDR leg1",
    "attendedcdrleg2": "Attended CDR leg2",
    "click2ivr": "Click 2 IVR",
    "click2ivrincoming": "Click 2 IVR Incoming",
    "click2queueincoming": "Click 2 Queue Incoming",
}


def call_type(raw: str) -> CallType | None:
    """The known type a received spelling (or numeric id) names, None when unknown."""
    key = _squash(raw)
    if not key:
        return None
    if key.isascii() and key.isdigit():  # a Call Log id; "²" or "٣" is no id, only a name
        return _BY_ID.get(int(key)) if len(key) <= 4 else None
    found = _BY_KEY.get(key)
    if found is None and key in _ALIASES:
        found = _BY_KEY[_squash(_ALIASES[key])]
    return found


ANSWERED = "ANSWER"
# Left the queue without being answered (metrics.md, Queues).
QUEUE_LEFT = frozenset({"ABANDONE", "TIMEOUT", "EXIT", "FULL", "JOINEMPTY"})
CALL_STATUSES = frozenset(
    {
        "ANSWER",
        "NOANSWER",
        "BUSY",
        "CANCEL",
        "ABANDONE",
        "VOEND",
        "TE",
        "NOTDIALED",
        "NOTCALLED",
        "VOICEMAIL",
        "TIMEOUT",
        "FULL",
        "EXIT",
        "JOINEMPTY",
    }
)
DIAL_ERRORS = frozenset({"CONGESTION", "CHANUNAVAIL", "INVALIDARGS", "SSWPREAUTH"})
KNOWN_STATUSES = CALL_STATUSES | DIAL_ERRORS
# A leg's direction, as normalization sets it.
DIRECTIONS = ("in", "out", "leg1", "transfer", "conference", "unknown")
