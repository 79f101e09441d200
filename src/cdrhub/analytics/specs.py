"""The rollups: which dimensions and additive counters each keeps, and at which grains.

A rollup row is keyed by (grain, period, dimensions) where `period` is the local start of the
hour (`h`), day (`d`) or month (`m`) the legs started in. Every leg is added at every grain of a
spec, so any range is served by a few months, a few days and a few hours. Counters are additive
integers: a revised leg subtracts its previous facts and adds its new ones, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

FILTER_DIMS = ("department", "queue", "agent", "type")
WAIT_EDGES = (10, 20, 30, 60, 120)  # buckets 0-10, 10-20, 20-30, 30-60, 60-120, 120+
WAIT_LABELS = ("0-10", "10-20", "20-30", "30-60", "60-120", "120+")


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    table: str
    dims: tuple[str, ...]  # all strings ("" = none) except those in int_dims
    counters: tuple[str, ...]
    grains: tuple[str, ...]  # subset of ("h", "d", "m")
    int_dims: tuple[str, ...] = ()


CALLS = Spec(
    name="calls",
    table="an_calls",
    dims=(*FILTER_DIMS, "direction", "country"),
    counters=(
        "legs", "contacts", "answered", "voicemail", "abandoned", "short_abandoned", "missed",
        "sl_met", "wait_answered", "talk", "cost_milli",
        *(f"wa{i}" for i in range(6)), *(f"wb{i}" for i in range(6)),
    ),
    grains=("h", "d", "m"),
)  # fmt: skip
PEAK = Spec(
    name="peak",
    table="an_peak",
    dims=(*FILTER_DIMS, "weekday", "hour"),
    counters=("contacts", "answered", "abandoned"),
    grains=("h", "m"),
    int_dims=("weekday", "hour"),
)
IVR = Spec(
    name="ivr",
    table="an_ivr",
    dims=(*FILTER_DIMS, "layer", "layer_number", "dtmf"),
    counters=("visits", "reached", "hangups"),
    grains=("h", "d", "m"),
)
CALLERS = Spec(
    name="callers",
    table="an_callers",
    dims=(*FILTER_DIMS, "number"),
    counters=("contacts", "answered", "missed"),
    grains=("h", "d"),
)
SPECS: dict[str, Spec] = {s.name: s for s in (CALLS, PEAK, IVR, CALLERS)}
