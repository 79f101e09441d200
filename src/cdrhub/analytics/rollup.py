"""Keep the rollups exact: add a leg's facts (or subtract a revised leg's old ones) at every
grain, inside the caller's transaction. Deltas are summed in memory first, so a batch of legs
costs one upsert per distinct rollup row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from cdrhub.analytics.config import AnalyticsSettings
from cdrhub.analytics.derived import refresh_numbers
from cdrhub.analytics.facts import LegFacts, leg_facts
from cdrhub.analytics.specs import CALLERS, SPECS
from cdrhub.analytics.stored import as_stored, stored_leg
from cdrhub.analytics.tables import ROLLUPS, names
from cdrhub.calls.model import CallLeg
from cdrhub.store.bulk import OnConflict, insert_rows

Key = tuple[str, str, datetime, tuple[Any, ...]]  # (spec, grain, period, dims)
_GRAINS = ("h", "d", "m", "y")


def period_start(hour: datetime, grain: str) -> datetime:
    if grain == "h":
        return hour
    day = hour.replace(hour=0)
    if grain == "d":
        return day
    return day.replace(day=1) if grain == "m" else day.replace(month=1, day=1)


class Deltas:
    """Summed rollup deltas and the latest display names, ready to write."""

    def __init__(self) -> None:
        self.rows: dict[Key, list[int]] = {}
        self.names: dict[tuple[str, str], str] = {}

    def add(self, facts: LegFacts | None, sign: int = 1) -> None:
        if facts is None:
            return
        periods = {grain: period_start(facts.hour, grain) for grain in _GRAINS}
        for fact in facts.facts:
            for grain in SPECS[fact.spec].grains:
                key = (fact.spec, grain, periods[grain], fact.dims)
                current = self.rows.get(key)
                if current is None:
                    self.rows[key] = [sign * v for v in fact.counters]
                else:
                    for i, v in enumerate(fact.counters):
                        current[i] += sign * v
        if sign > 0:
            for kind, code, name in facts.names:
                self.names[(kind, code)] = name

    def add_leg(
        self, leg: CallLeg | Mapping[str, Any], tz: ZoneInfo, cfg: AnalyticsSettings, sign: int = 1
    ) -> None:
        """Add a leg as the database keeps it (see stored.py): a CallLeg, or its stored row."""
        stored = stored_leg(leg) if isinstance(leg, Mapping) else as_stored(leg)
        self.add(leg_facts(stored, tz, cfg), sign)

    def write(self, conn: Connection) -> None:
        write_deltas(conn, self)
        self.rows.clear()
        self.names.clear()


@cache
def _adding(spec_name: str) -> OnConflict:
    """A rollup row that exists gets the counters added."""
    spec = SPECS[spec_name]
    return OnConflict(key=("grain", "period", *spec.dims), add=tuple(spec.counters))


_NAME_CHANGES = OnConflict(key=("kind", "code"), set=("name",))


def write_deltas(conn: Connection, deltas: Deltas) -> None:
    by_spec: dict[str, list[tuple[Any, ...]]] = {}
    for (spec_name, grain, period, dims), counters in deltas.rows.items():
        if any(counters):
            by_spec.setdefault(spec_name, []).append((grain, period, *dims, *counters))
    for spec_name, rows in sorted(by_spec.items()):
        spec, table = SPECS[spec_name], ROLLUPS[spec_name]
        columns = ["grain", "period", *spec.dims, *spec.counters]
        rows.sort(key=lambda r: (r[0], r[1]))  # a stable lock order on PostgreSQL
        insert_rows(conn, table, columns, rows, on_conflict=_adding(spec_name))
    days: set[tuple[datetime, str]] = set()
    missed_changed: set[tuple[datetime, str]] = set()
    for (spec_name, grain, period, dims), counters in deltas.rows.items():
        if spec_name == CALLERS.name and grain == "d":
            days.add((period, dims[0]))
            if counters[2]:  # missed
                missed_changed.add((period, dims[0]))
    if days:
        refresh_numbers(conn, sorted(days), missed_changed)
    if deltas.names:
        insert_rows(
            conn,
            names,
            ("kind", "code", "name"),
            [(k, c, n.replace("\x00", "")[:255]) for (k, c), n in sorted(deltas.names.items())],
            on_conflict=_NAME_CHANGES,
        )


def apply_legs(
    conn: Connection,
    changes: Iterable[
        tuple[CallLeg | Mapping[str, Any] | None, CallLeg | Mapping[str, Any] | None]
    ],
    tz: ZoneInfo,
    cfg: AnalyticsSettings,
) -> None:
    """Apply (previous, current) pairs, each a CallLeg or its stored row (`leg_to_row`):
    previous is subtracted, current added."""
    deltas = Deltas()
    for previous, current in changes:
        if previous is not None:
            deltas.add_leg(previous, tz, cfg, -1)
        if current is not None:
            deltas.add_leg(current, tz, cfg, 1)
    deltas.write(conn)
