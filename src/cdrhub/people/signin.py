"""Signing in: the password checked, failures counted per address and per client so that
guessing is slow, and the hash renewed when argon2's parameters have grown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete, func, select, update

from cdrhub.people import audit, passwords, sessions, users
from cdrhub.people.tables import login_failures
from cdrhub.people.tables import users as users_table
from cdrhub.timefmt import utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_ADDRESS = 5  # failed sign-ins to one e-mail address within WINDOW
MAX_PER_CLIENT = 30  # failed sign-ins from one client address within WINDOW


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password: too many recent failures."""


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: users.User


def _failures(conn: Connection, key: str) -> int:
    since = utcnow() - WINDOW
    query = select(func.count()).where(login_failures.c.key == key, login_failures.c.at > since)
    return int(conn.execute(query).scalar_one())


def sign_in(conn: Connection, email: str, password: str, client: str) -> SignedIn | None:
    """A new session when the address and password are right and the user is enabled; None
    otherwise (the caller says only "wrong e-mail or password"). Raises TooManyAttempts."""
    address = email.strip().lower()[:254]
    keys = (f"email:{address}", f"client:{client[:64]}")
    if _failures(conn, keys[0]) >= MAX_PER_ADDRESS or _failures(conn, keys[1]) >= MAX_PER_CLIENT:
        raise TooManyAttempts("too many failed sign-ins: wait a few minutes and try again")
    user = users.by_email(conn, address)
    stored = users.password_hash(conn, user.id) if user is not None else None
    good = passwords.verify_password(stored, password)
    if user is None or not good or user.disabled or stored is None:
        now = utcnow()
        conn.execute(login_failures.insert(), [{"key": k, "at": now} for k in keys])
        conn.execute(delete(login_failures).where(login_failures.c.at <= now - WINDOW))
        return None
    values: dict[str, object] = {"last_login_at": utcnow()}
    if passwords.needs_rehash(stored):
        values["password_hash"] = passwords.hash_password(password)
    conn.execute(update(users_table).where(users_table.c.id == user.id).values(**values))
    conn.execute(delete(login_failures).where(login_failures.c.key == keys[0]))
    audit.record(conn, user.email, "signin", user_id=user.id)
    return SignedIn(sessions.start(conn, user.id), user)
