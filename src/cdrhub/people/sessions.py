"""Server-side sessions. The cookie carries a random token; the database keeps its SHA-256,
so a copy of the database opens no session. Signing out, a password change and a disabled
account revoke sessions at once (every request reads its session row)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from cdrhub.people import users
from cdrhub.people.tables import sessions
from cdrhub.people.users import User
from cdrhub.timefmt import utcnow

IDLE = timedelta(hours=12)  # a session unused this long ends
LIFETIME = timedelta(days=7)  # and every session ends this long after sign-in
# last_seen_at is written at most this often, not on every request
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    id: str
    user: User
    csrf: str
    last_seen_at: datetime

    def touch_due(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(conn: Connection, user_id: int) -> str:
    """A new session for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        sessions.insert().values(
            id=session_id(token),
            user_id=user_id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return token


def resolve(conn: Connection, token: str | None) -> Session | None:
    """The live session the token opens, or None (unknown, revoked, expired, idle too long,
    or its user disabled). Reads only: `touch` records the use when `touch_due`."""
    if not token or len(token) > 128:
        return None
    sid = session_id(token)
    row = conn.execute(select(sessions).where(sessions.c.id == sid)).first()
    now = utcnow()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at <= now or row.last_seen_at + IDLE <= now:
        return None
    user = users.by_id(conn, row.user_id)
    if user is None or user.disabled:
        return None
    return Session(id=sid, user=user, csrf=row.csrf, last_seen_at=row.last_seen_at)


def touch(conn: Connection, sid: str) -> None:
    conn.execute(update(sessions).where(sessions.c.id == sid).values(last_seen_at=utcnow()))


def end(conn: Connection, token: str | None) -> None:
    if token:
        conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id(token), sessions.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def csrf_matches(session: Session, offered: str | None) -> bool:
    return offered is not None and hmac.compare_digest(session.csrf.encode(), offered.encode())
