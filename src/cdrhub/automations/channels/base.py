"""What every HTTP channel shares: a client, Retry-After parsing, and error classification."""

from __future__ import annotations

import email.utils
import functools
import ssl
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx

from cdrhub import __version__
from cdrhub.automations.outbox import PermanentFailure, RetryLater

USER_AGENT = f"cdrhub/{__version__}"
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class RecipientOptedOut(PermanentFailure):
    """The provider says this recipient refuses messages (e.g. replied STOP)."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every outbound client of this process shares (httpx's defaults). Each
    new context parses the whole CA bundle, which cost more CPU than the rest of a job and held
    the GIL meanwhile: a worker failing through a backlog slowed the server it runs in."""
    return httpx.create_ssl_context()


def client(options: Any, default_timeout: float = 15.0) -> httpx.Client:
    timeout = float(options.get("timeout", default_timeout))
    return httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, verify=tls_context())


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def send(
    http: httpx.Client, method: str, url: str, *, provider: str, **kwargs: Any
) -> httpx.Response:
    """One request; network failures and timeouts become RetryLater."""
    try:
        return http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryLater(f"{provider}: timeout ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise RetryLater(f"{provider}: {type(exc).__name__}: {exc}") from exc


def fail_for_status(
    response: httpx.Response,
    provider: str,
    detail: str,
    *,
    retry_codes: Iterable[int] = RETRYABLE_STATUS,
    rate_limited: bool = False,
) -> None:
    """Raise the outcome a non-success response means: retry (429, 5xx, provider rate-limit
    errors) honouring Retry-After, or a permanent failure."""
    status = response.status_code
    message = f"{provider}: HTTP {status}: {detail}"[:1000]
    if rate_limited or status in set(retry_codes) or status >= 500:
        raise RetryLater(message, retry_after(response))
    raise PermanentFailure(message)


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
