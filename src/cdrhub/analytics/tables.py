"""Analytics tables on the shared metadata: one rollup table per spec, and display names.

Dimensions are NOT NULL ("" = none) so that the unique key works as the upsert target on both
engines (NULLs never conflict). Migration: store/migrations/versions/0002_analytics.py.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table

from cdrhub.analytics.specs import SPECS, Spec
from cdrhub.store.schema import metadata


def _rollup_table(spec: Spec) -> Table:
    dims = [
        Column(d, Integer if d in spec.int_dims else String(128), nullable=False) for d in spec.dims
    ]
    counters = [Column(c, BigInteger, nullable=False, default=0) for c in spec.counters]
    return Table(
        spec.table,
        metadata,
        Column("grain", String(1), nullable=False),
        Column("period", DateTime, nullable=False),
        *dims,
        *counters,
        Index(f"ux_{spec.table}_key", "grain", "period", *spec.dims, unique=True),
    )


ROLLUPS: dict[str, Table] = {name: _rollup_table(spec) for name, spec in SPECS.items()}

# (local day, number) pairs with 2+ incoming contacts that day, whatever the filters: kept
# exact by `rollup.refresh_repeaters` from the daily `an_callers` rows, so that the unfiltered
# repeat-callers report reads only the repeats.
repeaters = Table(
    "an_repeaters",
    metadata,
    Column("day", DateTime, primary_key=True),
    Column("number", String(128), primary_key=True),
    Column("contacts", BigInteger, nullable=False),
    Column("answered", BigInteger, nullable=False),
    Column("missed", BigInteger, nullable=False),
    Index("ix_an_repeaters_number", "number"),
)

# (grain d/m/y, period, number) with a missed contact in that day, month or year (derived.py).
missed = Table(
    "an_missed",
    metadata,
    Column("grain", String(1), primary_key=True),
    Column("period", DateTime, primary_key=True),
    Column("number", String(128), primary_key=True),
    Column("missed", BigInteger, nullable=False),
    Index("ix_an_missed_number", "number", "grain", "period"),
)

names = Table(
    "an_names",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("code", String(128), primary_key=True),
    Column("name", String(255), nullable=False),
)
