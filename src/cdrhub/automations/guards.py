"""Guards on actions (pure): quiet windows, who may be texted at all, and how old a call may be.

Quiet windows are local wall-clock spans, daily (`"21:00-08:00"`) or weekly
(`"fri 14:00-sat 20:00"`, e.g. Shabbat). A message due inside a window is held until it ends.

Max age: rules act only on calls that ended within `max_age` of now (a replay, an outage's
backlog or an import brings old calls: nobody should be texted about a call from last year).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cdrhub.calls.model import CallLeg
from cdrhub.calls.phones import looks_like_phone, to_e164

WEEK_MINUTES = 7 * 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
_DAY_NAMES = {
    **{d: i for i, d in enumerate(DAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_POINT = re.compile(r"^\s*(?:([a-zA-Z]+)\s+)?(\d{1,2}):(\d{2})\s*$")


def day_index(name: str) -> int:
    try:
        return _DAY_NAMES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown weekday {name!r} (use {', '.join(DAYS)})") from None


def parse_clock(text: str) -> tuple[int | None, int]:
    """`"fri 14:00"` -> (4, 840); `"08:30"` -> (None, 510)."""
    m = _POINT.match(text)
    if not m:
        raise ValueError(f"not a time {text!r} (use HH:MM, or a weekday and HH:MM)")
    hour, minute = int(m.group(2)), int(m.group(3))
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"not a time of day: {text!r}")
    return (day_index(m.group(1)) if m.group(1) else None), hour * 60 + minute


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in minutes of the week (Monday 00:00 = 0); may wrap past Sunday."""

    start: int
    end: int

    def contains(self, minute_of_week: int) -> bool:
        if self.start <= self.end:
            return self.start <= minute_of_week < self.end
        return minute_of_week >= self.start or minute_of_week < self.end

    def minutes_left(self, minute_of_week: int) -> int:
        return (self.end - minute_of_week) % WEEK_MINUTES


def parse_window(text: str) -> list[Window]:
    """`"21:00-08:00"` (every day) or `"fri 14:00-sat 20:00"` (once a week)."""
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"not a window {text!r} (use 21:00-08:00 or fri 14:00-sat 20:00)")
    (start_day, start), (end_day, end) = parse_clock(parts[0]), parse_clock(parts[1])
    if (start_day is None) != (end_day is None):
        raise ValueError(f"window {text!r}: give a weekday on both ends or on neither")
    if start_day is None or end_day is None:
        if start == end:
            raise ValueError(f"window {text!r} is empty")
        windows = []
        for day in range(7):
            s = day * 1440 + start
            e = day * 1440 + end + (1440 if end <= start else 0)
            windows.append(Window(s % WEEK_MINUTES, e % WEEK_MINUTES))
        return windows
    return [Window(start_day * 1440 + start, (end_day * 1440 + end) % WEEK_MINUTES)]


def minute_of_week(local: datetime) -> int:
    return local.weekday() * 1440 + local.hour * 60 + local.minute


def next_open(now_utc: datetime, windows: Iterable[Window], tz: ZoneInfo) -> datetime | None:
    """None when `now_utc` (naive UTC) is outside every window; else the naive UTC instant the
    last overlapping window ends."""
    windows = list(windows)
    if not windows:
        return None
    at = now_utc
    for _ in range(len(windows) + 2):
        local = at.replace(tzinfo=UTC).astimezone(tz)
        mow = minute_of_week(local)
        inside = [w for w in windows if w.contains(mow)]
        if not inside:
            return at if at != now_utc else None
        left = max(w.minutes_left(mow) for w in inside)
        wall = local.replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=left)
        at = wall.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    return at


def in_window(local: datetime, window: str) -> bool:
    """Whether a local time falls in a daily or weekly window (rule `when.time`)."""
    return any(w.contains(minute_of_week(local)) for w in parse_window(window))


def recipient_problem(
    number: str | None, internal: Iterable[str] = (), region: str = "IL"
) -> tuple[str | None, str | None]:
    """(E.164 of a number we may text, None) or (None, why not)."""
    if not number:
        return None, "no customer number"
    if not looks_like_phone(number):
        return None, f"{number!r} is an extension, not a phone number"
    e164 = to_e164(number, region)
    if e164 is None:
        return None, f"{number!r} is not a valid phone number"
    internal_e164 = {to_e164(n, region) or n for n in internal}
    if e164 in internal_e164:
        return None, f"{e164} is an internal number"
    return e164, None


DEFAULT_MAX_AGE_SECONDS = 3600.0
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
TOO_OLD = "too old"  # how every max-age reason starts
AGE_HELP = 'a duration like "1h", "30m", "2d" or a number of seconds; 0 or "off" turns it off'


def parse_max_age(value: Any) -> float:
    """`max_age` in seconds (0.0: off): seconds as a number, or text such as "90s", "30m",
    "1h", "2d", "off". ValueError otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value >= 0 and math.isfinite(value):
            return float(value)
    elif isinstance(value, str):
        if value.strip().lower() == "off":
            return 0.0
        m = _AGE.match(value)
        if m and math.isfinite(seconds := float(m.group(1)) * _AGE_UNITS[m.group(2).lower()]):
            return seconds
    raise ValueError(AGE_HELP)


def describe_age(seconds: float) -> str:
    """3600 -> "1 h", 90 -> "90 s": for reasons and messages."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def call_end(leg: CallLeg) -> datetime | None:
    """When the leg ended (naive UTC): start + ringing + queue wait + talk; None without a start."""
    if leg.started_at is None:
        return None
    span = (leg.dialtime or 0) + (leg.wait_seconds or 0) + (leg.duration or 0)
    try:
        return leg.started_at + timedelta(seconds=min(max(0, span), 86_400))
    except OverflowError:  # a start at the end of time
        return leg.started_at


def too_old(leg: CallLeg, now: datetime, max_age_seconds: float) -> str | None:
    """Why a rule must not act on the leg (its call ended more than `max_age_seconds` before
    `now`, or it has no start time to tell), or None; a `max_age_seconds` of 0 is off."""
    if max_age_seconds <= 0:
        return None
    end = call_end(leg)
    limit = describe_age(max_age_seconds)
    if end is None:
        return f"{TOO_OLD}: no start time to tell the call's age (max_age {limit})"
    if (now - end).total_seconds() <= max_age_seconds:
        return None
    return f"{TOO_OLD}: the call ended {end:%Y-%m-%d %H:%M} UTC, more than max_age ({limit}) ago"
