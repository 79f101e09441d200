"""Split a time range into rollup segments (years, months, days, hours) and raw-leg edges. Pure.

A range is a half-open UTC interval [start, end). Rollup buckets are local hours, so the range
is served by every local hour whose whole UTC span lies inside it, grouped into the coarsest
grains the rollup keeps; what is left at the edges (less than an hour on each side, or the part
of a repeated autumn hour the range cuts) is counted from the legs themselves.

`plan` covers the hours with periods added only (`segments`). Given the rows a period of each
grain holds (`rows`), it covers them with periods added and subtracted, whichever reads fewer
rows (`signed_cover`: October less its last four days rather than 27 days), and counts an edge
longer than half its hour as that hour less the legs of the rest of it (`edge_pieces`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


Segment = tuple[str, datetime, datetime]  # (grain, local start, local end)
Interval = tuple[datetime, datetime]  # UTC [start, end)


@dataclass(frozen=True, slots=True)
class Plan:
    segments: tuple[Segment, ...]  # rollup periods added
    raw: tuple[Interval, ...]  # legs added (read from the legs table)
    minus: tuple[Segment, ...] = ()  # rollup periods subtracted
    less: tuple[Interval, ...] = ()  # legs subtracted


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


def plan(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    grains: tuple[str, ...],
    rows: Mapping[str, float] | None = None,
    data: tuple[datetime, datetime] | None = None,
) -> Plan:
    """The rollup periods and legs that make up UTC [start, end): periods added only, the
    edges as legs; or, given `rows` (and `data`, see `signed_cover`), the cheapest signed
    cover, with the edges over half their hour read as that hour less the rest of it."""
    if end <= start:
        return Plan((), ())
    first, last = hour_range(start, end, tz)
    if first >= last:
        raw = [(start, end)]
    else:
        raw = []
        covered_start, covered_end = hour_span(first, tz)[0], hour_span(last - HOUR, tz)[1]
        if start < covered_start:
            raw.append((start, covered_start))
        if covered_end < end:
            raw.append((covered_end, end))
    if rows is None:
        return Plan(segments(first, last, grains) if first < last else (), tuple(raw))
    hours, pieces = edge_pieces(raw, tz)
    for _grain, hour, _end in hours:  # the edge's whole hour joins the covered hours
        if first >= last:
            first, last = hour, hour + HOUR
        elif hour < first:
            first = hour
        else:
            last = hour + HOUR
    cover = signed_cover(first, last, grains, rows, data)
    return Plan(
        segments=tuple((g, a, b) for sign, g, a, b in cover if sign > 0),
        raw=tuple(piece for sign, piece in pieces if sign > 0),
        minus=tuple((g, a, b) for sign, g, a, b in cover if sign < 0),
        less=tuple(piece for sign, piece in pieces if sign < 0),
    )


Piece = tuple[int, Interval]  # (sign, UTC [start, end) of legs to read)


def edge_pieces(raw: Sequence[Interval], tz: ZoneInfo) -> tuple[list[Segment], list[Piece]]:
    """How to count the raw edges of a plan: an edge that covers more than half of its local
    hour is that hour's rollup row minus the legs of the rest of the hour (rollup rows are
    exact sums of the facts of their legs), so that at most half an hour of legs is read per
    edge. Returns the hourly segments to add and the (sign, interval) pieces of legs. (An edge
    lies inside its hour only next to the covered hours: local hours partition UTC time.)"""
    hours: list[Segment] = []
    pieces: list[Piece] = []
    for start, end in raw:
        hour = to_local(start, tz).replace(minute=0, second=0, microsecond=0)
        first, last = hour_span(hour, tz)
        rest = [(a, b) for a, b in ((first, start), (end, last)) if a < b]
        inside = first <= start and end <= last and all(h[1] != hour for h in hours)
        if inside and sum((b - a for a, b in rest), timedelta()) < end - start:
            hours.append(("h", hour, hour + HOUR))
            pieces += [(-1, piece) for piece in rest]
            continue
        pieces.append((1, (start, end)))
    return hours, pieces


# Signed covers: a range read as periods added and subtracted (`signed_cover`).
Signed = tuple[int, str, datetime, datetime]  # (sign, grain, local start, local end)


def floor_period(value: datetime, grain: str) -> datetime:
    """The local start of the hour, day, month or year holding `value`."""
    value = _floor_hour(value)
    if grain == "h":
        return value
    value = value.replace(hour=0)
    if grain == "d":
        return value
    value = value.replace(day=1)
    return value if grain == "m" else value.replace(month=1)


def next_period(start: datetime, grain: str) -> datetime:
    """The start of the period after the one starting at `start`."""
    if grain == "h":
        return start + HOUR
    if grain == "d":
        return start + timedelta(days=1)
    return _next_month(start) if grain == "m" else start.replace(year=start.year + 1)


def ceil_period(value: datetime, grain: str) -> datetime:
    floor = floor_period(value, grain)
    return floor if floor == value else next_period(floor, grain)


def count_periods(start: datetime, end: datetime, grain: str) -> int:
    """Periods of a grain in [start, end) (both aligned to it; local wall-clock arithmetic)."""
    if grain == "h":
        return int((end - start) / HOUR)
    if grain == "d":
        return (end - start).days
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if grain == "m" else months // 12


Cover = tuple[tuple[float, int], list[Signed]]  # ((rows, segments), segments)


@dataclass(frozen=True, slots=True)
class _Coverer:
    grains: tuple[str, ...]  # finest first
    rows: Mapping[str, float]  # rows a period of each grain holds, roughly (only ratios matter)
    data: tuple[datetime, datetime] | None  # local hours [first, last) holding every leg

    def run(self, sign: int, grain: str, start: datetime, end: datetime) -> Cover:
        """Periods of one grain, less those wholly outside the data (they hold no rows)."""
        if self.data is not None:
            start = max(start, floor_period(self.data[0], grain))
            end = min(end, ceil_period(self.data[1], grain))
        if start >= end:
            return (0.0, 0), []
        return (count_periods(start, end, grain) * self.rows[grain], 1), [(sign, grain, start, end)]

    def cover(self, a: datetime, b: datetime, level: int, sign: int) -> Cover:
        """The cheapest signed cover of local hours [a, b) by grains[: level + 1]: a partial
        period at either end is read as its finer periods, or as the whole period less the
        finer periods of the rest of it, whichever holds fewer rows."""
        if a >= b:
            return (0.0, 0), []
        grain = self.grains[level]
        if level == 0:
            return self.run(sign, grain, a, b)
        low, high = ceil_period(a, grain), floor_period(b, grain)
        if low > high:  # inside one period: finer periods, or the period less the rest of it
            outer_start, outer_end = floor_period(a, grain), ceil_period(b, grain)
            return _cheapest(
                self.cover(a, b, level - 1, sign),
                _join(self.run(sign, grain, outer_start, outer_end),
                      self.cover(outer_start, a, level - 1, -sign),
                      self.cover(b, outer_end, level - 1, -sign)),
            )  # fmt: skip
        lefts = [(low, self.cover(a, low, level - 1, sign))]
        if a < low:
            start = floor_period(a, grain)
            lefts.append((start, self.cover(start, a, level - 1, -sign)))
        rights = [(high, self.cover(high, b, level - 1, sign))]
        if high < b:
            end = next_period(high, grain)
            rights.append((end, self.cover(b, end, level - 1, -sign)))
        return _cheapest(
            *(
                _join(left, right, self.run(sign, grain, start, end))
                for start, left in lefts
                for end, right in rights
            )
        )


def _join(*covers: Cover) -> Cover:
    rows = sum(c[0][0] for c in covers)
    count = sum(c[0][1] for c in covers)
    return (rows, count), [s for c in covers for s in c[1]]


def _cheapest(*covers: Cover) -> Cover:
    return min(covers, key=lambda c: c[0])


def signed_cover(
    first: datetime,
    last: datetime,
    grains: tuple[str, ...],
    rows: Mapping[str, float],
    data: tuple[datetime, datetime] | None = None,
) -> tuple[Signed, ...]:
    """Local hours [first, last) as rollup periods added (+1) and subtracted (-1): a rollup row
    is the exact sum of its legs' facts, so October less its last four days is its first 27
    days, in a few hundred rows rather than thousands. `rows` weighs a period of each grain;
    `data` (the local hours holding every leg) makes periods outside it free, so a range that
    starts before the data may be read as the data's year less what precedes the range."""
    if data is not None:
        first, last = max(first, data[0]), min(last, data[1])
    if first >= last:
        return ()
    cover = _Coverer(grains, rows, data).cover(first, last, len(grains) - 1, 1)
    return tuple(sorted(cover[1], key=lambda s: (s[2], -s[0])))
