"""The legs repository: idempotent save keyed on `ivruniqueid`, and reads back to CallLeg."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, RowMapping, select, update

from cdrhub.calls.model import CallLeg, IvrStep
from cdrhub.calls.values import clean_text, json_safe
from cdrhub.store.dml import insert_ignoring
from cdrhub.store.schema import leg_versions, legs

# CallLeg fields stored in a column of the same name.
_COLUMN_FIELDS = tuple(
    f.name for f in fields(CallLeg) if f.name not in {"ivr", "unknown_fields", "raw"}
)


_LEG_FIELDS = tuple(f.name for f in fields(CallLeg) if f.name != "raw")


def _plain(value: Any) -> Any:
    """What `dataclasses.asdict` makes of a value, as far as `json.dumps` can tell, without
    asdict's deep copies (which cost more than the rest of the hash)."""
    if isinstance(value, IvrStep):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def content_hash(leg: CallLeg) -> str:
    """Hash of what the CDR says, so a redelivery in another spelling is still a duplicate."""
    data = {name: _plain(getattr(leg, name)) for name in _LEG_FIELDS}
    raw = leg.raw
    data["unknown"] = {k: raw[k] for k in leg.unknown_fields if k in raw}
    blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _int_limit(column_type: Any) -> int:
    return 2**63 - 1 if isinstance(column_type, BigInteger) else 2**31 - 1


_LENGTHS = {c.name: getattr(c.type, "length", None) for c in legs.c}
_INT_LIMITS = {c.name: _int_limit(c.type) for c in legs.c}


def _storable(row: dict[str, Any]) -> dict[str, Any]:
    """Fit each value to its column, so that no CDR, however odd, makes storage fail and turn
    into endless retries: long text is cut, out-of-range numbers become NULL."""
    for name, value in row.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = clean_text(value)
            length = _LENGTHS[name]
            row[name] = value[:length] if length else value
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            limit = _INT_LIMITS[name]
            row[name] = value if -limit <= value <= limit else None
        elif isinstance(value, float) and not math.isfinite(value):
            row[name] = None
        elif isinstance(value, (dict, list)):
            row[name] = json_safe(value)
    return row


def leg_to_row(leg: CallLeg) -> dict[str, Any]:
    row = {name: getattr(leg, name) for name in _COLUMN_FIELDS}
    row["ivr"] = [
        {
            "layer_id": s.layer_id,
            "layer_name": s.layer_name,
            "layer_number": s.layer_number,
            "dtmf": s.dtmf,
            "order": s.order,
        }
        for s in leg.ivr
    ]
    row["unknown_fields"] = list(leg.unknown_fields)
    row["raw"] = leg.raw
    return _storable(row)


def row_to_leg(row: RowMapping) -> CallLeg:
    values = {name: row[name] for name in _COLUMN_FIELDS}
    steps = tuple(IvrStep(**s) for s in (row["ivr"] or []))
    return CallLeg(
        **values,
        ivr=steps,
        unknown_fields=tuple(row["unknown_fields"] or ()),
        raw=row["raw"],
    )


def _insert_ignoring_conflict(conn: Connection, values: dict[str, Any]) -> int | None:
    stmt = insert_ignoring(conn, legs, ("ivruniqueid",), returning=legs.c.id)
    return conn.execute(stmt, values).scalar()


def save_leg(
    conn: Connection,
    leg: CallLeg,
    *,
    encoding: str,
    raw_body: bytes | None,
    received_at: datetime,
    digest: str | None = None,
) -> tuple[int, str, CallLeg | None]:
    """Insert a leg, count a redelivery, or revise it keeping the earlier version.

    Returns (leg id, "new" | "duplicate" | "revised", the previous content when revised).
    `digest` is `content_hash(leg)` when the caller has it already.
    """
    if digest is None:
        digest = content_hash(leg)
    row = leg_to_row(leg)
    meta = {
        "raw_body": raw_body,
        "encoding": encoding,
        "content_hash": digest,
        "last_received_at": received_at,
    }
    new_id = _insert_ignoring_conflict(
        conn, {**row, **meta, "revision": 1, "deliveries": 1, "first_received_at": received_at}
    )
    if new_id is not None:
        return new_id, "new", None

    query = select(legs).where(legs.c.ivruniqueid == leg.ivruniqueid)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    existing = conn.execute(query).mappings().one()
    if existing["content_hash"] == digest:
        conn.execute(
            update(legs)
            .where(legs.c.id == existing["id"])
            .values(deliveries=legs.c.deliveries + 1, last_received_at=received_at)
        )
        return existing["id"], "duplicate", None

    conn.execute(
        leg_versions.insert().values(
            ivruniqueid=leg.ivruniqueid,
            revision=existing["revision"],
            raw=existing["raw"],
            encoding=existing["encoding"],
            content_hash=existing["content_hash"],
            received_at=existing["last_received_at"],
            replaced_at=received_at,
        )
    )
    conn.execute(
        update(legs)
        .where(legs.c.id == existing["id"])
        .values(
            **row,
            **meta,
            revision=existing["revision"] + 1,
            deliveries=existing["deliveries"] + 1,
        )
    )
    return existing["id"], "revised", row_to_leg(existing)


def get_leg_row(conn: Connection, ivruniqueid: str) -> RowMapping | None:
    return conn.execute(select(legs).where(legs.c.ivruniqueid == ivruniqueid)).mappings().first()


def get_leg(conn: Connection, ivruniqueid: str) -> CallLeg | None:
    row = get_leg_row(conn, ivruniqueid)
    return row_to_leg(row) if row is not None else None
