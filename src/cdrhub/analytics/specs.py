"""The rollups: which dimensions and additive counters each keeps, and at which grains.

A rollup row is keyed by (grain, period, dimensions) where `period` is the local start of the
hour (`h`), day (`d`), month (`m`) or year (`y`) the legs started in. Every leg is added at
every grain of a spec, so any range is served by a few years, months, days and hours.
Counters are additive integers: a revised leg subtracts its previous facts and adds its new
ones, exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FILTER_DIMS = ("department", "queue", "agent", "type")
WAIT_EDGES = (10, 20, 30, 60, 120)  # buckets 0-10, 10-20, 20-30, 30-60, 60-120, 120+
WAIT_LABELS = ("0-10", "10-20", "20-30", "30-60", "60-120", "120+")


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    table: str
    dims: tuple[str, ...]  # all strings ("" = none) except those in int_dims
    counters: tuple[str, ...]
    grains: tuple[str, ...]  # subset of ("h", "d", "m", "y"), finest first
    int_dims: tuple[str, ...] = ()
    # rows one period of each grain holds, roughly (counted on the benchmark's traffic:
    # bench/README.md, Analytics, "Figures behind the code"): the range planner weighs reading
    # a partial period against the whole period less the rest of it by them
    # (periods.signed_cover); only their ratios matter
    rows: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)


CALLS = Spec(
    name="calls",
    table="an_calls",
    dims=(*FILTER_DIMS, "direction", "country"),
    counters=(
        "legs", "contacts", "answered", "voicemail", "abandoned", "short_abandoned", "missed",
        "sl_met", "wait_answered", "talk", "cost_milli",
        *(f"wa{i}" for i in range(6)), *(f"wb{i}" for i in range(6)),
    ),
    grains=("h", "d", "m", "y"),
    rows={"h": 60, "d": 255, "m": 390, "y": 390},
)  # fmt: skip
# The heat map without the agent (answered calls spread it over every agent: many times the
# rows), and with it for reports filtered by agent, which then read 1/agents of the rows.
PEAK = Spec(
    name="peak",
    table="an_peak",
    dims=("department", "queue", "type", "weekday", "hour"),
    counters=("contacts", "answered", "abandoned"),
    grains=("h", "m", "y"),
    int_dims=("weekday", "hour"),
    rows={"h": 7, "m": 1400, "y": 1650},
)
PEAK_AGENT = Spec(
    name="peak_agent",
    table="an_peak_agent",
    dims=(*FILTER_DIMS, "weekday", "hour"),
    counters=("contacts", "answered", "abandoned"),
    grains=("h", "m", "y"),
    int_dims=("weekday", "hour"),
    rows={"h": 17, "m": 3200, "y": 4200},
)
IVR = Spec(
    name="ivr",
    table="an_ivr",
    dims=(*FILTER_DIMS, "layer", "layer_number", "dtmf"),
    counters=("visits", "reached", "hangups"),
    grains=("h", "d", "m", "y"),
    rows={"h": 17, "d": 29, "m": 29, "y": 29},
)
# Incoming contacts per caller number; like the heat map, without the agent (whose answered
# calls would multiply the rows per number) and with it for reports filtered by agent. The
# number leads the key, so that a (day, number) is one index seek (derived.py).
CALLERS = Spec(
    name="callers",
    table="an_callers",
    dims=("number", "department", "queue", "type"),
    counters=("contacts", "answered", "missed"),
    grains=("h", "d", "m", "y"),
    rows={"h": 80, "d": 1400, "m": 30000, "y": 70000},
)
CALLERS_AGENT = Spec(
    name="callers_agent",
    table="an_callers_agent",
    dims=("number", *FILTER_DIMS),
    counters=("contacts", "answered", "missed"),
    grains=("h", "d", "m", "y"),
    rows={"h": 80, "d": 1425, "m": 41000, "y": 177000},
)
SPECS: dict[str, Spec] = {s.name: s for s in (CALLS, PEAK, PEAK_AGENT, IVR, CALLERS, CALLERS_AGENT)}
