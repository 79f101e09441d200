"""Slack incoming webhooks: POST the webhook URL with JSON `{"text": ...}`; `200 ok`.

Documented errors: 400 invalid_payload / no_text, 403 action_prohibited, 404 channel_not_found
and no_service, 410 channel_is_archived (permanent); 429 with Retry-After and 5xx (retried).
Slack has no idempotency header; ours travels as `X-Idempotency-Key` for proxies and logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdrhub.automations.channels import base


def post(options: Mapping[str, Any], *, text: str, idempotency_key: str) -> dict[str, Any]:
    with base.client(options) as http:
        response = base.send(
            http,
            "POST",
            options["webhook_url"],
            provider="slack",
            json={"text": text},
            headers={"X-Idempotency-Key": idempotency_key},
        )
    if response.status_code == 200:
        return {"provider": "slack", "response": response.text[:100]}
    base.fail_for_status(response, "slack", response.text[:300])
    raise AssertionError("unreachable")
