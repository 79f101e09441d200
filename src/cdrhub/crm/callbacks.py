"""Callback items for a number, read from the automations domain's `callback_items` table.

Automations owns the table and its life cycle (opened by a missed contact, closed as returned,
reached or by hand); the timeline only reads it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cdrhub.automations.tables import callback_items as items
from cdrhub.timefmt import iso_utc_or_value

_FIELDS = (
    "id",
    "status",
    "opened_at",
    "last_missed_at",
    "missed_count",
    "first_ivruniqueid",
    "last_ivruniqueid",
    "queue_name",
    "assigned_to",
    "closed_at",
    "closed_by_ivruniqueid",
    "closed_by_agent",
    "note",
)


def callback_items(conn: Connection, e164: str) -> list[dict[str, Any]]:
    """The number's callback items, newest first (open ones and the closed history)."""
    query = (
        select(*(items.c[name] for name in _FIELDS))
        .where(items.c.customer_number == e164)
        .order_by(items.c.opened_at.desc(), items.c.id.desc())
    )
    return [
        {k: iso_utc_or_value(v) for k, v in row.items()} for row in conn.execute(query).mappings()
    ]
