"""Password hashing with argon2id (argon2-cffi's PasswordHasher and its tuned defaults)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_HASHER = PasswordHasher()
# Verified when the e-mail address is unknown, so that a wrong address costs the same time as
# a wrong password and does not tell which addresses exist. A constant, not hashed at import
# (argon2 costs every process that imports this module a fifth of a second of CPU); it has the
# hasher's parameters, hence its cost (tests/people/test_passwords.py), and the password behind
# it, random and thrown away, is never accepted: `verify_password` answers False without a user.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$759FSfb6qHsMH6VuRZxaEw"
    "$Loz21OIxhGay/qeYizQzZtpbMY2lKoK6pTT0yhxx21o"
)


class WeakPassword(ValueError):
    """A password too short to be accepted."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored: str | None, offered: str) -> bool:
    """Whether `offered` is the password `stored` hashes; False for a user without one."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, offered) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """The hash was made with weaker parameters than today's: hash the password again."""
    return _HASHER.check_needs_rehash(stored)


def one_time_password() -> str:
    """A password to hand over once (printed by `cdrhub users add`), changed at sign-in."""
    return secrets.token_urlsafe(12)
