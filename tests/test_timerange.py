"""cdrhub.timerange: what `from` and `to` mean, in Israel's time zone around both DST changes.

Asia/Jerusalem is +02:00 in winter and +03:00 in summer. 2024's changes: Friday 2024-03-29 at
02:00 the clocks jump to 03:00 (00:00 UTC); Sunday 2024-10-27 at 02:00 they go back to 01:00
(23:00 UTC on the 26th), so 01:00-02:00 local happens twice (22:00-23:00 and 23:00-24:00 UTC).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdrhub.analytics.periods import day_start_utc
from cdrhub.inputs import InputError
from cdrhub.timerange import (
    Bound,
    RangeError,
    TimeRange,
    day_start,
    parse_end,
    parse_instant,
    parse_range,
    parse_start,
    wall_to_utc,
)

TZ = ZoneInfo("Asia/Jerusalem")
DATES = "between 1970-01-01 and 2100-12-31"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end", "hours"),
    [
        ("2024-01-10", "2024-01-09T22:00", "2024-01-10T22:00", 24),
        ("2024-03-29", "2024-03-28T22:00", "2024-03-29T21:00", 23),  # spring forward
        ("2024-10-27", "2024-10-26T21:00", "2024-10-27T22:00", 25),  # fall back
        ("2024-07-01", "2024-06-30T21:00", "2024-07-01T21:00", 24),
    ],
)
def test_a_date_is_a_whole_local_day(day: str, start: str, end: str, hours: int) -> None:
    assert parse_start(day, TZ) == Bound(day, utc(start), True)
    assert parse_end(day, TZ) == Bound(day, utc(end), True)  # `to` takes in the whole day
    span = parse_range(day, day, TZ)
    assert span.end_utc - span.start_utc == timedelta(hours=hours)
    assert span.whole_days == 1


def test_other_iso_spellings_of_a_date_are_dates() -> None:
    assert parse_end("20240329", TZ) == Bound("20240329", utc("2024-03-29T21:00"), True)
    assert parse_start(" 2024-03-29\n", TZ) == Bound("2024-03-29", utc("2024-03-28T22:00"), True)


def test_whole_days_counts_local_days_across_dst() -> None:
    assert parse_range("2024-03-01", "2024-10-31", TZ).whole_days == 245
    assert parse_range("2024-03-01", "2024-10-31T00:00", TZ).whole_days is None
    assert parse_range("2024-03-01", None, TZ).whole_days is None


# --- datetimes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-10T09:30", "2024-01-10T07:30"),  # winter, +02:00
        ("2024-07-01T09:30:15.5", "2024-07-01T06:30:15.5"),  # summer, +03:00
        ("2024-01-10T09:30:00Z", "2024-01-10T09:30"),
        ("2024-01-10T09:30:00+00:00", "2024-01-10T09:30"),
        ("2024-01-10T09:30:00-05:00", "2024-01-10T14:30"),
        ("2024-01-10T09:30:00+03:00", "2024-01-10T06:30"),  # an offset wins over the zone
        ("2024-01-10 09:30", "2024-01-10T07:30"),
    ],
)
def test_a_datetime_is_local_unless_it_has_an_offset(text: str, expected: str) -> None:
    assert parse_start(text, TZ) == Bound(text, utc(expected), False)
    # `to` is the same instant, and exclusive: no whole day is added
    assert parse_end(text, TZ) == Bound(text, utc(expected), False)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2024-03-29T01:59:59", "2024-03-28T23:59:59"),  # the last second of winter time
        ("2024-03-29T02:00:00", "2024-03-29T00:00:00"),  # never shown: the moment of the jump
        ("2024-03-29T02:30:00", "2024-03-29T00:00:00"),
        ("2024-03-29T02:59:59.999999", "2024-03-29T00:00:00"),
        ("2024-03-29T03:00:00", "2024-03-29T00:00:00"),  # the first reading after the jump
        ("2024-03-29T03:00:01", "2024-03-29T00:00:01"),
    ],
)
def test_spring_forward_a_skipped_time_moves_to_the_jump(local: str, expected: str) -> None:
    assert parse_start(local, TZ).utc == utc(expected)
    assert parse_end(local, TZ).utc == utc(expected)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2024-10-27T00:59:59", "2024-10-26T21:59:59"),
        ("2024-10-27T01:00:00", "2024-10-26T22:00:00"),  # repeated: the first pass (fold=0)
        ("2024-10-27T01:30:00", "2024-10-26T22:30:00"),
        ("2024-10-27T01:59:59", "2024-10-26T22:59:59"),
        ("2024-10-27T02:00:00", "2024-10-27T00:00:00"),  # winter time from here on
        ("2024-10-27T01:30:00+02:00", "2024-10-26T23:30:00"),  # the second pass, by offset
    ],
)
def test_fall_back_a_repeated_time_is_its_first_pass(local: str, expected: str) -> None:
    assert parse_start(local, TZ).utc == utc(expected)
    assert parse_end(local, TZ).utc == utc(expected)


def test_an_offset_in_the_skipped_hour_is_still_that_instant() -> None:
    assert parse_start("2024-03-29T02:30:00+02:00", TZ).utc == utc("2024-03-29T00:30")


def test_a_zone_that_skips_midnight_starts_its_day_at_the_jump() -> None:
    # Chile: on 2024-09-08 the clocks jump from 00:00 to 01:00 (-04:00 to -03:00)
    santiago = ZoneInfo("America/Santiago")
    assert day_start(date(2024, 9, 8), santiago) == utc("2024-09-08T04:00")
    assert parse_end("2024-09-07", santiago).utc == utc("2024-09-08T04:00")
    assert parse_start("2024-09-08T00:30", santiago).utc == utc("2024-09-08T04:00")


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2025, 12, 31)))
def test_a_wall_time_is_the_first_instant_the_clock_shows_it_or_later(wall: datetime) -> None:
    def reading(at: datetime) -> datetime:
        return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(TZ).replace(tzinfo=None)

    found = wall_to_utc(wall, TZ)
    assert reading(found) >= wall
    assert reading(found - timedelta(microseconds=1)) < wall


def test_local_days_agree_with_the_rollups_days() -> None:
    day = date(2023, 1, 1)
    while day < date(2026, 1, 1):
        assert day_start(day, TZ) == day_start_utc(day, TZ), day
        day += timedelta(days=1)


# --- ranges -------------------------------------------------------------------------------------


def test_ranges_are_half_open_and_may_be_open() -> None:
    assert parse_range(None, None, TZ) == TimeRange()
    assert parse_range("", "", TZ) == TimeRange()
    span = parse_range("2024-01-10T09:00", "2024-01-10", TZ)
    assert (span.start_utc, span.end_utc) == (utc("2024-01-10T07:00"), utc("2024-01-10T22:00"))
    assert parse_range(None, "2024-01-10", TZ).start is None
    # equal instants: an empty range, not an error
    empty = parse_range("2024-01-10", "2024-01-10T00:00", TZ)
    assert empty.start_utc == empty.end_utc == utc("2024-01-09T22:00")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-01-10", "2024-01-09"),
        ("2024-01-10T09:00", "2024-01-10T08:59:59"),
        ("2024-01-10", "2024-01-09T23:59"),
        ("2024-01-10T09:00Z", "2024-01-10T10:59+02:00"),
    ],
)
def test_to_before_from_is_an_error(start: str, end: str) -> None:
    with pytest.raises(RangeError) as caught:
        parse_range(start, end, TZ)
    assert str(caught.value) == "`to` is before `from`"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("0001-01-01", None, "`from` must be a date " + DATES),
        ("1969-12-31", None, "`from` must be a date " + DATES),
        (None, "2101-01-01", "`to` must be a date " + DATES),
        (None, "9999-12-31T23:59:59", "`to` must be a date or datetime " + DATES),
        ("0001-01-01T00:00:00+01:00", None, "`from` must be a date or datetime " + DATES),
        ("yesterday", None, "`from` is not a date or ISO datetime"),
        (None, "2024-13-01", "`to` is not a date or ISO datetime"),
        (None, "2024-01-10T25:00", "`to` is not a date or ISO datetime"),
        ("   ", None, "`from` is not a date or ISO datetime"),
    ],
)
def test_unreadable_or_out_of_bounds_is_one_line(start, end, message) -> None:
    with pytest.raises(InputError) as caught:
        parse_range(start, end, TZ)
    assert str(caught.value) == message


def test_the_bounds_themselves_are_accepted() -> None:
    span = parse_range("1970-01-01", "2100-12-31", TZ)
    assert (span.start_utc, span.end_utc) == (utc("1969-12-31T22:00"), utc("2100-12-31T22:00"))
    span = parse_range("1970-01-01T00:00:00+14:00", "2100-12-31T23:59:59-12:00", TZ)
    assert (span.start_utc, span.end_utc) == (utc("1969-12-31T10:00"), utc("2101-01-01T11:59:59"))


def test_a_single_instant_reads_like_from() -> None:
    assert parse_instant("2024-03-29", TZ, "before") == utc("2024-03-28T22:00")
    assert parse_instant("2024-03-29T02:30", TZ, "before") == utc("2024-03-29T00:00")
    assert parse_instant("2024-03-29T05:00:00Z", TZ, "before") == utc("2024-03-29T05:00")
    with pytest.raises(InputError, match=r"^before must be a date or datetime"):
        parse_instant("9999-12-31T23:59:59", TZ, "before")
