"""The range planner (pure): which rollup grains and raw-leg edges serve a range."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from cdrhub.analytics.periods import hour_span, plan, segments

TZ = ZoneInfo("Asia/Jerusalem")
ALL = ("h", "d", "m", "y")


def test_segments_use_the_coarsest_grains() -> None:
    got = segments(datetime(2023, 12, 30, 22), datetime(2025, 3, 2, 5), ALL)
    assert got == (
        ("h", datetime(2023, 12, 30, 22), datetime(2023, 12, 31)),
        ("d", datetime(2023, 12, 31), datetime(2024, 1, 1)),
        ("y", datetime(2024, 1, 1), datetime(2025, 1, 1)),
        ("m", datetime(2025, 1, 1), datetime(2025, 3, 1)),
        ("d", datetime(2025, 3, 1), datetime(2025, 3, 2)),
        ("h", datetime(2025, 3, 2), datetime(2025, 3, 2, 5)),
    )


def test_segments_without_days_fall_back_to_hours() -> None:
    got = segments(datetime(2024, 1, 30), datetime(2024, 3, 2), ("h", "m", "y"))
    assert got == (
        ("h", datetime(2024, 1, 30), datetime(2024, 2, 1)),
        ("m", datetime(2024, 2, 1), datetime(2024, 3, 1)),
        ("h", datetime(2024, 3, 1), datetime(2024, 3, 2)),
    )


def test_hour_spans_across_dst() -> None:
    # spring: 02:00 does not exist; autumn: 01:00 lasts two hours
    assert hour_span(datetime(2024, 3, 29, 2), TZ) == (datetime(2024, 3, 29, 0),) * 2
    assert hour_span(datetime(2024, 3, 29, 1), TZ) == (
        datetime(2024, 3, 28, 23),
        datetime(2024, 3, 29, 0),
    )
    assert hour_span(datetime(2024, 10, 27, 1), TZ) == (
        datetime(2024, 10, 26, 22),
        datetime(2024, 10, 27, 0),
    )


def test_plan_leaves_partial_hours_and_half_of_a_repeated_hour_to_the_legs() -> None:
    got = plan(datetime(2024, 1, 10, 7, 30), datetime(2024, 1, 10, 10, 15), TZ, ALL)
    assert got.segments == (("h", datetime(2024, 1, 10, 10), datetime(2024, 1, 10, 12)),)
    assert got.raw == (
        (datetime(2024, 1, 10, 7, 30), datetime(2024, 1, 10, 8)),
        (datetime(2024, 1, 10, 10), datetime(2024, 1, 10, 10, 15)),
    )
    # 23:00-24:00 UTC is the second half of the repeated 01:00 local hour
    got = plan(datetime(2024, 10, 26, 23), datetime(2024, 10, 27, 0), TZ, ALL)
    assert got.segments == ()
    assert got.raw == ((datetime(2024, 10, 26, 23), datetime(2024, 10, 27, 0)),)
    assert plan(datetime(2024, 1, 2), datetime(2024, 1, 1), TZ, ALL).raw == ()


def test_edges_over_half_an_hour_are_their_hour_minus_the_rest() -> None:
    from cdrhub.analytics.periods import edge_pieces

    # Israel is UTC+3 in October 2024 until the 27th, 02:00 local (then UTC+2)
    long_start = (datetime(2024, 10, 1, 7, 17), datetime(2024, 10, 1, 8))  # 10:17-11:00 local
    short_end = (datetime(2024, 10, 1, 12), datetime(2024, 10, 1, 12, 10))  # 15:00-15:10
    hours, pieces = edge_pieces([long_start, short_end], TZ)
    assert hours == [("h", datetime(2024, 10, 1, 10), datetime(2024, 10, 1, 11))]
    assert pieces == [
        (-1, (datetime(2024, 10, 1, 7), datetime(2024, 10, 1, 7, 17))),
        (1, short_end),
    ]
    # the repeated hour 01:00-02:00 local on 2024-10-26/27 is 22:00-00:00 UTC: an edge of
    # 70 minutes inside it is the whole bucket minus the 50 minutes around it
    inside = (datetime(2024, 10, 26, 22, 20), datetime(2024, 10, 26, 23, 30))
    hours, pieces = edge_pieces([inside], TZ)
    assert hours == [("h", datetime(2024, 10, 27, 1), datetime(2024, 10, 27, 2))]
    assert pieces == [
        (-1, (datetime(2024, 10, 26, 22), datetime(2024, 10, 26, 22, 20))),
        (-1, (datetime(2024, 10, 26, 23, 30), datetime(2024, 10, 27))),
    ]
    # an edge spanning two local hours is read as it is
    across = (datetime(2024, 10, 1, 7, 50), datetime(2024, 10, 1, 8, 40))
    assert edge_pieces([across], TZ) == ([], [(1, across)])


CALLS_ROWS = {"h": 60, "d": 255, "m": 390, "y": 390}


def test_signed_cover_reads_a_partial_period_as_the_whole_less_the_rest() -> None:
    from cdrhub.analytics.periods import signed_cover

    # 27 days and 15 hours of October: the month less its last 9 hours and 3 days
    got = signed_cover(datetime(2026, 10, 1), datetime(2026, 10, 28, 15), ALL, CALLS_ROWS)
    assert got == (
        (1, "m", datetime(2026, 10, 1), datetime(2026, 11, 1)),
        (-1, "h", datetime(2026, 10, 28, 15), datetime(2026, 10, 29)),
        (-1, "d", datetime(2026, 10, 29), datetime(2026, 11, 1)),
    )
    # a few hours of one day stay hours
    got = signed_cover(datetime(2024, 3, 5, 9), datetime(2024, 3, 5, 20), ALL, CALLS_ROWS)
    assert got == ((1, "h", datetime(2024, 3, 5, 9), datetime(2024, 3, 5, 20)),)


def test_signed_cover_counts_periods_without_data_as_free() -> None:
    from cdrhub.analytics.periods import signed_cover

    # the data starts on 2023-11-13 at 08:00: 2023 is the data's first weeks, whole
    data = (datetime(2023, 11, 13, 8), datetime(2024, 6, 1))
    got = signed_cover(datetime(2020, 1, 1), datetime(2024, 3, 20), ALL, CALLS_ROWS, data)
    assert got == (
        (1, "y", datetime(2023, 1, 1), datetime(2024, 1, 1)),
        (1, "m", datetime(2024, 1, 1), datetime(2024, 4, 1)),
        (-1, "d", datetime(2024, 3, 20), datetime(2024, 4, 1)),
    )
    # nothing stored in the range
    assert signed_cover(datetime(2020, 1, 1), datetime(2021, 1, 1), ALL, CALLS_ROWS, data) == ()


def test_signed_plan_reads_long_edges_as_their_hour_less_the_rest() -> None:
    # 10:17 on 10 January to 15:43 on 31 January, local (UTC+2)
    rows = CALLS_ROWS
    got = plan(datetime(2024, 1, 10, 8, 17), datetime(2024, 1, 31, 13, 43), TZ, ALL, rows)
    assert got.segments == (("m", datetime(2024, 1, 1), datetime(2024, 2, 1)),)
    assert got.minus == (
        ("d", datetime(2024, 1, 1), datetime(2024, 1, 10)),
        ("h", datetime(2024, 1, 10), datetime(2024, 1, 10, 10)),
        ("h", datetime(2024, 1, 31, 16), datetime(2024, 2, 1)),
    )
    assert got.raw == ()
    assert got.less == (
        (datetime(2024, 1, 10, 8), datetime(2024, 1, 10, 8, 17)),
        (datetime(2024, 1, 31, 13, 43), datetime(2024, 1, 31, 14)),
    )
    # a short edge stays legs; a range inside one hour, over half of it, is the hour less
    got = plan(datetime(2024, 1, 10, 8, 50), datetime(2024, 1, 10, 11), TZ, ALL, rows)
    assert (got.segments, got.minus, got.raw, got.less) == (
        (("h", datetime(2024, 1, 10, 11), datetime(2024, 1, 10, 13)),),
        (),
        ((datetime(2024, 1, 10, 8, 50), datetime(2024, 1, 10, 9)),),
        (),
    )
    got = plan(datetime(2024, 1, 10, 8, 5), datetime(2024, 1, 10, 8, 55), TZ, ALL, rows)
    assert (got.segments, got.minus, got.raw, got.less) == (
        (("h", datetime(2024, 1, 10, 10), datetime(2024, 1, 10, 11)),),
        (),
        (),
        (
            (datetime(2024, 1, 10, 8), datetime(2024, 1, 10, 8, 5)),
            (datetime(2024, 1, 10, 8, 55), datetime(2024, 1, 10, 9)),
        ),
    )


def _hours(segment: tuple[str, datetime, datetime]) -> list[datetime]:
    from datetime import timedelta

    _grain, start, end = segment
    return [start + timedelta(hours=i) for i in range(int((end - start).total_seconds()) // 3600)]


@given(
    first=st.integers(0, 3 * 366 * 24),
    length=st.integers(1, 2 * 366 * 24),
    data_start=st.integers(0, 3 * 366 * 24),
    data_length=st.integers(1, 4 * 366 * 24),
    grains=st.sampled_from([ALL, ("h", "m", "y"), ("h", "d")]),
    weights=st.lists(st.integers(1, 5000), min_size=4, max_size=4),
)
@hyp_settings(max_examples=150, deadline=None)
def test_signed_cover_adds_every_hour_once(
    first, length, data_start, data_length, grains, weights
) -> None:
    """Every stored hour in the range is added once more than it is subtracted, every other
    stored hour as often as it is subtracted, whatever the weights."""
    from collections import Counter
    from datetime import timedelta

    from cdrhub.analytics.periods import signed_cover

    base = datetime(2023, 1, 1)
    start, end = base + timedelta(hours=first), base + timedelta(hours=first + length)
    data = (base + timedelta(hours=data_start), base + timedelta(hours=data_start + data_length))
    rows = dict(zip(("h", "d", "m", "y"), weights, strict=True))
    net: Counter = Counter()
    for sign, grain, a, b in signed_cover(start, end, grains, rows, data):
        assert grain in grains
        for hour in _hours((grain, a, b)):
            net[hour] += sign
    stored = {h: 1 for h in _hours(("h", *data))}
    for hour in stored:
        assert net[hour] == (1 if start <= hour < end else 0), hour
