"""What an outside service's HTTP answer means for a job: one classifier for every outbound call
(automation channels, CRM connectors, recording downloads and uploads).

- 2xx: done.
- 408, 409, 425, 429 and every 5xx: retry later, never sooner than the server's Retry-After.
- anything else (400, 401, 403, 404, 410, 422, ...): a permanent failure; retrying the same
  request cannot help.

409 Conflict is retried. Every job sends its idempotency key, and a provider that is still
working on an earlier attempt with that key (a worker whose lease ran out while it waited)
answers 409 until that attempt finishes: giving up then would lose a text or a push that is
about to succeed. A 409 that will never clear costs a few bounded attempts before the job goes
dead with the same reason. Callers that know what a 409 means for their provider (Pipedrive's
"recording already attached") decide before they ask the classifier.

Also here: Retry-After parsing, and the TLS context and User-Agent every outbound client of
this process shares.
"""

from __future__ import annotations

import email.utils
import functools
import ssl
from datetime import UTC, datetime
from typing import Literal, NoReturn

import httpx

from cdrhub import __version__
from cdrhub.jobs.outbox import PermanentFailure, RetryLater

USER_AGENT = f"cdrhub/{__version__}"
# Retried besides every 5xx.
RETRY_STATUSES = frozenset({408, 409, 425, 429})

Outcome = Literal["ok", "retry", "permanent"]


def outcome(status: int, *, rate_limited: bool = False) -> Outcome:
    """What an HTTP status means for a job. `rate_limited`: the provider said so in its body
    (an error code), whatever the status."""
    if rate_limited or status in RETRY_STATUSES or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "ok"
    return "permanent"


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


def fail(response: httpx.Response, reason: str, *, rate_limited: bool = False) -> NoReturn:
    """Raise what an unusable answer means: RetryLater (honouring Retry-After) when its status
    is worth retrying, else PermanentFailure (also for a 2xx whose body the caller could not
    use)."""
    if outcome(response.status_code, rate_limited=rate_limited) == "retry":
        raise RetryLater(reason, retry_after(response))
    raise PermanentFailure(reason)


def snippet(response: httpx.Response) -> str:
    """The start of the body on one line, for a reason."""
    try:
        text = response.text
    except Exception:  # undecodable body
        text = ""
    return " ".join(text.split())[:300]


def raise_for_outcome(response: httpx.Response, what: str) -> None:
    """Nothing for a 2xx; else RetryLater or PermanentFailure naming `what` and the status."""
    if response.is_success:
        return
    fail(response, f"{what}: HTTP {response.status_code} {snippet(response)}".strip())


def transport_error(exc: httpx.HTTPError, what: str) -> RetryLater:
    return RetryLater(f"{what}: {type(exc).__name__}: {exc}")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every outbound client of this process shares (httpx's defaults). Each
    new context parses the whole CA bundle, which cost more CPU than the rest of a job and held
    the GIL meanwhile: a worker failing through a backlog slowed the server it runs in."""
    return httpx.create_ssl_context()
