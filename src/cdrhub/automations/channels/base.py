"""What every HTTP channel shares: a client and its request. What an answer means for the job
is decided by `cdrhub.jobs.http` (one classifier for every outbound call)."""

from __future__ import annotations

from typing import Any

import httpx

from cdrhub.jobs import http as outcomes
from cdrhub.jobs.http import USER_AGENT, tls_context
from cdrhub.jobs.outbox import PermanentFailure, RetryLater


class RecipientOptedOut(PermanentFailure):
    """The provider says this recipient refuses messages (e.g. replied STOP)."""


def client(options: Any, default_timeout: float = 15.0) -> httpx.Client:
    timeout = float(options.get("timeout", default_timeout))
    return httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, verify=tls_context())


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
    response: httpx.Response, provider: str, detail: str, *, rate_limited: bool = False
) -> None:
    """Raise what an unusable answer means (`jobs.http.fail`), naming the provider, the status
    and `detail`; `rate_limited`: the provider's body says so, whatever the status."""
    message = f"{provider}: HTTP {response.status_code}: {detail}"[:1000]
    outcomes.fail(response, message, rate_limited=rate_limited)


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
