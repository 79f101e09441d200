"""Property: every report read from the rollups equals the same report computed from the raw
legs, whatever arrives (duplicates, revisions, out of order, unknown values, DST days), through
the webhook pipeline or the bulk import path, for any range and filter."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import select

from cdrhub import domains
from cdrhub.analytics import customers, query, reports
from cdrhub.analytics.config import analytics_settings
from cdrhub.analytics.facts import leg_facts
from cdrhub.analytics.importer import import_legs
from cdrhub.analytics.periods import Plan
from cdrhub.analytics.stored import FACT_FIELDS, stored_leg
from cdrhub.analytics.tables import numbers
from cdrhub.store import bulk
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import legs
from cdrhub.voicenter.normalize import normalize
from tests.analytics.helpers import report, store
from tests.conftest import _truncate_all

BASE = datetime(2024, 10, 25)  # 4 days across Israel's autumn DST change (2024-10-27)
TYPES = ["Queue", "Incoming Call", "VoiceMail", "Extension Outgoing", "Click2Call leg1",
         "Click2Call leg2", "ProductiveCallLeg2", "Click 2 Queue Incoming", "XferCDR", "CC",
         "Hologram"]  # fmt: skip
STATUSES = ["ANSWER", "NOANSWER", "ABANDONE", "TIMEOUT", "VOEND", "VOICEMAIL", "BUSY", "ODD"]
NUMBERS = ["0500000001", "0500000002", "0500000003", "972501234567", "4915112345678", ""]


@st.composite
def cdrs(draw: st.DrawFn, index: int) -> dict[str, Any]:
    start = BASE + timedelta(minutes=draw(st.integers(0, 4 * 24 * 60 - 1)))
    wait = draw(st.one_of(st.none(), st.integers(0, 200)))
    steps = draw(st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from(["", "1", "2"])),
                          max_size=3))  # fmt: skip
    return {
        "ivruniqueid": f"{start:%Y%m%d%H%M%S}p{index:05d}",
        "time": calendar.timegm(start.timetuple()),
        "type": draw(st.sampled_from(TYPES)),
        "status": draw(st.sampled_from(STATUSES)),
        "caller": draw(st.sampled_from(NUMBERS)),
        "target": draw(st.sampled_from(NUMBERS)),
        "queueid": draw(st.sampled_from([0, 100, 200])),
        "representative_code": draw(st.sampled_from(["", "11", "12"])),
        "DepartmentID": draw(st.sampled_from([0, 7, 8])),
        "seconds_waiting_in_queue": wait if wait is not None else "",
        "duration": draw(st.integers(0, 300)),
        "price": draw(st.sampled_from([0, 1, 2.5, 7, 31.25])),
        "target_country": draw(st.sampled_from(["", "Israel", "Germany"])),
        "IVR": [{"layer_id": 8000 + n, "layer_number": n, "Dtmf": d} for n, d in steps],
    }


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[list[tuple[dict, bool]]]]:
    originals = [draw(cdrs(i)) for i in range(draw(st.integers(1, 25)))]
    deliveries = []
    for leg in originals:
        deliveries.append(leg)
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                deliveries.append(leg)  # redelivered as is
            else:
                changed = draw(cdrs(0))
                keep = {"ivruniqueid": leg["ivruniqueid"]}
                deliveries.append({**changed, **keep})  # revised
    order = draw(st.permutations(deliveries))
    batches, current = [], []
    for item in order:
        current.append((item, draw(st.booleans())))
        if draw(st.integers(0, 3)) == 0:
            batches.append(current)
            current = []
    batches.append(current)
    return originals, [b for b in batches if b]


def bounds() -> st.SearchStrategy[dict[str, str]]:
    day = st.integers(-1, 4).map(lambda d: (BASE + timedelta(days=d)).date().isoformat())
    moment = st.integers(-60, 4 * 24 * 60 + 60).map(
        lambda m: (BASE + timedelta(minutes=m)).isoformat(timespec="minutes")
    )
    utc = st.integers(0, 4 * 24 * 60).map(
        lambda m: (BASE + timedelta(minutes=m)).isoformat(timespec="minutes") + "Z"
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "from": st.one_of(day, moment, utc),
            "to": st.one_of(day, moment, utc),
            "queue": st.sampled_from(["100", "200", "100,200"]),
            "agent": st.sampled_from(["11", "12"]),
            "type": st.sampled_from(["Queue", "extension outgoing", "Hologram"]),
            "department": st.sampled_from(["7", "8"]),
            "min_calls": st.sampled_from(["1", "2", "3"]),
        },
    )


def _deliver(engine, settings, batch: list[tuple[dict, bool]]) -> None:
    webhook = [w for w, bulk in batch if not bulk]
    imported = [w for w, bulk in batch if bulk]
    if webhook:
        store(engine, settings, webhook)
    if imported:
        received = datetime(2030, 1, 1)
        legs = [normalize(w, tz=settings.tz, received_at=received) for w in imported]
        with write_transaction(engine) as conn:
            import_legs(conn, legs, settings, domains.hooks(settings), encoding="import",
                        received_at=received)  # fmt: skip


def _raw_plan(conn, spec, scope, grains=None, signed=False) -> Plan:
    start = scope.start or datetime(1900, 1, 1)
    end = scope.end or datetime(2100, 1, 1)
    return Plan((), ((start, end),))


def _answer(engine, settings, name: str, params: dict[str, str]) -> Any:
    try:
        return report(engine, settings, name, **params)["rows"]
    except ValueError as exc:
        return f"error: {exc}"


def _limited(limit: int):
    """analytics_settings with another repeat_limit (a few rows: the top-candidates paths)."""
    from dataclasses import replace

    from cdrhub.analytics import service

    real = service.analytics_settings
    return lambda settings: replace(real(settings), repeat_limit=limit)


def _same_as_raw(engine, settings, name: str, params: dict[str, str]) -> None:
    """The report from the rollups (each way of reading the per-number table, and with a
    short repeat-callers list) equals the report computed from the raw legs."""
    from cdrhub.analytics import service

    limits = [None, 2] if name == "repeat-callers" else [None]
    for limit in limits:
        with pytest.MonkeyPatch.context() as patch:
            if limit is not None:
                patch.setattr(service, "analytics_settings", _limited(limit))
            answers = {}
            per_number = name in ("overview", "repeat-callers")
            for way in ("auto", "always", "never") if per_number else ("auto",):
                patch.setattr(customers, "COMPLEMENT", way)
                answers[way] = _answer(engine, settings, name, params)
            patch.setattr(query, "make_plan", _raw_plan)
            patch.setattr(customers, "REPEATERS_ENABLED", False)
            patch.setattr(customers, "MISSED_TABLE_ENABLED", False)
            from_legs = _answer(engine, settings, name, params)
        for way, from_rollups in answers.items():
            assert from_rollups == from_legs, (name, params, way, limit)


@pytest.mark.slow
@hyp_settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    scenario=scenarios(),
    filters=st.lists(bounds(), min_size=1, max_size=4),
    weights=st.lists(st.integers(1, 3000), min_size=4, max_size=4),
)
def test_rollups_equal_raw_legs(engine, settings, scenario, filters, weights) -> None:
    _truncate_all(engine)
    with pytest.MonkeyPatch.context() as patch:
        # PostgreSQL: exercise the COPY path on these small batches
        patch.setattr(bulk, "COPY_ROWS", 1)
        # random weights for the rows of an hour, day, month and year: the range planner
        # then adds and subtracts periods in every way it can
        patch.setattr(query, "plan", _weighted_plan(dict(zip("hdmy", weights, strict=True))))
        _check(engine, settings, scenario, filters)


def _weighted_plan(rows: dict[str, int]):
    from cdrhub.analytics import periods

    def plan(start, end, tz, grains, weights=None, data=None) -> Plan:
        return periods.plan(start, end, tz, grains, None if weights is None else rows, data)

    return plan


def _numbers_from_legs(engine, settings) -> dict[tuple, tuple[int, ...]]:
    """`an_numbers` as it should be, computed from the stored legs alone: per (local day,
    number) and dimension value, the repeat figures (2+ contacts) and missed contacts; months,
    years and all time summing them (the most contacts on one day: the largest)."""
    cfg = analytics_settings(settings)
    days: dict[tuple, list[int]] = {}
    with engine.connect() as conn:
        rows = conn.execute(select(*(legs.c[f] for f in FACT_FIELDS))).mappings().all()
    for row in rows:
        facts = leg_facts(stored_leg(row), settings.tz, cfg)
        for fact in facts.facts if facts else ():
            if fact.spec != "callers_agent":
                continue
            number, department, queue, agent, type_ = fact.dims
            day = facts.hour.replace(hour=0)
            for dim, value in (("", ""), ("department", department), ("queue", queue),
                               ("agent", agent), ("type", type_)):  # fmt: skip
                if dim and not value:
                    continue
                current = days.setdefault((dim, value, day, number), [0, 0, 0])
                for i in range(3):
                    current[i] += fact.counters[i]
    expected: dict[tuple, tuple[int, ...]] = {}
    for (dim, value, day, number), (contacts, answered, missed) in days.items():
        rep = (1, contacts, answered, missed, contacts) if contacts >= 2 else (0, 0, 0, 0, 0)
        if not rep[0] and not missed:
            continue
        for grain, period in (("d", day), ("m", day.replace(day=1)),
                              ("y", day.replace(month=1, day=1)), ("a", datetime(1900, 1, 1))):  # fmt: skip
            key = (dim, value, grain, period, number)
            old = expected.get(key, (0, 0, 0, 0, 0, 0))
            expected[key] = (old[0] + rep[0], old[1] + rep[1], old[2] + rep[2],
                             old[3] + rep[3], max(old[4], rep[4]), old[5] + missed)  # fmt: skip
    return expected


def _stored_numbers(engine) -> dict[tuple, tuple[int, ...]]:
    with engine.connect() as conn:
        return {
            (r.dim, r.value, r.grain, r.period, r.number): (
                r.rep_days,
                r.rep_contacts,
                r.rep_answered,
                r.rep_missed,
                r.rep_top,
                r.missed,
            )
            for r in conn.execute(select(numbers))
        }


def _check(engine, settings, scenario, filters) -> None:
    _originals, batches = scenario
    for batch in batches:
        _deliver(engine, settings, batch)
    assert _stored_numbers(engine) == _numbers_from_legs(engine, settings)
    for params in [{}, *filters]:
        for name in reports.REPORTS:
            _same_as_raw(engine, settings, name, params)


@pytest.mark.slow
def test_long_ranges_on_demo_traffic_equal_raw_legs(engine, settings) -> None:
    """Fourteen months of generated traffic: years, months and days of rollups, DST twice."""
    from datetime import date

    from cdrhub import domains
    from cdrhub.analytics.demo import Generator
    from cdrhub.analytics.importer import store_wires

    generator = Generator(days=430, calls_per_day=12, end=date(2025, 3, 5), seed=3)
    store_wires(
        engine,
        settings,
        (("demo", w) for w in generator),
        domains.hooks(settings),
        batch_size=700,
    )
    assert _stored_numbers(engine) == _numbers_from_legs(engine, settings)
    cases = [
        {},
        {"from": "2024-01-01", "to": "2024-12-31"},
        {"from": "2023-12-30", "to": "2025-03-01"},
        {"from": "2024-03-15T10:20", "to": "2024-11-02T08:05"},
        {"from": "2024-02-01", "to": "2025-02-27", "queue": "1002"},
        {"from": "2024-02-01", "agent": "2003"},
        {"to": "2024-10-27", "type": "Click2Call leg2"},
        {"queue": "1001"},
        {"from": "2024-01-01", "queue": "1001,1003"},
        {"from": "2024-02-01T09:10", "to": "2025-02-27T16:50", "agent": "2001"},
        {"from": "2024-02-01T09:10", "to": "2025-02-27T16:50", "min_calls": "3"},
        {"from": "2023-01-01T09:10", "to": "2026-02-27T16:50"},
    ]
    for params in cases:
        for name in reports.REPORTS:
            _same_as_raw(engine, settings, name, params)
