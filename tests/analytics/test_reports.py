"""Every report on a small day whose figures are computed by hand (docs/analytics.md)."""

from __future__ import annotations

import pytest

from tests.analytics.helpers import answered_in_queue, by, outgoing, report, rows, store, wire

DAY = "2024-01-10"  # a Wednesday in winter (UTC+2): weekday 3 with Sunday = 0

IVR_MAIN = {"layer_id": 8650, "layer_name": "Main", "layer_number": 1, "dtmf_order": 1}
IVR_SUB = {"layer_id": 8651, "layer_name": "Support", "layer_number": 2, "dtmf_order": 2}


def day_wires() -> list[dict]:
    queue_answer = answered_in_queue(f"{DAY} 10:30:00", 200, "11", wait=15, talk=30,
                                     caller="0500000005", DepartmentID=7,
                                     DepartmentName="North")  # fmt: skip
    c2c_leg1 = wire(f"{DAY} 13:05:00", "Click2Call leg1", "ANSWER", caller="0722776772",
                    target="EXT12", targetextension="EXT12", representative_code="12",
                    representative_name="Agent 12", price=1)  # fmt: skip
    return [
        answered_in_queue(
            f"{DAY} 09:05:00",
            100,
            "11",
            wait=5,
            talk=60,
            caller="0500000001",
            IVR=[{**IVR_MAIN, "Dtmf": 1}],
        ),
        answered_in_queue(
            f"{DAY} 09:20:00",
            100,
            "12",
            wait=30,
            talk=120,
            caller="0500000002",
            IVR=[{**IVR_MAIN, "Dtmf": 2}, {**IVR_SUB, "Dtmf": 0}],
        ),
        wire(
            f"{DAY} 09:40:00",
            "Queue",
            "ABANDONE",
            queueid=100,
            queuename="Q100",
            seconds_waiting_in_queue=3,
            caller="0500000003",
        ),
        wire(
            f"{DAY} 10:10:00",
            "Queue",
            "ABANDONE",
            queueid=100,
            queuename="Q100",
            seconds_waiting_in_queue=45,
            caller="0500000003",
        ),
        queue_answer,
        # the extension leg of the same queue call: linked, so no second contact
        wire(
            f"{DAY} 10:31:00",
            "Incoming Call",
            "ANSWER",
            queueid=200,
            caller="0500000005",
            representative_code="12",
            duration=10,
            OriginalIvrUniqueID=queue_answer["ivruniqueid"],
        ),
        wire(f"{DAY} 11:00:00", "VoiceMail", "VOICEMAIL", caller="0500000004", duration=20),
        wire(
            f"{DAY} 11:15:00",
            "Incoming Call",
            "VOEND",
            caller="0500000006",
            IVR=[{**IVR_MAIN, "Dtmf": ""}],
        ),
        wire(
            f"{DAY} 12:00:00",
            "Queue",
            "TIMEOUT",
            queueid=100,
            queuename="Q100",
            seconds_waiting_in_queue=130,
            caller="0500000007",
        ),
        outgoing(
            f"{DAY} 13:00:00", "11", "972501234567", duration=100, price=7, target_country="Israel"
        ),
        c2c_leg1,
        wire(
            f"{DAY} 13:05:05",
            "Click2Call leg2",
            "ANSWER",
            caller="0722776772",
            target="4915112345678",
            callerextension="EXT12",
            representative_code="12",
            representative_name="Agent 12",
            duration=40,
            price=31,
            OriginalIvrUniqueID=c2c_leg1["ivruniqueid"],
        ),
        outgoing(f"{DAY} 14:00:00", "12", "4915112345679", "NOANSWER", target_country="Germany"),
        wire(f"{DAY} 15:00:00", "Mystery", "WEIRD", caller="0500000008", price=2.5),
    ]


@pytest.fixture
def day(engine, settings):
    store(engine, settings, day_wires())
    return engine, settings


def test_agents_leaderboards(day) -> None:
    engine, settings = day
    result = rows(engine, settings, "agents", from_=DAY, to=DAY)
    assert [r["agent_code"] for r in result] == ["11", "12"]
    a11, a12 = by(result, "agent_code")["11"], by(result, "agent_code")["12"]
    assert a11 == {
        "agent_code": "11", "agent_name": "Agent 11", "incoming_offered": 2,
        "incoming_answered": 2, "outgoing_attempts": 1, "outgoing_answered": 1,
        "talk_seconds": 190, "avg_handle_seconds": 63.3, "incoming_answer_ratio": 1.0,
        "outgoing_answer_ratio": 1.0,
    }  # fmt: skip
    # leg 1 of the click-to-call is no attempt; the linked extension leg is no second contact
    assert (a12["incoming_offered"], a12["incoming_answered"]) == (1, 1)
    assert (a12["outgoing_attempts"], a12["outgoing_answered"]) == (2, 1)
    assert (a12["talk_seconds"], a12["avg_handle_seconds"]) == (160, 80.0)
    by_outgoing = rows(engine, settings, "agents", sort="outgoing")
    assert [r["agent_code"] for r in by_outgoing] == ["11", "12"]  # tie on 1: by code


def test_countries(day) -> None:
    engine, settings = day
    result = by(rows(engine, settings, "countries", from_=DAY, to=DAY), "country")
    assert set(result) == {"Israel", "Germany"}
    assert result["Germany"] == {
        "country": "Germany", "attempts": 2, "answered": 1, "answer_ratio": 0.5,
        "acd_seconds": 40.0, "cost_agorot": 31.0,
    }  # fmt: skip
    assert result["Israel"]["attempts"] == 1
    assert result["Israel"]["acd_seconds"] == 100.0
    assert result["Israel"]["cost_agorot"] == 7.0


def test_peak_hours(day) -> None:
    engine, settings = day
    result = rows(engine, settings, "peak-hours", from_=DAY, to=DAY)
    assert len(result) == 7 * 24
    busy = {(r["weekday"], r["hour"]): r for r in result if r["offered"]}
    assert set(busy) == {(3, 9), (3, 10), (3, 11), (3, 12)}
    assert [busy[(3, h)]["offered"] for h in (9, 10, 11, 12)] == [3, 2, 2, 1]
    assert [busy[(3, h)]["answered"] for h in (9, 10, 11, 12)] == [2, 1, 0, 0]
    assert [busy[(3, h)]["abandoned"] for h in (9, 10, 11, 12)] == [1, 1, 0, 1]


def test_queues(day) -> None:
    engine, settings = day
    answer = report(engine, settings, "queues", from_=DAY, to=DAY)
    assert answer["settings"]["service_level_seconds"] == 20
    q = by(answer["rows"], "queue_id")
    assert list(q) == ["100", "200"]
    assert {k: v for k, v in q["100"].items() if k != "wait_buckets"} == {
        "queue_id": "100", "queue_name": "Q100", "offered": 5, "answered": 2, "abandoned": 3,
        "short_abandoned": 1, "abandon_rate": 0.6, "abandon_rate_without_short": 0.5,
        "service_level": 0.25, "asa_seconds": 17.5, "service_level_seconds": 20,
        "short_abandon_seconds": 5,
    }  # fmt: skip
    assert q["100"]["wait_buckets"] == {
        "answered": {"0-10": 1, "10-20": 0, "20-30": 0, "30-60": 1, "60-120": 0, "120+": 0},
        "abandoned": {"0-10": 1, "10-20": 0, "20-30": 0, "30-60": 1, "60-120": 0, "120+": 1},
    }
    assert (q["200"]["offered"], q["200"]["answered"], q["200"]["service_level"]) == (1, 1, 1.0)


def test_queues_by_day_equal_the_queues_report_of_each_day(engine, settings) -> None:
    # the small day, and the next local day: one answered after a 25 s wait (no service level)
    # at 00:30 local (22:30 UTC the day before), one abandoned after 2 s (short) in queue 200
    store(engine, settings, [
        *day_wires(),
        answered_in_queue("2024-01-11 00:30:00", 100, "11", wait=25, talk=10),
        wire("2024-01-11 16:00:00", "Queue", "ABANDONE", queueid=200, queuename="Q200",
             seconds_waiting_in_queue=2),
    ])  # fmt: skip
    answer = report(engine, settings, "queues", from_="2024-01-09", to="2024-01-11", by="day")
    assert answer["filters"]["by"] == "day"
    days = by(answer["rows"], "day")
    assert list(days) == ["2024-01-09", DAY, "2024-01-11"]
    assert days["2024-01-09"] == {
        "day": "2024-01-09", "offered": 0, "answered": 0, "abandoned": 0, "short_abandoned": 0,
        "abandon_rate": None, "abandon_rate_without_short": None, "service_level": None,
        "asa_seconds": None,
    }  # fmt: skip
    # queue 100: 5 offered, 1 short, 1 within 20 s; queue 200: 1 offered within 20 s
    assert days[DAY] == {
        "day": DAY, "offered": 6, "answered": 3, "abandoned": 3, "short_abandoned": 1,
        "abandon_rate": 0.5, "abandon_rate_without_short": 0.4, "service_level": 0.4,
        "asa_seconds": 16.7,
    }  # fmt: skip
    assert days["2024-01-11"] == {
        "day": "2024-01-11", "offered": 2, "answered": 1, "abandoned": 1, "short_abandoned": 1,
        "abandon_rate": 0.5, "abandon_rate_without_short": 0.0, "service_level": 0.0,
        "asa_seconds": 25.0,
    }  # fmt: skip
    for day_ in (DAY, "2024-01-11"):
        queues = rows(engine, settings, "queues", from_=day_, to=day_)
        sums = {k: sum(q[k] for q in queues) for k in ("offered", "answered", "abandoned")}
        assert {k: days[day_][k] for k in sums} == sums
        assert days[day_]["abandon_rate"] == round(sums["abandoned"] / sums["offered"], 4)
        overview = rows(engine, settings, "overview", from_=day_, to=day_)[0]
        assert days[day_]["service_level"] == overview["service_level"]
        # the day alone, and one queue's day, equal that queue's row
        assert rows(engine, settings, "queues", from_=day_, to=day_, by="day") == [days[day_]]
        for q in queues:
            alone = rows(engine, settings, "queues", from_=day_, to=day_, by="day",
                         queue=q["queue_id"])  # fmt: skip
            figures = {k: v for k, v in q.items() if k in alone[0]}
            assert {k: v for k, v in alone[0].items() if k != "day"} == figures
    # open range: only the days with queue contacts
    assert [r["day"] for r in rows(engine, settings, "queues", by="day")] == [DAY, "2024-01-11"]


def test_queue_thresholds_are_settings_per_queue(engine, settings) -> None:
    settings = settings.with_(
        file={"analytics": {"service_level_seconds": 10, "short_abandon_seconds": 2,
                            "queues": {"100": {"service_level_seconds": 30}}}}
    )  # fmt: skip
    store(engine, settings, day_wires())
    q = by(rows(engine, settings, "queues"), "queue_id")
    # queue 100: target 30 s (answered waits 5 and 30 both meet it); short below 2 s: none
    assert (q["100"]["service_level"], q["100"]["short_abandoned"]) == (0.4, 0)
    assert q["100"]["service_level_seconds"] == 30
    assert q["200"]["service_level"] == 0.0  # waited 15 s, target 10 s


def test_ivr(day) -> None:
    engine, settings = day
    result = rows(engine, settings, "ivr")
    assert result == [
        {"layer_id": "8650", "layer_name": "Main", "layer_number": "1", "reached": 3,
         "visits": 3, "hangups": 1, "dtmf": {"1": 1, "2": 1, "none": 1}},
        {"layer_id": "8651", "layer_name": "Support", "layer_number": "2", "reached": 1,
         "visits": 1, "hangups": 0, "dtmf": {"0": 1}},
    ]  # fmt: skip


def test_overview_and_previous_range(day) -> None:
    engine, settings = day
    current, previous = rows(engine, settings, "overview", from_=DAY, to=DAY)
    assert current == {
        "period": "current", "offered": 8, "answered": 3, "voicemail": 1, "abandoned": 3,
        "short_abandoned": 1, "abandon_rate": 0.375, "queue_offered": 6, "service_level": 0.4,
        "asa_seconds": 16.7, "aht_seconds": 70.0, "missed_contacts": 4, "missed_customers": 3,
        "outgoing_attempts": 3, "outgoing_answered": 2, "legs": 14, "unknown_type_legs": 1,
        "cost_agorot": 42,  # 41.5 agorot, rounded half up to whole agorot
    }  # fmt: skip
    assert previous["period"] == "previous"
    assert (previous["offered"], previous["legs"]) == (0, 0)
    # the same day seen as the "previous" of the day after
    after = rows(engine, settings, "overview", from_="2024-01-11", to="2024-01-11")
    assert after[0]["offered"] == 0
    assert after[1]["offered"] == 8


def test_repeat_callers(day) -> None:
    engine, settings = day
    assert rows(engine, settings, "repeat-callers", from_=DAY, to=DAY) == [
        {"number": "+972500000003", "contacts": 2, "answered": 0, "missed": 2,
         "max_per_day": 2, "repeat_days": 1},
    ]  # fmt: skip
    assert rows(engine, settings, "repeat-callers", min_calls=3) == []


def test_cost_groupings(day) -> None:
    engine, settings = day
    by_type = by(rows(engine, settings, "cost", by="type"), "key")
    assert by_type["Click2Call leg2"]["cost_agorot"] == 31.0
    assert by_type["Click2Call leg1"]["cost_agorot"] == 1.0  # leg 1 costs money too
    assert by_type["Mystery"]["cost_agorot"] == 3  # unknown types are shown (2.5 rounded up)
    assert by_type["Queue"]["legs"] == 6
    by_department = by(rows(engine, settings, "cost", by="department"), "key")
    assert by_department["7"]["name"] == "North"
    assert by_department["7"]["legs"] == 1
    assert by_department[""]["cost_agorot"] == 42
    by_agent = by(rows(engine, settings, "cost", by="agent"), "key")
    assert by_agent["12"]["cost_agorot"] == 32.0
    assert by(rows(engine, settings, "cost", by="country"), "key")["Germany"]["cost_agorot"] == 31


@pytest.mark.parametrize(
    ("filters", "offered", "attempts"),
    [
        ({"queue": "100"}, 5, 0),
        ({"queue": "Q100"}, 5, 0),  # by name
        ({"queue": "100,200"}, 6, 0),
        ({"department": "7"}, 1, 0),
        ({"department": "North"}, 1, 0),
        ({"agent": "12"}, 1, 2),
        ({"agent": "Agent 11"}, 2, 1),
        ({"type": "extension_outgoing"}, 0, 2),  # matched loosely
        ({"type": "Queue"}, 6, 0),
        ({"type": "Mystery"}, 0, 0),
        ({"from": DAY, "to": DAY}, 8, 3),
        ({"from": "2024-01-09", "to": "2024-01-09"}, 0, 0),
        ({"from": "2024-01-11"}, 0, 0),
        ({"to": DAY}, 8, 3),
        # datetimes: local when naive, any offset otherwise; `to` is exclusive
        ({"from": f"{DAY}T09:30", "to": f"{DAY}T10:20"}, 2, 0),
        ({"from": f"{DAY}T07:30:00Z", "to": f"{DAY}T08:20:00+00:00"}, 2, 0),
        ({"from": f"{DAY}T13:00", "to": f"{DAY}T13:05:05"}, 0, 1),
        ({"from": f"{DAY}T09:00", "to": f"{DAY}T12:00"}, 7, 0),
    ],
)
def test_filters(day, filters, offered, attempts) -> None:
    engine, settings = day
    answer = report(engine, settings, "overview", **filters)
    current = answer["rows"][0]
    assert (current["offered"], current["outgoing_attempts"]) == (offered, attempts)
    assert answer["filters"]["from"] == filters.get("from")
    queues = rows(engine, settings, "queues", **filters)
    assert sum(q["offered"] for q in queues) == current["queue_offered"]


def test_partial_hour_range_matches_legs(day) -> None:
    engine, settings = day
    q = rows(engine, settings, "queues", from_=f"{DAY}T09:30", to=f"{DAY}T10:20")
    assert [(r["queue_id"], r["offered"], r["abandoned"], r["short_abandoned"]) for r in q] == [
        ("100", 2, 2, 1)
    ]


def test_bad_parameters(day) -> None:
    engine, settings = day
    with pytest.raises(ValueError, match="not a date"):
        report(engine, settings, "overview", from_="yesterday")
    with pytest.raises(ValueError, match="before"):
        report(engine, settings, "overview", from_="2024-01-10", to="2024-01-09")
    with pytest.raises(ValueError, match="sort"):
        report(engine, settings, "agents", sort="name")
    with pytest.raises(ValueError, match="by must"):
        report(engine, settings, "cost", by="planet")
    with pytest.raises(ValueError, match="by must be one of queue, day"):
        report(engine, settings, "queues", by="week")


def test_empty_database(engine, settings) -> None:
    for name in ("agents", "countries", "queues", "ivr", "repeat-callers", "cost"):
        assert rows(engine, settings, name) == []
        assert rows(engine, settings, name, from_="2024-01-01") == []
    assert rows(engine, settings, "overview", to="2024-01-01")[0]["offered"] == 0
