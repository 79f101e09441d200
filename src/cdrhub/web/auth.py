"""Authentication for the read API (bearer API key) and the ingest endpoint (URL token)."""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# Declares the bearer scheme in OpenAPI; the header is read and compared below.
BEARER = HTTPBearer(auto_error=False, description="The API key (CDRHUB_API_KEY)")


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def require_api_key(
    request: Request, _declared: HTTPAuthorizationCredentials | None = Depends(BEARER)
) -> None:
    """FastAPI dependency: `Authorization: Bearer <CDRHUB_API_KEY>`."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not same_secret(given.strip(), request.app.state.api_key):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
