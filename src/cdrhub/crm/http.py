"""HTTP helpers shared by the connectors and the recording fetcher: what a response means for an
outbox job (done, retry later, give up) and the server's Retry-After."""

from __future__ import annotations

import httpx

from cdrhub.automations.channels.base import retry_after as retry_after_seconds
from cdrhub.automations.outbox import PermanentFailure, RetryLater

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


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
