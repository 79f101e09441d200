"""The legs repository: idempotent save keyed on `ivruniqueid`, and reads back to CallLeg."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import BigInteger, Connection, Integer, RowMapping, bindparam, select, update

from cdrhub.calls.model import CallLeg, IvrStep
from cdrhub.calls.values import clean_text
from cdrhub.store.bulk import OnConflict, insert_rows
from cdrhub.store.schema import leg_versions, legs

# CallLeg fields stored in a column of the same name.
_COLUMN_FIELDS = tuple(
    f.name for f in fields(CallLeg) if f.name not in {"ivr", "unknown_fields", "raw"}
)


_LEG_FIELDS = tuple(f.name for f in fields(CallLeg) if f.name != "raw")


def _hashable(value: Any) -> Any:
    """`json.dumps` default for the leg's values that JSON has no form of."""
    if isinstance(value, IvrStep):
        return [value.layer_id, value.layer_name, value.layer_number, value.dtmf, value.order]
    return str(value)  # datetimes


def content_hash(leg: CallLeg) -> str:
    """Hash of what the CDR says, so a redelivery in another spelling is still a duplicate.

    The leg's fields in declaration order, then the unknown wire fields; nested mappings with
    sorted keys, so the order a payload listed them in does not count."""
    values: list[Any] = [getattr(leg, name) for name in _LEG_FIELDS]
    raw = leg.raw
    values.append({k: raw[k] for k in leg.unknown_fields if k in raw})
    try:
        blob = json.dumps(values, sort_keys=True, default=_hashable, ensure_ascii=False)
    except TypeError:  # mapping keys of mixed types cannot be sorted
        blob = json.dumps(values, default=_hashable, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _int_limit(column_type: Any) -> int:
    return 2**63 - 1 if isinstance(column_type, BigInteger) else 2**31 - 1


_LENGTHS = {c.name: getattr(c.type, "length", None) for c in legs.c}
# integer columns only: a JSON column holds any number
_INT_LIMITS = {c.name: _int_limit(c.type) for c in legs.c if isinstance(c.type, Integer)}


def _storable(row: dict[str, Any]) -> dict[str, Any]:
    """Fit each value to its column, so that no CDR, however odd, makes storage fail and turn
    into endless retries: long text is cut, out-of-range numbers become NULL (normalization
    already fits a CDR's values, and makes its JSON values storable: `json_safe`, which is not
    run again here). Never the key: a cut `ivruniqueid` would be another leg's, so a leg whose
    key does not fit is refused."""
    key_length = _LENGTHS["ivruniqueid"]  # the schema gives it one
    if key_length is not None and len(row["ivruniqueid"]) > key_length:
        raise ValueError(f"ivruniqueid longer than {key_length} characters")
    for name, value in row.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = clean_text(value)
            length = _LENGTHS[name]
            row[name] = value[:length] if length else value
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and name in _INT_LIMITS:
            limit = _INT_LIMITS[name]
            row[name] = value if -limit <= value <= limit else None
        elif isinstance(value, float) and not math.isfinite(value):
            row[name] = None
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


SaveKind = Literal["new", "revised", "duplicate"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A normalized leg and how it reached us."""

    leg: CallLeg
    encoding: str  # json | xmlrpc | form | query | import | backfill
    raw_body: bytes | None = None
    # When its delivery arrived, if not the `received_at` of the save: one save may hold the
    # legs of many deliveries (the ingest writer's batch).
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredLeg:
    """A leg as saving it turned out: what the domains' hooks see (`pipeline`)."""

    id: int
    kind: SaveKind
    leg: CallLeg
    previous: CallLeg | None  # the content before a revision, None otherwise
    received_at: datetime
    content_hash: str | None = None  # of `leg`, as the legs repository computed it; None: unknown
    row: Mapping[str, Any] | None = None  # `leg` as stored (cut to its columns); None: unknown


def _meta(item: Incoming, digest: str, received_at: datetime) -> dict[str, Any]:
    return {
        "raw_body": item.raw_body,
        "encoding": item.encoding,
        "content_hash": digest,
        "last_received_at": received_at,
    }


def save_legs(
    conn: Connection, items: Sequence[Incoming], received_at: datetime, *, bulk: bool = False
) -> list[StoredLeg]:
    """Insert legs, count redeliveries, or revise legs keeping the earlier version; results in
    the order of `items`, as if each had been saved alone in that order. An item's own
    `received_at`, when set, is the time of its delivery; `received_at` is that of the others.

    The one way legs are stored, for a webhook delivery of one leg as for an import of
    thousands: the first leg of each id goes into one multi-row `INSERT ... ON CONFLICT DO
    NOTHING` (COPY for many, `store.bulk`); of the others, the first of each id whose content
    is the stored one is counted as a redelivery with the rest of them in one UPDATE, and
    what is left (revisions, later legs of an id) goes one by one, in order, through
    `_save_existing`.

    `bulk` (an import, where many legs may be stored already: the same file again): the ids
    are looked up before the insert, which then takes only the legs not stored, and a
    redelivery's `StoredLeg.row` is None (not worked out: no hook sees a redelivery)."""
    digests = [content_hash(item.leg) for item in items]
    ats = [item.received_at or received_at for item in items]
    rows: list[dict[str, Any] | None] = [None] * len(items)
    firsts: dict[str, int] = {}  # id: the index of its first item
    for index, item in enumerate(items):
        firsts.setdefault(item.leg.ivruniqueid, index)
        if not bulk:
            rows[index] = leg_to_row(item.leg)
    stored = _stored(conn, list(firsts)) if bulk else {}
    fresh = [index for key, index in firsts.items() if key not in stored]
    new_ids: dict[str, int] = {}
    if fresh:
        for index in fresh:
            if rows[index] is None:
                rows[index] = leg_to_row(items[index].leg)
        records = [
            {
                **cast(dict[str, Any], rows[i]), **_meta(items[i], digests[i], ats[i]),
                "revision": 1, "deliveries": 1, "first_received_at": ats[i],
            }
            for i in fresh
        ]  # fmt: skip
        columns = list(records[0])
        inserted = insert_rows(
            conn,
            legs,
            columns,
            [[record[c] for c in columns] for record in records],
            on_conflict=_BY_KEY,
            returning=("id", "ivruniqueid"),
        )
        new_ids = {key: id_ for id_, key in inserted}
    saved: list[StoredLeg | None] = []
    rest: list[int] = []  # indexes of the items not inserted
    for index, item in enumerate(items):
        leg_id = new_ids.pop(item.leg.ivruniqueid, None)
        if leg_id is not None:
            row = rows[index]
            saved.append(StoredLeg(leg_id, "new", item.leg, None, ats[index], digests[index], row))
        else:
            saved.append(None)
            rest.append(index)
    if rest:
        first_of_id: dict[str, int] = {}
        for index in rest:
            first_of_id.setdefault(items[index].leg.ivruniqueid, index)
        unknown = [key for key in first_of_id if key not in stored]
        if unknown:
            stored.update(_stored(conn, unknown))
        redelivered: list[dict[str, Any]] = []
        for key, index in first_of_id.items():
            found = stored.get(key)  # None: gone meanwhile, which `_save_existing` reports
            if found is not None and found[1] == digests[index]:
                item, at = items[index], ats[index]
                redelivered.append({"b_id": found[0], "b_at": at})
                saved[index] = StoredLeg(
                    found[0], "duplicate", item.leg, None, at, digests[index], rows[index]
                )
        if redelivered:
            conn.execute(_REDELIVERED, redelivered)
    for index in rest:
        if saved[index] is None:
            row = rows[index]
            if row is None:
                row = rows[index] = leg_to_row(items[index].leg)
            saved[index] = _save_existing(conn, items[index], digests[index], row, ats[index])
    return [s for s in saved if s is not None]


_BY_KEY = OnConflict(key=("ivruniqueid",))
# Ids in one `IN (...)`: SQLite builds before 3.32 take 999 variables.
_LOOKUP_CHUNK = 900
_REDELIVERED = (
    update(legs)
    .where(legs.c.id == bindparam("b_id"))
    .values(deliveries=legs.c.deliveries + 1, last_received_at=bindparam("b_at"))
)


def _stored(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """(id, content hash) of each of `ids` that is stored; the rows locked on PostgreSQL, as
    `_save_existing` locks its row, so that no revision comes between the comparison of a
    redelivery's content and the count of it."""
    stored: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        query = select(legs.c.id, legs.c.ivruniqueid, legs.c.content_hash).where(
            legs.c.ivruniqueid.in_(ids[start : start + _LOOKUP_CHUNK])
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        for found in conn.execute(query):
            stored[str(found.ivruniqueid)] = (int(found.id), str(found.content_hash))
    return stored


def _save_existing(
    conn: Connection, item: Incoming, digest: str, row: dict[str, Any], received_at: datetime
) -> StoredLeg:
    query = select(legs).where(legs.c.ivruniqueid == item.leg.ivruniqueid)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    existing = conn.execute(query).mappings().one()
    if existing["content_hash"] == digest:
        conn.execute(
            update(legs)
            .where(legs.c.id == existing["id"])
            .values(deliveries=legs.c.deliveries + 1, last_received_at=received_at)
        )
        return StoredLeg(existing["id"], "duplicate", item.leg, None, received_at, digest, row)

    conn.execute(
        leg_versions.insert().values(
            ivruniqueid=item.leg.ivruniqueid,
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
            **_meta(item, digest, received_at),
            revision=existing["revision"] + 1,
            deliveries=existing["deliveries"] + 1,
        )
    )
    previous = row_to_leg(existing)
    return StoredLeg(existing["id"], "revised", item.leg, previous, received_at, digest, row)


def save_leg(
    conn: Connection,
    leg: CallLeg,
    *,
    encoding: str,
    raw_body: bytes | None,
    received_at: datetime,
) -> StoredLeg:
    """`save_legs` for one leg."""
    return save_legs(conn, [Incoming(leg, encoding, raw_body)], received_at)[0]


def get_leg_row(conn: Connection, ivruniqueid: str) -> RowMapping | None:
    return conn.execute(select(legs).where(legs.c.ivruniqueid == ivruniqueid)).mappings().first()


def get_leg(conn: Connection, ivruniqueid: str) -> CallLeg | None:
    row = get_leg_row(conn, ivruniqueid)
    return row_to_leg(row) if row is not None else None
