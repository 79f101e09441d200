"""Legs as the database keeps them: facts are always computed from this form, so that the
ingest hook (which sees the leg before it is stored) and a read of the legs (raw edges,
rebuild) count exactly the same values, even where storage had to cut a long text or drop an
out-of-range number."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import RowMapping

from cdrhub.calls.model import CallLeg, IvrStep
from cdrhub.store.legs import leg_to_row

# What the facts read: everything but the raw payload, AI data and custom data.
FACT_FIELDS = tuple(
    f.name for f in fields(CallLeg) if f.name not in {"raw", "ai_data", "custom_data", "ivr_raw"}
)


def stored_leg(row: Mapping[str, Any] | RowMapping) -> CallLeg:
    """A CallLeg from a legs row (or `leg_to_row`'s dict), without the payload fields."""
    values = {name: row[name] for name in FACT_FIELDS}
    values["ivr"] = tuple(IvrStep(**s) for s in (row["ivr"] or []))
    values["unknown_fields"] = tuple(row["unknown_fields"] or ())
    return CallLeg(**values, raw={})


def as_stored(leg: CallLeg) -> CallLeg:
    return stored_leg(leg_to_row(leg))
