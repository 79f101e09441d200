"""Signed, expiring links to a number's widget: HMAC-SHA256 over the number and the expiry.

A link is `/embed/contacts/<E.164>?exp=<unix seconds>&sig=<base64url HMAC>`; the number is
normalized before signing and before checking, so any spelling of it verifies. The same
signature authorises the widget's recordings of that number.

The key is the configured `[crm.embed] secret`, else one generated and kept in app_state (an
HMAC key is needed as it is, so it cannot be kept hashed; it is never printed).
`cdrhub secrets rotate embed-secret` replaces the kept one, which revokes every link signed
with it; running servers read it again every few seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import quote, urlencode

from sqlalchemy import Engine

from cdrhub.crm.settings import CrmSettings
from cdrhub.store.state import get_or_create_secret, refreshed_value

SECRET_KEY = "embed_secret"


def embed_secret(engine: Engine, crm: CrmSettings) -> str:
    return crm.embed.secret or get_or_create_secret(engine, SECRET_KEY)


def embed_secret_source(engine: Engine, crm: CrmSettings) -> Callable[[], str]:
    """The key as a running server reads it: the configured one, or the kept one, read again
    every few seconds so that a rotation applies without a restart."""
    configured = crm.embed.secret
    if configured:
        return lambda: configured
    first = get_or_create_secret(engine, SECRET_KEY)
    kept = refreshed_value(engine, SECRET_KEY)
    return lambda: kept.get() or first


def sign(secret: str, phone_e164: str, expires: int) -> str:
    message = f"cdrhub-embed\n{phone_e164}\n{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify(secret: str, phone_e164: str, expires: int | None, sig: str | None, now: float) -> bool:
    """True when `sig` was made with `secret` for this number and `expires` is still ahead."""
    if not sig or expires is None or expires < now:
        return False
    return hmac.compare_digest(sign(secret, phone_e164, expires).encode(), sig.encode())


def query_string(secret: str, phone_e164: str, expires: int) -> str:
    return urlencode({"exp": expires, "sig": sign(secret, phone_e164, expires)})


def embed_path(secret: str, phone_e164: str, expires: int) -> str:
    return (
        f"/embed/contacts/{quote(phone_e164, safe='')}?{query_string(secret, phone_e164, expires)}"
    )


def recording_path(secret: str, phone_e164: str, expires: int, ivruniqueid: str) -> str:
    query = urlencode(
        {"phone": phone_e164, "exp": expires, "sig": sign(secret, phone_e164, expires)}
    )
    return f"/embed/recordings/{quote(ivruniqueid, safe='')}?{query}"
