"""Analytics tables on the shared metadata: one rollup table per spec, and display names.

Dimensions are NOT NULL ("" = none) so that the unique key works as the upsert target on both
engines (NULLs never conflict). Migrations: store/migrations/versions/0002_analytics.py,
0006_analytics_numbers.py and 0007_analytics_numbers_missed.py.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, text

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

# Per-number figures that are not additive over numbers (derived.py): for all calls (dim "")
# and per filter dimension value, by day (d), month (m), year (y) and all time (a, period
# ALL_TIME). rep_* sum the days on which the number made 2+ incoming contacts (rep_top: the most
# on one day); missed counts its missed contacts. Rows with rep_days = missed = 0 are not kept.
NUMBER_COUNTERS = ("rep_days", "rep_contacts", "rep_answered", "rep_missed", "rep_top", "missed")
numbers = Table(
    "an_numbers",
    metadata,
    Column("dim", String(16), primary_key=True),
    Column("value", String(128), primary_key=True),
    Column("grain", String(1), primary_key=True),
    Column("period", DateTime, primary_key=True),
    Column("number", String(128), primary_key=True),
    *(Column(c, BigInteger, nullable=False) for c in NUMBER_COUNTERS),
    Index("ix_an_numbers_number", "number", "grain", "period"),
    Index("ix_an_numbers_top", "dim", "value", "grain", "rep_top", "period"),  # customers.py
    # the numbers that missed and how often, read without their rows (an index-only scan on
    # PostgreSQL; migration 0007)
    Index(
        "ix_an_numbers_missed",
        "dim",
        "value",
        "grain",
        "period",
        "number",
        "missed",
        sqlite_where=text("missed > 0"),
        postgresql_where=text("missed > 0"),
    ),
    sqlite_with_rowid=False,  # rows read in key order without a second lookup
)

names = Table(
    "an_names",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("code", String(128), primary_key=True),
    Column("name", String(255), nullable=False),
)
