"""Voicenter Click2Call: ring an agent's phone, then dial the customer.

GET {base_url}/ForwardDialer/click2call.aspx?code=...&phone=<agent>&target=<customer>&format=json
plus `var_cdrhub_key=<idempotency key>`, which Voicenter passes through to the resulting CDRs.
Answer `{"ERRORCODE": 0, "ERRORMESSAGE": "OK", "CALLID": ...}` (CALLID is the future CDR's
ivruniqueid). HTTP 429 and 5xx are retried; a non-zero ERRORCODE is permanent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers

from cdrhub.automations.channels import base

DEFAULT_BASE_URL = "https://api.voicenter.com"


def dial_string(e164: str, home_region: str = "IL") -> str:
    """Home-country numbers in national form (0501234567), others as 00 + digits."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == home_region:
        return "0" + str(number.national_number)
    return "00" + e164.lstrip("+")


def call(
    options: Mapping[str, Any], *, agent: str, to: str, idempotency_key: str, region: str = "IL"
) -> dict[str, Any]:
    root = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    params = {
        "code": options["code"],
        "phone": agent,
        "target": dial_string(to, region),
        "format": "json",
        "var_cdrhub_key": idempotency_key,
    }
    with base.client(options) as http:
        response = base.send(
            http,
            "GET",
            f"{root}/ForwardDialer/click2call.aspx",
            provider="voicenter",
            params=params,
            headers={"X-Idempotency-Key": idempotency_key},
        )
    data = base.json_or_none(response)
    if response.status_code == 200 and isinstance(data, dict):
        code = data.get("ERRORCODE", data.get("errorcode"))
        if str(code) == "0":
            return {"provider": "voicenter", "callid": data.get("CALLID")}
        raise base.PermanentFailure(
            f"voicenter click2call: ERRORCODE {code}: {data.get('ERRORMESSAGE')}"
        )
    base.fail_for_status(response, "voicenter", response.text[:300])
    raise AssertionError("unreachable")
