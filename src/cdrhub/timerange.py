"""What `from` and `to` mean, once, for every API, report and command that takes a time range.

A range is a half-open UTC interval [start, end): a leg is in it when start <= started_at < end.

- A date (`2024-03-29`, no time part) is a local day in the account's time zone: `from` is the
  start of that day, `to` takes in the whole day (end = the start of the next local day), so
  `from=2024-03-29&to=2024-03-29` is that one day, 23 or 25 hours long on a DST day.
- A datetime with an offset or `Z` (`2024-03-29T08:30:00+03:00`) is that instant.
- A datetime without one (`2024-03-29T08:30`) is local wall-clock time in the account's zone.
- A datetime `to` is exclusive: the instant itself is not in the range.
- Wall-clock time is read as the first instant at which the local clock shows that time or a
  later one. In the repeated autumn hour (Israel: 01:00-02:00 on the last Sunday of October)
  that is the first pass (fold=0, summer time); in the skipped spring hour (02:00-03:00 on the
  Friday before the last Sunday of March) it is the moment the clocks jump (03:00 summer time),
  so a time the clock never showed moves forward to the next one it did. The start of a local
  day is read the same way (its midnight, or the first instant after it where the zone skips
  midnight).
- Either end may be left out (open). `to` before `from` is an error; equal instants give an
  empty range. Dates and datetimes lie between inputs.EARLIEST and inputs.LATEST as written.

Single instants (`before` of a timeline page, `--since`) are read like `from`.

Pure: it knows time zones and the input bounds, nothing of the web, the store or the domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cdrhub.inputs import InputError, check_day, check_moment

TICK = timedelta(microseconds=1)


class RangeError(InputError):
    """A bound cannot be read, or the range runs backwards (one line naming the parameter)."""


@dataclass(frozen=True, slots=True)
class Bound:
    text: str  # as given (stripped)
    utc: datetime  # naive UTC
    is_date: bool


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: Bound | None = None  # inclusive
    end: Bound | None = None  # exclusive

    @property
    def start_utc(self) -> datetime | None:
        return self.start.utc if self.start else None

    @property
    def end_utc(self) -> datetime | None:
        return self.end.utc if self.end else None

    @property
    def whole_days(self) -> int | None:
        """Local days in a range given as two dates (None otherwise)."""
        if not (self.start and self.end and self.start.is_date and self.end.is_date):
            return None
        return (date.fromisoformat(self.end.text) - date.fromisoformat(self.start.text)).days + 1


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _reading(utc: datetime, tz: ZoneInfo) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant (naive UTC) at which the local clock in `tz` shows `wall` or later."""
    first = _naive_utc(wall.replace(tzinfo=tz, fold=0))
    if _reading(first, tz) == wall:
        return first  # exists; in a repeated hour fold=0 is the first pass
    # Skipped: the clocks jumped over `wall` between these two readings (before the jump the
    # clock shows less than `wall`, after it more); find the jump.
    low = _naive_utc(wall.replace(tzinfo=tz, fold=1))
    high = first
    low, high = min(low, high), max(low, high)
    while high - low > TICK:
        middle = low + (high - low) // 2
        if _reading(middle, tz) >= wall:
            high = middle
        else:
            low = middle
    return high


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (naive UTC) of a local day."""
    return wall_to_utc(datetime.combine(day, time()), tz)


def _parse(text: str, tz: ZoneInfo, name: str, *, is_end: bool) -> Bound:
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        check_day(day, name)
        # `to` takes in the whole day; LATEST + 1 day still fits in a datetime
        return Bound(text, day_start(day + timedelta(days=1) if is_end else day, tz), True)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RangeError(f"{name} is not a date or ISO datetime") from None
    check_moment(moment, name)
    utc = wall_to_utc(moment, tz) if moment.tzinfo is None else _naive_utc(moment)
    return Bound(text, utc, False)


def parse_start(text: str, tz: ZoneInfo, name: str = "`from`") -> Bound:
    """The inclusive start a `from` (or any single instant) names."""
    return _parse(text, tz, name, is_end=False)


def parse_end(text: str, tz: ZoneInfo, name: str = "`to`") -> Bound:
    """The exclusive end a `to` names: after the whole day for a date, the instant otherwise."""
    return _parse(text, tz, name, is_end=True)


def parse_instant(text: str, tz: ZoneInfo, name: str) -> datetime:
    """A single instant (naive UTC), read like `from`: a date is the start of that local day."""
    return parse_start(text, tz, name).utc


def parse_range(start: str | None, end: str | None, tz: ZoneInfo) -> TimeRange:
    """`from` and `to` as given (None or empty: open) as a half-open UTC interval."""
    found = TimeRange(
        start=parse_start(start, tz) if start else None,
        end=parse_end(end, tz) if end else None,
    )
    if found.start and found.end:
        both_dates = found.start.is_date and found.end.is_date
        if found.end.utc < found.start.utc or (both_dates and found.end.utc <= found.start.utc):
            raise RangeError("`to` is before `from`")
    return found
