"""HTTP helpers shared by the connectors and the recording fetcher: what a response means for an
outbox job (done, retry later, give up) and the server's Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from cdrhub.automations.outbox import PermanentFailure, RetryLater

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait (Retry-After as seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _snippet(response: httpx.Response) -> str:
    try:
        text = response.text
    except Exception:  # undecodable body
        text = ""
    return " ".join(text.split())[:300]


def raise_for_outcome(response: httpx.Response, what: str) -> None:
    """Turn an unsuccessful response into the outbox's RetryLater or PermanentFailure."""
    if response.is_success:
        return
    reason = f"{what}: HTTP {response.status_code} {_snippet(response)}".strip()
    if response.status_code in TRANSIENT_STATUSES or response.status_code >= 500:
        raise RetryLater(reason, retry_after=retry_after_seconds(response))
    raise PermanentFailure(reason)


def transport_error(exc: httpx.HTTPError, what: str) -> RetryLater:
    return RetryLater(f"{what}: {type(exc).__name__}: {exc}")
