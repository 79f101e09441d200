"""Contacts: name, company, phones (kept as written and as E.164) and external CRM ids.

Saving is an upsert: a contact that shares an external id or a phone number with an existing
one updates it (fields given win, phones and ids are merged), so a CSV can be imported again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update

from cdrhub.calls.phones import to_e164
from cdrhub.crm.tables import contact_external_ids, contact_phones, contacts


class ContactError(ValueError):
    """The contact cannot be saved (no valid phone, ...)."""


@dataclass(frozen=True)
class ContactInput:
    name: str | None = None
    company: str | None = None
    email: str | None = None
    phones: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=dict)


def phone_pairs(phones: Iterable[str], region: str) -> list[tuple[str, str]]:
    """(E.164, as written) for each valid phone, first spelling of each number kept."""
    seen: dict[str, str] = {}
    for raw in phones:
        raw = (raw or "").strip()
        e164 = to_e164(raw, region)
        if e164 and e164 not in seen:
            seen[e164] = raw
    return list(seen.items())


def _contact_ids_matching(
    conn: Connection, numbers: Sequence[str], external_ids: Mapping[str, str]
) -> list[int]:
    found: set[int] = set()
    for system, value in external_ids.items():
        query = select(contact_external_ids.c.contact_id).where(
            contact_external_ids.c.system == system, contact_external_ids.c.external_id == value
        )
        found.update(conn.execute(query).scalars())
    if numbers:
        query = select(contact_phones.c.contact_id).where(contact_phones.c.phone_e164.in_(numbers))
        found.update(conn.execute(query).scalars())
    return sorted(found)


def _check_fits(data: ContactInput) -> None:
    """Refuse what the columns (crm/tables.py) cannot hold, before anything is written:
    PostgreSQL fails a too-long value or a NUL character, and with it the whole import."""
    texts = [data.name, data.company, data.email, *data.phones]
    texts += [str(t) for pair in data.external_ids.items() for t in pair]
    if any(t and "\x00" in t for t in texts):
        raise ContactError("NUL characters are not accepted")
    for field_, value in (("name", data.name), ("company", data.company), ("email", data.email)):
        if value and len(value) > 255:
            raise ContactError(f"{field_} is longer than 255 characters")
    if any(len((p or "").strip()) > 64 for p in data.phones):
        raise ContactError("a phone number is longer than 64 characters")
    for system, value in data.external_ids.items():
        if len(str(system).strip()) > 32 or len(str(value).strip()) > 128:
            raise ContactError("an external id is longer than 128 characters (its CRM's name, 32)")


def save_contact(
    conn: Connection, data: ContactInput, *, region: str, now: datetime
) -> tuple[int, bool]:
    """Create or update a contact; returns (id, created)."""
    _check_fits(data)
    pairs = phone_pairs(data.phones, region)
    if data.phones and not pairs:
        raise ContactError(f"no valid phone number in {list(data.phones)}")
    external = {
        str(k).strip().lower(): str(v).strip()
        for k, v in data.external_ids.items()
        if v not in (None, "") and str(k).strip()
    }
    if not pairs and not external:
        raise ContactError("a contact needs a phone number or an external id")
    matches = _contact_ids_matching(conn, [e for e, _ in pairs], external)
    if matches:
        contact_id = matches[0]
        fields = (("name", data.name), ("company", data.company), ("email", data.email))
        changes: dict[str, Any] = {k: v for k, v in fields if v}
        conn.execute(
            update(contacts).where(contacts.c.id == contact_id).values(**changes, updated_at=now)
        )
        created = False
    else:
        contact_id = conn.execute(
            contacts.insert()
            .values(
                name=data.name,
                company=data.company,
                email=data.email,
                created_at=now,
                updated_at=now,
            )
            .returning(contacts.c.id)
        ).scalar_one()
        created = True
    existing: set[str] = set(
        conn.execute(
            select(contact_phones.c.phone_e164).where(contact_phones.c.contact_id == contact_id)
        ).scalars()
    )
    for e164, raw in pairs:
        if e164 not in existing:
            conn.execute(
                contact_phones.insert().values(
                    contact_id=contact_id, phone_e164=e164, phone_raw=raw
                )
            )
    _set_external_ids(conn, contact_id, external)
    return contact_id, created


def _set_external_ids(conn: Connection, contact_id: int, external: Mapping[str, str]) -> None:
    for system, value in external.items():
        conn.execute(
            delete(contact_external_ids).where(
                contact_external_ids.c.contact_id == contact_id,
                contact_external_ids.c.system == system,
            )
        )
        conn.execute(
            delete(contact_external_ids).where(
                contact_external_ids.c.system == system,
                contact_external_ids.c.external_id == value,
            )
        )
        conn.execute(
            contact_external_ids.insert().values(
                contact_id=contact_id, system=system, external_id=value
            )
        )


def _with_phones(
    conn: Connection, rows: Sequence[Mapping[str, Any] | RowMapping]
) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    phones: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
    external: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        query = (
            select(contact_phones)
            .where(contact_phones.c.contact_id.in_(ids))
            .order_by(contact_phones.c.id)
        )
        for p in conn.execute(query).mappings():
            phones[p["contact_id"]].append({"e164": p["phone_e164"], "raw": p["phone_raw"]})
        query = select(contact_external_ids).where(contact_external_ids.c.contact_id.in_(ids))
        for x in conn.execute(query).mappings():
            external[x["contact_id"]][x["system"]] = x["external_id"]
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "company": r["company"],
            "email": r["email"],
            "phones": phones[r["id"]],
            "external_ids": external[r["id"]],
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        }
        for r in rows
    ]


def get_contact(conn: Connection, contact_id: int) -> dict[str, Any] | None:
    rows = conn.execute(select(contacts).where(contacts.c.id == contact_id)).mappings().all()
    return _with_phones(conn, rows)[0] if rows else None


def contacts_for_phone(conn: Connection, e164: str) -> list[dict[str, Any]]:
    ids = select(contact_phones.c.contact_id).where(contact_phones.c.phone_e164 == e164)
    query = select(contacts).where(contacts.c.id.in_(ids)).order_by(contacts.c.id)
    return _with_phones(conn, conn.execute(query).mappings().all())


def list_contacts(conn: Connection, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    query = select(contacts).order_by(contacts.c.id).limit(limit).offset(offset)
    return _with_phones(conn, conn.execute(query).mappings().all())


def delete_contact(conn: Connection, contact_id: int) -> bool:
    conn.execute(delete(contact_phones).where(contact_phones.c.contact_id == contact_id))
    conn.execute(
        delete(contact_external_ids).where(contact_external_ids.c.contact_id == contact_id)
    )
    return conn.execute(delete(contacts).where(contacts.c.id == contact_id)).rowcount > 0
