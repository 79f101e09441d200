"""Generic webhook: the normalized call POSTed to any URL (Zapier, Make, n8n, an in-house CRM),
signed the Standard Webhooks way, optionally reshaped by a Jinja template.

Headers: `webhook-id` (stable per leg and content, so receivers can drop duplicates),
`webhook-timestamp` (unix seconds), `webhook-signature` = `v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">` keyed by the base64 part of the `whsec_...` secret.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from cdrhub.automations.channels import webhook as standard_webhooks
from cdrhub.crm.settings import WebhookTarget
from cdrhub.jobs.http import raise_for_outcome, transport_error
from cdrhub.jobs.outbox import PermanentFailure

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (`whsec_<base64>`)."""
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise PermanentFailure("webhook secret is not whsec_<base64>") from exc


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC>`: the automations channel's signer, after checking the secret."""
    secret_key(secret)
    return standard_webhooks.sign(secret, msg_id, timestamp, body)


def render_body(target: WebhookTarget, event: dict[str, Any]) -> bytes:
    """The JSON event, or the target's template rendered with `event` and `call` (its data)."""
    if not target.template:
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        text = _ENV.from_string(target.template).render(event=event, call=event["data"])
    except TemplateError as exc:
        raise PermanentFailure(f"webhook {target.name}: template error: {exc}") from exc
    if "json" in target.content_type:
        try:
            json.loads(text)
        except ValueError as exc:
            reason = f"webhook {target.name}: template made invalid JSON: {exc}"
            raise PermanentFailure(reason) from exc
    return text.encode()


def deliver(
    client: httpx.Client, target: WebhookTarget, event: dict[str, Any], msg_id: str, now: float
) -> dict[str, Any]:
    body = render_body(target, event)
    timestamp = int(now)
    headers = {
        "content-type": target.content_type,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "user-agent": "cdrhub-webhook/1",
    }
    if target.secret:
        headers["webhook-signature"] = signature(target.secret, msg_id, timestamp, body)
    try:
        response = client.post(
            target.url, content=body, headers=headers, timeout=target.timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise transport_error(exc, f"webhook {target.name}") from exc
    if response.status_code == 410:
        raise PermanentFailure(f"webhook {target.name}: HTTP 410, the endpoint is gone")
    raise_for_outcome(response, f"webhook {target.name}")
    return {"status": response.status_code, "webhook_id": msg_id}
