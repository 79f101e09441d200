"""Split a time range into rollup segments (months, days, hours) and raw-leg edges. Pure.

A range is a half-open UTC interval [start, end). Rollup buckets are local hours, so the range
is served by every local hour whose whole UTC span lies inside it, grouped into the coarsest
grains the rollup keeps; what is left at the edges (less than an hour on each side, or the part
of a repeated autumn hour the range cuts) is counted from the legs themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Plan:
    segments: tuple[tuple[str, datetime, datetime], ...]  # (grain, local start, local end)
    raw: tuple[tuple[datetime, datetime], ...]  # UTC [start, end) read from the legs


def to_utc(local: datetime, tz: ZoneInfo, fold: int = 0) -> datetime:
    return local.replace(tzinfo=tz, fold=fold).astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime, tz: ZoneInfo) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    return to_local(to_utc(local, tz), tz) == local


def hour_span(local_hour: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants whose local reading falls in this local hour (2 h in the repeated
    autumn hour, empty in the skipped spring hour)."""
    if not _exists(local_hour, tz):
        start = to_utc(local_hour + HOUR, tz)
        return start, start
    first, second = to_utc(local_hour, tz, 0), to_utc(local_hour, tz, 1)
    return min(first, second), max(first, second) + HOUR


def day_start_utc(day: date, tz: ZoneInfo) -> datetime:
    return hour_span(datetime(day.year, day.month, day.day), tz)[0]


def _floor_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def _next_month(value: datetime) -> datetime:
    return value.replace(year=value.year + value.month // 12, month=value.month % 12 + 1, day=1)


def hour_range(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local hours [first, last) wholly inside the UTC range [start, end)."""
    first = _floor_hour(to_local(start, tz))
    while hour_span(first, tz)[0] < start:
        first += HOUR
    last = _floor_hour(to_local(end, tz)) + HOUR
    while last > first and hour_span(last - HOUR, tz)[1] > end:
        last -= HOUR
    return first, max(first, last)


def segments(
    first: datetime, last: datetime, grains: tuple[str, ...]
) -> tuple[tuple[str, datetime, datetime], ...]:
    """Cover local hours [first, last) with the coarsest grains available, merged into runs."""
    runs: list[list] = []
    current = first
    while current < last:
        grain, step_end = "h", current + HOUR
        if current.hour == 0:
            month_end = _next_month(current)
            new_year = current.day == 1 and current.month == 1
            if "y" in grains and new_year and current.replace(year=current.year + 1) <= last:
                grain, step_end = "y", current.replace(year=current.year + 1)
            elif "m" in grains and current.day == 1 and month_end <= last:
                grain, step_end = "m", month_end
            elif "d" in grains and current + timedelta(days=1) <= last:
                grain, step_end = "d", current + timedelta(days=1)
        if runs and runs[-1][0] == grain and runs[-1][2] == current:
            runs[-1][2] = step_end
        else:
            runs.append([grain, current, step_end])
        current = step_end
    return tuple((g, s, e) for g, s, e in runs)


def plan(start: datetime, end: datetime, tz: ZoneInfo, grains: tuple[str, ...]) -> Plan:
    if end <= start:
        return Plan((), ())
    first, last = hour_range(start, end, tz)
    if first >= last:
        return Plan((), ((start, end),))
    raw = []
    covered_start, covered_end = hour_span(first, tz)[0], hour_span(last - HOUR, tz)[1]
    if start < covered_start:
        raw.append((start, covered_start))
    if covered_end < end:
        raw.append((covered_end, end))
    return Plan(segments(first, last, grains), tuple(raw))
