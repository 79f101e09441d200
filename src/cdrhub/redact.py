"""Secrets out of what is kept: one pure function for a delivery before it is stored.

A request that reaches the quarantine carried the ingest token (in the path, `?token=` or
Basic credentials), maybe headers with credentials and URLs with an API `code=`. None of it
may be kept: the quarantine is shown by the API and the CLI. What is removed:

- query parameters named like a secret (`token`, `code`, `key`, `api_key`, `password`, ...,
  any case), also inside URLs carried in a value, a header or the body (`?code=...`,
  percent-encoded or not): the value becomes `[redacted]`;
- headers whose name says credentials (Authorization, Cookie, Proxy-Authorization, X-Api-Key,
  anything with "token", "secret" or "password"): the value becomes `[redacted]`;
- the credential the request authenticated with, wherever it appears (a proxy's
  X-Original-URI, a Referer, the body).

The body stays byte for byte apart from those values, so a replay reads what was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

REDACTED = "[redacted]"

# Query parameter names that carry a secret, compared lower-cased with "-" read as "_".
SECRET_PARAMS = frozenset(
    {
        "token",
        "code",
        "key",
        "api_key",
        "apikey",
        "access_token",
        "auth_token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "sig",
        "signature",
    }
)
_SECRET_HEADER_WORDS = ("authorization", "cookie", "token", "secret", "password", "api-key")
_NAMES = "|".join(sorted((re.escape(n) for n in SECRET_PARAMS), key=len, reverse=True))
_NAMES = _NAMES.replace("_", "[_-]")
# `name=value` after a URL's `?`/`&` (or `&amp;` in XML), or at the very start (a form body),
# and the same percent-encoded inside another parameter's value (`%3Fcode%3D...`).
_PLAIN = re.compile(rf"(?i)(^|[?&;])({_NAMES})=([^&#\s\"'<>\\]+)")
_ENCODED = re.compile(rf"(?i)(%3F|%26)({_NAMES})%3D((?:(?!%26)[^&#\s\"'<>\\])+)")
# A literal credential shorter than this is not searched for (it would match anywhere);
# configured ones are at least 16 characters (config.py).
_MIN_LITERAL = 8


@dataclass(frozen=True, slots=True)
class Redacted:
    body: bytes
    query: str
    headers: dict[str, str]
    reason: str
    content_type: str | None


def _is_secret_param(name: str) -> bool:
    return unquote_plus(name).strip().lower().replace("-", "_") in SECRET_PARAMS


def _is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


def _literals(secrets: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= _MIN_LITERAL:
            # as raw bytes (latin-1 text of their UTF-8) and percent-encoded
            found.add(secret.encode().decode("latin-1"))
            found.add(quote(secret, safe=""))
    return sorted(found, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given credentials and without secret-named URL parameters' values."""
    for literal in _literals(secrets):
        text = text.replace(literal, REDACTED)
    text = _PLAIN.sub(lambda m: f"{m[1]}{m[2]}={REDACTED}", text)
    return _ENCODED.sub(lambda m: f"{m[1]}{m[2]}%3D{REDACTED}", text)


def redact_query(query: str, secrets: Iterable[str] = ()) -> str:
    """A raw query string with secret-named parameters' values replaced; every other byte of
    it is kept as it came (an unreadable query is kept to be replayed)."""
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        secret = eq and value and _is_secret_param(name)  # an empty value hides nothing
        parts.append(f"{name}={REDACTED}" if secret else part)
    return redact_text("&".join(parts), secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    literals = list(secrets)
    return {
        k: REDACTED if _is_secret_header(k) else redact_text(v, literals)
        for k, v in headers.items()
    }


def redact_delivery(
    *,
    body: bytes,
    query: str,
    headers: Mapping[str, str],
    reason: str,
    content_type: str | None,
    secrets: Iterable[str] = (),
) -> Redacted:
    """What of a delivery may be stored. Pure; the query is latin-1 text of the raw bytes, as
    the server reads it, and the body is treated the same way so that no byte changes but the
    redacted ones."""
    literals = list(secrets)
    return Redacted(
        body=redact_text(body.decode("latin-1"), literals).encode("latin-1"),
        query=redact_query(query, literals),
        headers=redact_headers(headers, literals),
        reason=redact_text(reason, literals),
        content_type=None if content_type is None else redact_text(content_type, literals),
    )


def _is_secret_setting(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    words = ("token", "secret", "password", "api_key", "apikey")
    return _is_secret_param(lowered) or any(word in lowered for word in words)


def redact_settings(value: object) -> object:
    """A settings section fit to show: values of secret-named keys (token, code, key, secret,
    password, ...) replaced by `[redacted]`, at any depth; URLs' secret parameters too."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _is_secret_setting(str(k)) and v else redact_settings(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_settings(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
