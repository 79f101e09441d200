"""The range planner (pure): which rollup grains and raw-leg edges serve a range."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

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
    from cdrhub.analytics.query import edge_pieces

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
