"""The people tables on the shared metadata; migration `0011_people` creates them. Datetimes
are naive UTC."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, String, Table, Text

from cdrhub.store.schema import Id, Json, metadata

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(255), nullable=False, unique=True),  # kept lower-cased
    Column("name", String(255)),
    # admin | manager | agent (people/roles.py)
    Column("role", String(16), nullable=False),
    # a manager's scope: lists of queue and department names; null means all
    Column("queues", Json),
    Column("departments", Json),
    # the user's Voicenter agent code and extension, for "my calls" and click-to-call
    Column("agent_code", String(64)),
    Column("extension", String(64)),
    Column("lang", String(8)),
    Column("password_hash", Text),
    # a password someone else set (a one-time password): changed at the next sign-in
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("disabled_at", DateTime),
    Column("last_login_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Server-side sessions: the cookie carries a random token, the row only its SHA-256.
sessions = Table(
    "user_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the cookie's token
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Index("ix_user_sessions_user", "user_id"),
)

# Failed sign-ins, counted per e-mail address and per client address over a window.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(320), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

# Who did what: assigned, closed, called back, replayed, retried, signed in, changed users.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("user_id", Id),
    Column("actor", String(255), nullable=False),  # the e-mail, kept should the user go
    Column("action", String(64), nullable=False),
    Column("target", String(255)),
    Column("detail", Json),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_user", "user_id", "at"),
)
