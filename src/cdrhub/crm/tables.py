"""CRM tables on the shared metadata; migration `0004_crm` creates them. Datetimes are naive UTC."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cdrhub.store.schema import Id, metadata

contacts = Table(
    "crm_contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255)),
    Column("company", String(255)),
    Column("email", String(255)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

contact_phones = Table(
    "crm_contact_phones",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contact_id", Id, ForeignKey("crm_contacts.id", ondelete="CASCADE"), nullable=False),
    Column("phone_e164", String(32), nullable=False),
    Column("phone_raw", String(64), nullable=False),
    UniqueConstraint("contact_id", "phone_e164", name="uq_crm_contact_phone"),
    Index("ix_crm_contact_phones_e164", "phone_e164"),
)

# A contact's id in another system: ("hubspot", "123"), ("pipedrive", "45").
contact_external_ids = Table(
    "crm_contact_external_ids",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contact_id", Id, ForeignKey("crm_contacts.id", ondelete="CASCADE"), nullable=False),
    Column("system", String(32), nullable=False),
    Column("external_id", String(128), nullable=False),
    UniqueConstraint("system", "external_id", name="uq_crm_contact_external_id"),
    Index("ix_crm_contact_external_ids_contact", "contact_id"),
)

# One row per leg with a recording URL: where its archived copy is and what it holds.
recordings = Table(
    "crm_recordings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ivruniqueid", String(128), nullable=False, unique=True),
    Column("source_url", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | archived | failed | pruned
    Column("storage", String(16)),  # local | s3
    Column("object_key", Text),
    Column("sha256", String(64)),
    Column("content_type", String(64)),
    Column("size_bytes", BigInteger),
    Column("error", Text),
    Column("call_started_at", DateTime),
    Column("archived_at", DateTime),
    Column("pruned_at", DateTime),
    Index("ix_crm_recordings_started", "call_started_at"),
)

# What a connector created remotely for a leg, so a redelivery updates instead of duplicating.
links = Table(
    "crm_links",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("connector", String(32), nullable=False),
    Column("ivruniqueid", String(128), nullable=False),
    Column("remote_id", String(128), nullable=False),
    Column("remote_contact_id", String(128)),
    Column("content_hash", String(64)),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("connector", "ivruniqueid", name="uq_crm_links"),
)
