"""CRM: contacts and their phones, archived recordings, links to records pushed to CRMs.

Revision ID: 0004_crm
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_crm"
down_revision = "0001_core"
branch_labels = ("crm",)
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_contacts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255)),
        sa.Column("company", sa.String(255)),
        sa.Column("email", sa.String(255)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "crm_contact_phones",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "contact_id",
            Id,
            sa.ForeignKey("crm_contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("phone_e164", sa.String(32), nullable=False),
        sa.Column("phone_raw", sa.String(64), nullable=False),
        sa.UniqueConstraint("contact_id", "phone_e164", name="uq_crm_contact_phone"),
    )
    op.create_index("ix_crm_contact_phones_e164", "crm_contact_phones", ["phone_e164"])
    op.create_table(
        "crm_contact_external_ids",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "contact_id",
            Id,
            sa.ForeignKey("crm_contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("system", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.UniqueConstraint("system", "external_id", name="uq_crm_contact_external_id"),
    )
    op.create_index(
        "ix_crm_contact_external_ids_contact", "crm_contact_external_ids", ["contact_id"]
    )
    op.create_table(
        "crm_recordings",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("ivruniqueid", sa.String(128), nullable=False, unique=True),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("storage", sa.String(16)),
        sa.Column("object_key", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content_type", sa.String(64)),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.Column("call_started_at", sa.DateTime),
        sa.Column("archived_at", sa.DateTime),
        sa.Column("pruned_at", sa.DateTime),
    )
    op.create_index("ix_crm_recordings_started", "crm_recordings", ["call_started_at"])
    op.create_table(
        "crm_links",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("ivruniqueid", sa.String(128), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=False),
        sa.Column("remote_contact_id", sa.String(128)),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("connector", "ivruniqueid", name="uq_crm_links"),
    )


def downgrade() -> None:
    for name in (
        "crm_links",
        "crm_recordings",
        "crm_contact_external_ids",
        "crm_contact_phones",
        "crm_contacts",
    ):
        op.drop_table(name)
