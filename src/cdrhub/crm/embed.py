"""Signed, expiring links to a number's widget: HMAC-SHA256 over the number and the expiry.

A link is `/embed/contacts/<E.164>?exp=<unix seconds>&sig=<base64url HMAC>`; the number is
normalized before signing and before checking, so any spelling of it verifies. The same
signature authorises the widget's recordings of that number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, urlencode

from sqlalchemy import Engine

from cdrhub.crm.settings import CrmSettings
from cdrhub.store.state import get_or_create_secret

SECRET_KEY = "embed_secret"


def embed_secret(engine: Engine, crm: CrmSettings) -> str:
    return crm.embed.secret or get_or_create_secret(engine, SECRET_KEY)


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
