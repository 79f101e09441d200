"""A generic HTTP webhook signed per the Standard Webhooks specification.

Headers: `webhook-id` (our idempotency key: the same on every retry), `webhook-timestamp`
(Unix seconds), `webhook-signature` = `v1,` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))
where the secret is the base64 after `whsec_`. Body: `{"type", "timestamp", "data"}`.
Any 2xx succeeds; 410 Gone is permanent; every other answer and network error is retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cdrhub.automations.channels import base as channel_base
from cdrhub.jobs.http import retry_after
from cdrhub.jobs.outbox import PermanentFailure, RetryLater


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (used by tests and documented for integrators)."""
    msg_id, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "0")
    if abs(time.time() - int(ts)) > tolerance:
        return False
    expected = sign(secret, msg_id, int(ts), body).split(",", 1)[1]
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if "," in s]
    return any(hmac.compare_digest(expected, o) for o in offered)


def deliver(
    options: Mapping[str, Any],
    *,
    event: str,
    data: Mapping[str, Any],
    idempotency_key: str,
    now: float | None = None,
) -> dict[str, Any]:
    timestamp = int(now if now is not None else time.time())
    msg_id = f"msg_{idempotency_key}"
    payload = {
        "type": event,
        "timestamp": datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z"),
        "data": dict(data),
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        **{str(k): str(v) for k, v in dict(options.get("headers", {})).items()},
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(options["secret"], msg_id, timestamp, body),
    }
    with channel_base.client(options) as http:
        response = channel_base.send(
            http, "POST", options["url"], provider="webhook", content=body, headers=headers
        )
    if 200 <= response.status_code < 300:
        return {"provider": "webhook", "status": response.status_code, "webhook_id": msg_id}
    if response.status_code == 410:
        raise PermanentFailure("webhook: HTTP 410 Gone: the endpoint was removed")
    raise RetryLater(
        f"webhook: HTTP {response.status_code}: {response.text[:200]}",
        retry_after(response),
    )
