"""Twilio Programmable Messaging: SMS and WhatsApp through the Messages API.

POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, From (or
MessagingServiceSid), Body (or ContentSid + ContentVariables), HTTP basic auth with the account
SID and auth token; 201 and the Message resource as JSON on success. Errors are JSON
`{code, message, more_info, status}`: 429 / code 20429 (too many requests, with Retry-After)
and 5xx are retried; 21610 (recipient replied STOP) adds the number to the opt-out list; other
4xx are permanent. The idempotency key goes in `I-Twilio-Idempotency-Token`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cdrhub.automations.channels import base

DEFAULT_BASE_URL = "https://api.twilio.com"
RATE_LIMIT_CODES = frozenset({20429, 14107, 30022})
OPTED_OUT_CODES = frozenset({21610})


def send_message(
    options: Mapping[str, Any],
    *,
    to: str,
    body: str | None,
    idempotency_key: str,
    whatsapp: bool = False,
    content_sid: str | None = None,
    content_variables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    sid = options["account_sid"]
    root = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    url = f"{root}/2010-04-01/Accounts/{sid}/Messages.json"
    sender = options.get("whatsapp_from") if whatsapp else None
    sender = sender or options.get("from")
    form: dict[str, str] = {"To": f"whatsapp:{to}" if whatsapp else to}
    if options.get("messaging_service_sid") and not whatsapp:
        form["MessagingServiceSid"] = options["messaging_service_sid"]
    elif sender:
        form["From"] = (
            f"whatsapp:{sender}" if whatsapp and not sender.startswith("whatsapp:") else sender
        )
    if content_sid:
        form["ContentSid"] = content_sid
        if content_variables:
            form["ContentVariables"] = json.dumps(dict(content_variables), ensure_ascii=False)
    elif body is not None:
        form["Body"] = body
    if options.get("status_callback"):
        form["StatusCallback"] = options["status_callback"]
    with base.client(options) as http:
        response = base.send(
            http,
            "POST",
            url,
            provider="twilio",
            data=form,
            auth=(sid, options["auth_token"]),
            headers={"I-Twilio-Idempotency-Token": idempotency_key},
        )
    data = base.json_or_none(response) or {}
    if response.status_code in (200, 201):
        return {
            "provider": "twilio",
            "sid": data.get("sid"),
            "status": data.get("status"),
            "segments": data.get("num_segments"),
        }
    code = data.get("code") if isinstance(data, dict) else None
    detail = f"code {code}: {data.get('message')}" if code else response.text[:300]
    if code in OPTED_OUT_CODES:
        raise base.RecipientOptedOut(f"twilio: {detail}")
    base.fail_for_status(response, "twilio", detail, rate_limited=code in RATE_LIMIT_CODES)
    raise AssertionError("unreachable")
