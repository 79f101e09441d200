"""Contacts from CSV, as CRMs and spreadsheets export them.

Headers are matched loosely (case, spaces, dashes): `name` (or `first name` + `last name`),
`company` / `organization`, `email`; every column whose header mentions phone, mobile, tel or
cell is a phone column, and one cell may hold several numbers separated by `;` or `|`;
`<system> id` columns (`hubspot_id`, `pipedrive id`) and `external_id:<system>` are external CRM
ids. A semicolon-delimited file (Excel in many locales) is detected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from cdrhub.crm.contacts import ContactError, ContactInput, save_contact
from cdrhub.store.engine import write_transaction

_SQUASH = re.compile(r"[\s\-]+")
_PHONE_WORDS = ("phone", "mobile", "tel", "cell", "whatsapp")
_SPLIT = re.compile(r"[;|\n]+")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    errors: tuple[tuple[int, str], ...]  # (line number, reason)


def _key(header: str) -> str:
    return _SQUASH.sub("_", header.strip().lower())


def _external_system(key: str) -> str | None:
    if key.startswith("external_id:"):
        return key.split(":", 1)[1] or None
    if key.endswith("_id") and key not in ("id", "contact_id", "email_id"):
        return key[: -len("_id")]
    return None


def parse_contacts_csv(text: str) -> tuple[list[tuple[int, ContactInput]], list[tuple[int, str]]]:
    """(line number, contact) for each usable row, and (line number, reason) for the rest."""
    text = text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows: list[tuple[int, ContactInput]] = []
    errors: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        values = {_key(k): (v or "").strip() for k, v in row.items() if k is not None}
        phones: list[str] = []
        external: dict[str, str] = {}
        for key, value in values.items():
            if not value:
                continue
            if any(word in key for word in _PHONE_WORDS):
                phones.extend(p.strip() for p in _SPLIT.split(value) if p.strip())
            elif system := _external_system(key):
                external[system] = value
        name = (
            values.get("name")
            or values.get("full_name")
            or " ".join(v for v in (values.get("first_name"), values.get("last_name")) if v)
        )
        if not phones and not external:
            errors.append((line, "no phone number and no external id"))
            continue
        rows.append(
            (
                line,
                ContactInput(
                    name=name or None,
                    company=values.get("company") or values.get("organization") or None,
                    email=values.get("email") or None,
                    phones=tuple(phones),
                    external_ids=external,
                ),
            )
        )
    return rows, errors


def import_contacts(
    engine: Engine,
    text: str,
    *,
    region: str,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Save every usable row (one transaction); rows that cannot be saved are reported.
    `progress` is told the rows done so far and how many there are."""
    rows, errors = parse_contacts_csv(text)
    created = updated = 0
    with write_transaction(engine) as conn:
        for done, (line, contact) in enumerate(rows, 1):
            if progress:
                progress(done, len(rows))
            try:  # save_contact validates before it writes: a rejected row leaves no trace
                _id, was_created = save_contact(conn, contact, region=region, now=now)
            except ContactError as exc:
                errors.append((line, str(exc)))
                continue
            created += was_created
            updated += not was_created
    return ImportResult(created, updated, tuple(sorted(errors)))
