"""Authentication for the read API (bearer API key) and the ingest endpoint (URL token).

Both secrets are checked by hashing what is offered and comparing it, in constant time, with
the hash of the configured secret or the hash kept in app_state. The kept hash is read again
every few seconds, so `cdrhub secrets rotate` applies to a running server without a restart.

Machinery below the domains: their routers and the web app both import it; it imports fastapi,
the ground and store/ (the kept hashes), never the web app, the CLI, ingest, jobs or a domain.
"""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from cdrhub.store.state import (
    REFRESH_SECONDS,
    Refreshed,
    ensure_hashed_secret,
    hash_key,
    refreshed_value,
    secret_hash,
)

# Declares the bearer scheme in OpenAPI; the header is read and compared below.
BEARER = HTTPBearer(auto_error=False, description="The API key (CDRHUB_API_KEY)")


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class SecretCheck:
    """Whether an offered string is the ingest token (or the API key)."""

    def __init__(self, digest: str | Refreshed[str | None]) -> None:
        self._digest = digest

    @classmethod
    def configured(cls, secret: str) -> SecretCheck:
        return cls(secret_hash(secret))

    @classmethod
    def stored(cls, engine: Engine, name: str, ttl: float = REFRESH_SECONDS) -> SecretCheck:
        return cls(refreshed_value(engine, hash_key(name), ttl))

    def stale(self) -> bool:
        """The kept hash is due to be read again (the async ingest reads it off the loop)."""
        return isinstance(self._digest, Refreshed) and self._digest.stale()

    def refresh(self) -> None:
        if isinstance(self._digest, Refreshed):
            self._digest.refresh()

    def matches(self, offered: str | None) -> bool:
        digest = self._digest if isinstance(self._digest, str) else self._digest.get()
        if not offered or digest is None:
            return False
        return hmac.compare_digest(secret_hash(offered).encode(), digest.encode())


def secret_check(
    engine: Engine, name: str, configured: str | None, generated: dict[str, str]
) -> SecretCheck:
    """The check of secret `name`: the configured one, else the kept hash (generating the
    secret on first start: it is added to `generated`, to be shown once)."""
    if configured:
        return SecretCheck.configured(configured)
    new = ensure_hashed_secret(engine, name)
    if new is not None:
        generated[name] = new
    return SecretCheck.stored(engine, name)


def require_api_key(
    request: Request, _declared: HTTPAuthorizationCredentials | None = Depends(BEARER)
) -> None:
    """FastAPI dependency: `Authorization: Bearer <API key>`. Never from the URL."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    check: SecretCheck = request.app.state.api_key_check
    if scheme.lower() != "bearer" or not check.matches(given.strip()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
