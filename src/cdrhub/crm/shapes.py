"""What the CRM API answers, for OpenAPI (the routes return plain dicts; FastAPI does not
filter them through these). Times are UTC in ISO form with a `Z`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ContactPhone(BaseModel):
    e164: str
    raw: str  # as written


class Contact(BaseModel):
    id: int
    name: str | None
    company: str | None
    email: str | None
    phones: list[ContactPhone]
    external_ids: dict[str, str]  # system -> id
    created_at: str
    updated_at: str


class ContactSaved(BaseModel):
    created: bool
    contact: Contact


class ContactList(BaseModel):
    contacts: list[Contact]


class Timeline(BaseModel):
    """A number's calls, newest first; a call's fields are listed in docs/crm.md."""

    phone: str
    contacts: list[Contact]
    calls: list[dict[str, Any]]
    callbacks: list[dict[str, Any]]
    next_before: str | None  # pass as `before` for the next page; null on the last


class EmbedLink(BaseModel):
    phone: str
    path: str
    url: str
    expires_at: str
