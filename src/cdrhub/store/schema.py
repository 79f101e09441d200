"""Table definitions (SQLAlchemy Core) shared by the repositories.

The migrations in `migrations/versions` create these tables; a change here needs a migration.
Datetimes are naive UTC. Domains that add tables (analytics, automations, crm) define them in
their own `tables.py` on this same `metadata` and add their own migration branch.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# The legs that carry what we do not know, as partial-index conditions per engine (store/
# unknowns.py reads them through these indexes, which hold only those legs).
UNKNOWN_TYPE = "type_key IS NULL"
UNKNOWN_STATUS = {"sqlite": "status_known = 0", "postgresql": "NOT status_known"}
UNKNOWN_FIELDS = {"sqlite": "unknown_fields <> '[]'", "postgresql": "unknown_fields <> '[]'::jsonb"}

# BIGINT keys on PostgreSQL; SQLite only autoincrements a column declared INTEGER.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")

legs = Table(
    "legs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ivruniqueid", String(128), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("type_key", String(64)),
    Column("type_id", Integer),
    Column("direction", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_known", Boolean, nullable=False),
    Column("leg1_status", String(32)),
    Column("started_at", DateTime),
    Column("started_at_local", DateTime),
    Column("time_raw", BigInteger),
    Column("time_mismatch_seconds", Integer),
    Column("caller", String(64)),
    Column("caller_e164", String(32)),
    Column("target", String(64)),
    Column("target_e164", String(32)),
    Column("did", String(64)),
    Column("did_e164", String(32)),
    Column("caller_extension", String(64)),
    Column("caller_extension_name", String(255)),
    Column("target_extension", String(64)),
    Column("target_extension_name", String(255)),
    Column("duration", Integer),
    Column("dialtime", Integer),
    Column("wait_seconds", Integer),
    Column("queue_id", BigInteger),
    Column("queue_name", String(255)),
    Column("agent_code", String(64)),
    Column("agent_name", String(255)),
    Column("representative_code", String(64)),
    Column("representative_name", String(255)),
    Column("department_id", BigInteger),
    Column("department_name", String(255)),
    Column("top_department_id", BigInteger),
    Column("top_department_name", String(255)),
    Column("price_agorot", Float),
    Column("record_url", Text),
    Column("caller_country", String(64)),
    Column("target_country", String(64)),
    Column("original_ivruniqueid", String(128)),
    Column("ivr", Json),
    Column("ivr_raw", Text),
    Column("ai_data", Json),
    Column("custom_data", Json),
    Column("unknown_fields", Json),
    Column("raw", Json, nullable=False),
    Column("raw_body", LargeBinary),
    Column("encoding", String(16), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("revision", Integer, nullable=False, default=1),
    Column("deliveries", Integer, nullable=False, default=1),
    Column("first_received_at", DateTime, nullable=False),
    Column("last_received_at", DateTime, nullable=False),
    Index("ix_legs_started", "started_at", "id"),
    Index("ix_legs_caller_e164_started", "caller_e164", "started_at", "id"),
    Index("ix_legs_target_e164_started", "target_e164", "started_at", "id"),
    *(
        Index(f"ix_legs_{column}_started", column, "started_at", "id")
        for column in (
            "caller",
            "target",
            "did",
            "did_e164",
            "agent_code",
            "representative_code",
            "caller_extension",
            "target_extension",
        )
    ),
    Index("ix_legs_queue", "queue_id"),
    Index("ix_legs_original", "original_ivruniqueid"),
    Index(
        "ix_legs_unknown_type",
        "type",
        "first_received_at",
        "last_received_at",
        sqlite_where=text(UNKNOWN_TYPE),
        postgresql_where=text(UNKNOWN_TYPE),
    ),
    Index(
        "ix_legs_unknown_status",
        "status",
        "first_received_at",
        "last_received_at",
        sqlite_where=text(UNKNOWN_STATUS["sqlite"]),
        postgresql_where=text(UNKNOWN_STATUS["postgresql"]),
    ),
    Index(
        "ix_legs_unknown_fields",
        "id",
        sqlite_where=text(UNKNOWN_FIELDS["sqlite"]),
        postgresql_where=text(UNKNOWN_FIELDS["postgresql"]),
    ),
)

# Earlier contents of a leg that was redelivered with different content.
leg_versions = Table(
    "leg_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ivruniqueid", String(128), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("raw", Json, nullable=False),
    Column("encoding", String(16), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("replaced_at", DateTime, nullable=False),
)

# Deliveries that could not be read as CDRs, kept (secrets stripped) for replay; one row per
# distinct delivery (`delivery_key`: method, content type, query and body).
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_key", String(64), nullable=False, unique=True),
    Column("body_sha256", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("content_type", String(255)),
    Column("method", String(8), nullable=False),
    Column("query", Text),
    Column("headers", Json, nullable=False),
    Column("source", String(64)),
    Column("reason", Text, nullable=False),
    Column("received_count", Integer, nullable=False, default=1),
    Column("first_received_at", DateTime, nullable=False),
    Column("last_received_at", DateTime, nullable=False),
    Column("replayed_at", DateTime),
    Column("replay_result", Text),
)

# Small key/value facts the service keeps for itself: the SHA-256 of the generated ingest token
# and API key (`ingest_token_sha256`, `api_key_sha256`), the embed links' HMAC key.
app_state = Table(
    "app_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
