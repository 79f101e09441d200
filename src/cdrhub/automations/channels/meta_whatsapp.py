"""Meta WhatsApp Cloud API: template messages.

POST {base_url}/{api_version}/{phone_number_id}/messages with a bearer token and JSON
`{messaging_product: "whatsapp", to, type: "template", template: {name, language: {code},
components: [{type: "body", parameters: [{type: "text", text}]}]}}`; 200 with
`{messages: [{id}]}`. Errors are `{error: {message, type, code, error_subcode, fbtrace_id}}`:
throughput and rate limits (4, 80007, 130429, 131048, 131056), temporary errors (1, 2, 131000,
131016) and HTTP 5xx are retried; 131050 (user stopped marketing messages) is an opt-out; the rest
are permanent. Our idempotency key travels in `biz_opaque_callback_data` (echoed back in status
webhooks) and an `Idempotency-Key` header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdrhub.automations.channels import base

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
TEMPORARY_CODES = frozenset({1, 2, 131000, 131016})
OPTED_OUT_CODES = frozenset({131050})


def template_body(
    to: str, template: str, language: str, params: Sequence[str], idempotency_key: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.lstrip("+"),
        "type": "template",
        "template": {"name": template, "language": {"code": language}},
        "biz_opaque_callback_data": idempotency_key,
    }
    if params:
        body["template"]["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return body


def send_template(
    options: Mapping[str, Any],
    *,
    to: str,
    template: str,
    language: str | None,
    params: Sequence[str],
    idempotency_key: str,
) -> dict[str, Any]:
    root = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    version = options.get("api_version", DEFAULT_API_VERSION)
    url = f"{root}/{version}/{options['phone_number_id']}/messages"
    body = template_body(
        to, template, language or options.get("language", "he"), params, idempotency_key
    )
    with base.client(options) as http:
        response = base.send(
            http,
            "POST",
            url,
            provider="meta",
            json=body,
            headers={
                "Authorization": f"Bearer {options['access_token']}",
                "Idempotency-Key": idempotency_key,
            },
        )
    data = base.json_or_none(response) or {}
    if response.status_code == 200 and isinstance(data, dict) and data.get("messages"):
        return {"provider": "meta", "id": data["messages"][0].get("id")}
    error = data.get("error", {}) if isinstance(data, dict) else {}
    code = error.get("code")
    detail = f"code {code}: {error.get('message')}" if code is not None else response.text[:300]
    if code in OPTED_OUT_CODES:
        raise base.RecipientOptedOut(f"meta: {detail}")
    transient = code in RATE_LIMIT_CODES or code in TEMPORARY_CODES
    base.fail_for_status(response, "meta", detail, rate_limited=transient)
    raise AssertionError("unreachable")
