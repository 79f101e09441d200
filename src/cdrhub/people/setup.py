"""The first admin: while there are no users, `cdrhub serve` prints a one-time set-up link
whose page creates the first admin. The token is random, kept only as its SHA-256, replaced at
each start while no user exists, and spent by the first admin's creation."""

from __future__ import annotations

import hmac

from sqlalchemy import Connection, Engine, delete

from cdrhub.people import users
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import app_state
from cdrhub.store.state import new_secret, put_value, read_value, secret_hash

KEY = "setup_token_sha256"
SPENT = "this set-up link is no longer valid: restart `cdrhub serve` for a new one"


class SetupClosed(Exception):
    """The set-up link is spent, replaced by a newer one, or there are users already."""


def new_setup_token(engine: Engine) -> str | None:
    """A fresh set-up token when no user exists (the link to print), else None."""
    with write_transaction(engine) as conn:
        if users.count(conn) > 0:
            conn.execute(delete(app_state).where(app_state.c.key == KEY))
            return None
        token = new_secret()
        put_value(conn, KEY, secret_hash(token))
        return token


def setup_open(conn: Connection, token: str | None) -> bool:
    """Whether `token` is the live set-up token (and no user exists yet)."""
    kept = read_value(conn, KEY)
    if not token or kept is None or users.count(conn) > 0:
        return False
    return hmac.compare_digest(secret_hash(token).encode(), kept.encode())


def create_first_admin(
    conn: Connection, token: str | None, email: str, password: str, name: str | None = None
) -> users.User:
    """Spend the set-up token on the first admin (in the caller's write transaction)."""
    if not setup_open(conn, token):
        raise SetupClosed(
            "this set-up link is no longer valid: restart `cdrhub serve` for a new one"
        )
    spent = conn.execute(
        delete(app_state).where(
            app_state.c.key == KEY, app_state.c.value == secret_hash(token or "")
        )
    ).rowcount
    if spent != 1:
        raise SetupClosed(
            "this set-up link is no longer valid: restart `cdrhub serve` for a new one"
        )
    return users.add(conn, email, "admin", password, actor=users.normal_email(email), name=name)
