"""Israel's DST changes, the Sunday-first week, legs that arrive twice, revised or out of
order, and unknown types and statuses."""

from __future__ import annotations

from datetime import datetime

from tests.analytics.helpers import answered_in_queue, by, rows, store, wire


def _cells(engine, settings, **filters) -> dict[tuple[int, int], int]:
    return {
        (r["weekday"], r["hour"]): r["offered"]
        for r in rows(engine, settings, "peak-hours", **filters)
        if r["offered"]
    }


def test_spring_forward_day(engine, settings) -> None:
    # Friday 2024-03-29: 02:00 local does not exist (clocks jump to 03:00)
    store(engine, settings, [
        wire("2024-03-29 01:30:00", caller="0500000001"),
        wire("2024-03-29 03:30:00", caller="0500000002"),
        wire("2024-03-28 23:59:00", caller="0500000003"),
    ])  # fmt: skip
    assert _cells(engine, settings, from_="2024-03-29", to="2024-03-29") == {(5, 1): 1, (5, 3): 1}
    # 00:00 to 04:00 local is 3 real hours: both legs; 01:00 to 03:00 local is one real hour
    assert rows(engine, settings, "overview", from_="2024-03-29T00:00", to="2024-03-29T04:00")[0][
        "offered"
    ] == 2  # fmt: skip
    assert rows(engine, settings, "overview", from_="2024-03-29T01:00", to="2024-03-29T03:00")[0][
        "offered"
    ] == 1  # fmt: skip
    assert (
        rows(engine, settings, "overview", from_="2024-03-28", to="2024-03-28")[0]["offered"] == 1
    )


def test_fall_back_repeated_hour(engine, settings) -> None:
    # Sunday 2024-10-27: 01:00-02:00 local happens twice (22:00-23:00 and 23:00-24:00 UTC)
    first = wire("2024-10-27 01:30:00", caller="0500000001")
    second = wire("2024-10-27 01:30:00", caller="0500000002")
    store(engine, settings, [first], received_at=datetime(2024, 10, 26, 22, 45))
    store(engine, settings, [second], received_at=datetime(2024, 10, 27, 0, 5))
    assert _cells(engine, settings, from_="2024-10-27", to="2024-10-27") == {(0, 1): 2}
    assert _cells(engine, settings, from_="2024-10-26", to="2024-10-26") == {}
    # each real hour of the repeated local hour, asked in UTC: counted from the legs
    overview = rows(
        engine, settings, "overview", from_="2024-10-26T23:00:00Z", to="2024-10-27T00:00:00Z"
    )
    assert overview[0]["offered"] == 1
    overview = rows(
        engine, settings, "overview", from_="2024-10-26T22:00:00Z", to="2024-10-27T00:00:00Z"
    )
    assert overview[0]["offered"] == 2
    # the whole local day 2024-10-27 is 25 hours long; its "previous" day is 24
    assert (
        rows(engine, settings, "overview", from_="2024-10-28", to="2024-10-28")[1]["offered"] == 2
    )


def test_sunday_first_week(engine, settings) -> None:
    store(engine, settings, [
        wire("2024-01-07 08:00:00", caller="0500000001"),  # Sunday
        wire("2024-01-13 22:00:00", caller="0500000002"),  # Saturday
    ])  # fmt: skip
    assert _cells(engine, settings) == {(0, 8): 1, (6, 22): 1}
    weekday_names = {r["weekday"]: r["weekday_name"] for r in rows(engine, settings, "peak-hours")}
    assert weekday_names[0] == "Sunday" and weekday_names[6] == "Saturday"


def test_redelivery_counts_once(engine, settings) -> None:
    leg = answered_in_queue("2024-01-10 09:00:00", 100, "11", wait=5, talk=60)
    store(engine, settings, [leg])
    store(engine, settings, [leg])
    store(engine, settings, [dict(leg)])
    q = rows(engine, settings, "queues")
    assert (q[0]["offered"], q[0]["answered"]) == (1, 1)
    assert rows(engine, settings, "overview")[0]["legs"] == 1


def test_revision_replaces_the_earlier_content(engine, settings) -> None:
    first = wire("2024-01-10 09:00:00", "Queue", "ABANDONE", queueid=100,
                 seconds_waiting_in_queue=40, caller="0500000001")  # fmt: skip
    store(engine, settings, [first])
    revised = {**first, "status": "ANSWER", "representative_code": "11", "duration": 50,
               "seconds_waiting_in_queue": 12, "price": 3}  # fmt: skip
    store(engine, settings, [revised])
    q = rows(engine, settings, "queues")[0]
    assert (q["offered"], q["answered"], q["abandoned"], q["asa_seconds"]) == (1, 1, 0, 12.0)
    assert q["wait_buckets"]["abandoned"]["30-60"] == 0
    assert q["wait_buckets"]["answered"]["10-20"] == 1
    assert by(rows(engine, settings, "agents"), "agent_code")["11"]["incoming_answered"] == 1
    assert rows(engine, settings, "overview")[0]["missed_customers"] == 0
    # and back: exactly the first figures again
    store(engine, settings, [first])
    q = rows(engine, settings, "queues")[0]
    assert (q["offered"], q["answered"], q["abandoned"]) == (1, 0, 1)
    assert rows(engine, settings, "agents") == []
    assert rows(engine, settings, "overview")[0]["cost_agorot"] == 0


def test_revision_that_moves_the_leg_to_another_hour(engine, settings) -> None:
    leg = wire("2024-01-10 09:59:00", caller="0500000001")
    store(engine, settings, [leg])
    store(engine, settings, [{**leg, "time": leg["time"] + 120}])  # now 10:01
    assert _cells(engine, settings) == {(3, 10): 1}


def test_click_to_call_legs_out_of_order(engine, settings) -> None:
    leg1 = wire("2024-01-10 13:05:00", "Click2Call leg1", "ANSWER", representative_code="12",
                target="EXT12", price=1)  # fmt: skip
    leg2 = wire("2024-01-10 13:05:05", "Click2Call leg2", "NOTCALLED", caller="0722776772",
                target="972501234567", representative_code="12", leg1DialStatusName="NOANSWER",
                OriginalIvrUniqueID=leg1["ivruniqueid"])  # fmt: skip
    store(engine, settings, [leg2])
    store(engine, settings, [leg1])
    agent = rows(engine, settings, "agents")[0]
    assert (agent["outgoing_attempts"], agent["outgoing_answered"]) == (1, 0)
    assert rows(engine, settings, "overview")[0]["outgoing_attempts"] == 1
    assert rows(engine, settings, "countries")[0]["country"] == "Israel"  # from the number


def test_unknown_types_and_statuses_are_counted_and_shown(engine, settings) -> None:
    store(engine, settings, [
        wire("2024-01-10 10:00:00", "Hologram Call", "ANSWER", price=4),
        wire("2024-01-10 10:05:00", "Queue", "SOMETHINGNEW", queueid=100, caller="0500000002"),
        wire("2024-01-10 10:06:00", "", "ANSWER", caller="0500000003"),
    ])  # fmt: skip
    overview = rows(engine, settings, "overview")[0]
    assert (overview["legs"], overview["unknown_type_legs"], overview["offered"]) == (3, 2, 1)
    assert (overview["answered"], overview["abandoned"]) == (0, 0)
    types = by(rows(engine, settings, "cost", by="type"), "key")
    assert types["Hologram Call"]["cost_agorot"] == 4.0
    assert types[""]["legs"] == 1
    assert rows(engine, settings, "overview", type="Hologram Call")[0]["legs"] == 1
