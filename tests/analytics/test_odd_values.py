"""Values storage has to fit (NUL characters, long texts, huge numbers) are counted the same
by the ingest hook and by a read of the stored legs."""

from __future__ import annotations

from cdrhub.analytics import customers, query
from cdrhub.analytics.periods import Plan
from tests.analytics.helpers import report, store, wire


def _raw_plan(conn, spec, scope, grains=None, signed=False) -> Plan:
    from datetime import datetime

    return Plan((), ((scope.start or datetime(1900, 1, 1), scope.end or datetime(2100, 1, 1)),))


def test_odd_values_count_alike(engine, settings, monkeypatch) -> None:
    store(engine, settings, [
        wire("2024-01-10 09:00:00", "Queue", "ANSWER", queueid=10**20, queuename="Q\x00ueue",
             representative_code="A\x00" + "x" * 300, representative_name="N\x00ame",
             duration=10**12, seconds_waiting_in_queue=5, caller="05\x0001234567",
             IVR=[{"layer_id": "L\x00" + "y" * 200, "layer_name": "M\x00enu", "Dtmf": "1"}]),
        wire("2024-01-10 09:05:00", "T\x00ype" + "z" * 100, "ANSWER", price=float("inf")),
    ])  # fmt: skip
    names = ("overview", "agents", "queues", "ivr", "cost", "peak-hours", "repeat-callers")
    from_rollups = {n: report(engine, settings, n)["rows"] for n in names}
    monkeypatch.setattr(query, "make_plan", _raw_plan)
    monkeypatch.setattr(customers, "REPEATERS_ENABLED", False)
    monkeypatch.setattr(customers, "MISSED_TABLE_ENABLED", False)
    assert {n: report(engine, settings, n)["rows"] for n in names} == from_rollups
    assert from_rollups["overview"][0]["legs"] == 2
