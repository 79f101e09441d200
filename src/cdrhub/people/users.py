"""Users: add, find, list, disable, and set passwords. Every change is audited, and a password
change or a disabled account revokes the user's sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from cdrhub.people import audit
from cdrhub.people.passwords import hash_password
from cdrhub.people.roles import Scope, check_role
from cdrhub.people.tables import sessions, users
from cdrhub.timefmt import utcnow


class UserError(ValueError):
    """A user that cannot be added or changed as asked (the message says why)."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str | None
    role: str
    scope: Scope
    agent_code: str | None
    extension: str | None
    lang: str | None
    must_change_password: bool
    disabled: bool
    last_login_at: datetime | None
    created_at: datetime

    def sees(self, queue: str | None, department: str | None) -> bool:
        """Whether a call or callback item of this queue and department is the user's to see:
        an admin sees everything, anyone else what their scope covers."""
        return self.role == "admin" or self.scope.covers(queue, department)


def normal_email(email: str) -> str:
    """The address as kept: trimmed and lower-cased; refused when it is not one."""
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in value) or len(value) > 254:
        raise UserError(f"not an e-mail address: {email.strip()!r}")
    return value


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(
        id=m["id"],
        email=m["email"],
        name=m["name"],
        role=m["role"],
        scope=Scope.of(m["queues"], m["departments"]),
        agent_code=m["agent_code"],
        extension=m["extension"],
        lang=m["lang"],
        must_change_password=bool(m["must_change_password"]),
        disabled=m["disabled_at"] is not None,
        last_login_at=m["last_login_at"],
        created_at=m["created_at"],
    )


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def add(
    conn: Connection,
    email: str,
    role: str,
    password: str,
    *,
    actor: str,
    name: str | None = None,
    queues: Sequence[str] | None = None,
    departments: Sequence[str] | None = None,
    agent_code: str | None = None,
    extension: str | None = None,
    lang: str | None = None,
    one_time: bool = False,
) -> User:
    """Add a user. `one_time`: the password was made for them, to change at first sign-in."""
    address = normal_email(email)
    check_role(role)
    now = utcnow()
    values = {
        "email": address,
        "name": name,
        "role": role,
        "queues": list(queues) if queues is not None else None,
        "departments": list(departments) if departments is not None else None,
        "agent_code": agent_code,
        "extension": extension,
        "lang": lang,
        "password_hash": hash_password(password),
        "must_change_password": one_time,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with conn.begin_nested():
            conn.execute(users.insert().values(**values))
    except IntegrityError:
        raise UserError(f"a user {address} exists already") from None
    user = by_email(conn, address)
    assert user is not None
    audit.record(conn, actor, "user.add", address, detail={"role": role})
    return user


def by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    return _user(row) if row is not None else None


def by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row is not None else None


def password_hash(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()


def all_users(conn: Connection) -> list[User]:
    return [_user(row) for row in conn.execute(select(users).order_by(users.c.email))]


def _existing(conn: Connection, email: str) -> User:
    user = by_email(conn, email)
    if user is None:
        raise UserError(f"no user {email.strip().lower()}")
    return user


def revoke_sessions(conn: Connection, user_id: int, *, keep: str | None = None) -> int:
    """End every session of a user (but `keep`, a session id); returns how many ended."""
    query = update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    if keep is not None:
        query = query.where(sessions.c.id != keep)
    return conn.execute(query.values(revoked_at=utcnow())).rowcount


def set_password(
    conn: Connection,
    email: str,
    password: str,
    *,
    actor: str,
    one_time: bool = False,
    keep_session: str | None = None,
) -> User:
    """A new password; every other session of the user ends."""
    user = _existing(conn, email)
    conn.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(
            password_hash=hash_password(password),
            must_change_password=one_time,
            updated_at=utcnow(),
        )
    )
    revoke_sessions(conn, user.id, keep=keep_session)
    audit.record(conn, actor, "user.password", user.email, detail={"one_time": one_time})
    return _existing(conn, email)


def set_disabled(conn: Connection, email: str, disabled: bool, *, actor: str) -> User:
    """Disable (every session ends) or enable a user."""
    user = _existing(conn, email)
    now = utcnow()
    conn.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(disabled_at=now if disabled else None, updated_at=now)
    )
    if disabled:
        revoke_sessions(conn, user.id)
    audit.record(conn, actor, "user.disable" if disabled else "user.enable", user.email)
    return _existing(conn, email)


def set_lang(conn: Connection, user_id: int, lang: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(lang=lang, updated_at=utcnow()))
