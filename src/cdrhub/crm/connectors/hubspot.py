"""HubSpot (CRM API v3, private-app bearer token): log each call on the caller's contact.

Per leg: find the contact by phone (create one for unknown callers when `create_contacts`),
create a Call engagement associated with it, and remember the Call's id; a redelivered or
revised CDR PATCHes that same Call. A retry after a lost response first searches for a Call
whose body carries the leg's id, so a timeout does not make a second Call.
"""

from __future__ import annotations

from typing import Any

import httpx

from cdrhub.calls.model import CallLeg
from cdrhub.calls.phones import to_e164
from cdrhub.calls.stitch import outcome_of
from cdrhub.crm.connectors.payload import from_to, national_digits, summary_text
from cdrhub.crm.settings import HubSpotSettings
from cdrhub.jobs.http import raise_for_outcome, retry_after, transport_error
from cdrhub.jobs.outbox import PermanentFailure, RetryLater, Skip

CALL_TO_CONTACT = 194  # HUBSPOT_DEFINED association type: call -> contact
_STATUS = {
    "answered": "COMPLETED",
    "busy": "BUSY",
    "cancelled": "CANCELED",
    "failed": "FAILED",
}
# HubSpot's default call outcomes (hs_call_disposition values).
_DISPOSITION = {
    "answered": "f240bbac-87c9-4f6e-bf70-924b57d47db7",  # Connected
    "no_answer": "73a0d17f-1163-4015-bdd5-ec830791da20",  # No answer
    "busy": "9d9162e7-6cf3-4944-bf63-4dff82258764",  # Busy
}
_DAILY_LIMIT_WAIT = 3600.0


def call_properties(leg: CallLeg, recording_url: str | None = None) -> dict[str, Any]:
    """The Call's properties; `recording_url` is our signed link or Voicenter's URL, which the
    caller has checked against the recording URL rules (never the CDR's URL unchecked)."""
    outcome = outcome_of(leg.status)
    frm, to = from_to(leg)
    direction = "INBOUND" if leg.direction == "in" else "OUTBOUND"
    who = leg.customer_number or "unknown number"
    props: dict[str, Any] = {
        "hs_timestamp": leg.started_at.isoformat(timespec="milliseconds") + "Z"
        if leg.started_at
        else None,
        "hs_call_title": f"{'Call from' if direction == 'INBOUND' else 'Call to'} {who}",
        "hs_call_body": summary_text(leg),
        "hs_call_direction": direction,
        "hs_call_status": _STATUS.get(outcome, "NO_ANSWER"),
        "hs_call_duration": str((leg.duration or 0) * 1000),
        "hs_call_from_number": frm,
        "hs_call_to_number": to,
    }
    if outcome in _DISPOSITION:
        props["hs_call_disposition"] = _DISPOSITION[outcome]
    if recording_url and recording_url.startswith("https://"):
        props["hs_call_recording_url"] = recording_url
    return {k: v for k, v in props.items() if v is not None}


class HubSpotApi:
    def __init__(self, cfg: HubSpotSettings, client: httpx.Client) -> None:
        self.cfg = cfg
        self.client = client

    def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        url = self.cfg.base_url.rstrip("/") + path
        headers = {"authorization": f"Bearer {self.cfg.token}", "accept": "application/json"}
        try:
            response = self.client.request(
                method, url, json=body, headers=headers, timeout=self.cfg.timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, f"HubSpot {method} {path}") from exc
        if response.status_code == 429:
            raise RetryLater(
                f"HubSpot {method} {path}: rate limited ({_policy(response)})",
                retry_after=_rate_limit_wait(response),
            )
        return response

    def _check(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code in (401, 403):
            raise PermanentFailure(f"HubSpot {what}: HTTP {response.status_code} (token/scopes)")
        raise_for_outcome(response, f"HubSpot {what}")
        return response.json() if response.content else {}

    def find_contact(self, e164: str, region: str) -> str | None:
        digits = national_digits(e164)
        groups = [
            {"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}
            for name, value in (
                ("phone", e164),
                ("mobilephone", e164),
                ("hs_searchable_calculated_phone_number", digits),
                ("hs_searchable_calculated_mobile_number", digits),
            )
            if value
        ]
        body = {
            "filterGroups": groups,
            "properties": ["phone", "mobilephone", "firstname", "lastname"],
            "limit": 10,
        }
        found = self._check(
            self._request("POST", "/crm/v3/objects/contacts/search", body), "contact search"
        )
        results = found.get("results") or []
        for item in results:  # prefer a contact whose number reads as exactly this one
            props = item.get("properties") or {}
            numbers = (props.get("phone"), props.get("mobilephone"))
            if any(to_e164(n, region) == e164 for n in numbers if n):
                return str(item["id"])
        return str(results[0]["id"]) if results else None

    def create_contact(self, e164: str, name: str | None) -> str:
        props: dict[str, str] = {"phone": e164}
        if name:
            first, _, last = name.partition(" ")
            props["firstname"] = first
            if last:
                props["lastname"] = last
        response = self._request("POST", "/crm/v3/objects/contacts", {"properties": props})
        return str(self._check(response, "create contact")["id"])

    def find_call(self, ivruniqueid: str) -> str | None:
        body = {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "hs_call_body",
                            "operator": "CONTAINS_TOKEN",
                            "value": ivruniqueid,
                        }
                    ]
                }
            ],
            "properties": ["hs_call_body"],
            "limit": 1,
        }
        found = self._check(
            self._request("POST", "/crm/v3/objects/calls/search", body), "call search"
        )
        results = found.get("results") or []
        return str(results[0]["id"]) if results else None

    def create_call(self, props: dict[str, Any], contact_id: str) -> str:
        body = {
            "properties": props,
            "associations": [
                {
                    "to": {"id": contact_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": CALL_TO_CONTACT,
                        }
                    ],
                }
            ],
        }
        response = self._request("POST", "/crm/v3/objects/calls", body)
        return str(self._check(response, "create call")["id"])

    def update_call(self, call_id: str, props: dict[str, Any]) -> bool:
        """PATCH a Call; False when it no longer exists (deleted in HubSpot)."""
        response = self._request("PATCH", f"/crm/v3/objects/calls/{call_id}", {"properties": props})
        if response.status_code == 404:
            return False
        self._check(response, "update call")
        return True


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _policy(response: httpx.Response) -> str:
    return str(_json(response).get("policyName") or "unknown policy")


def _rate_limit_wait(response: httpx.Response) -> float:
    """Retry-After when given; else a second for the per-second limit, an hour for the daily."""
    wait = retry_after(response)
    if wait is not None:
        return wait
    return _DAILY_LIMIT_WAIT if "DAILY" in _policy(response).upper() else 1.0


def push_to_hubspot(
    api: HubSpotApi,
    leg: CallLeg,
    *,
    region: str,
    known_call_id: str | None,
    known_contact_id: str | None,
    contact_name: str | None,
    recording_url: str | None = None,
) -> dict[str, Any]:
    """Create or update the leg's Call. Returns {"call_id", "contact_id", "action"}."""
    props = call_properties(leg, recording_url)
    if known_call_id and api.update_call(known_call_id, props):
        return {"call_id": known_call_id, "contact_id": known_contact_id, "action": "updated"}
    found = api.find_call(leg.ivruniqueid)
    if found and api.update_call(found, props):
        return {"call_id": found, "contact_id": known_contact_id, "action": "updated"}
    number = leg.customer_number
    if not number:
        raise Skip("no customer number on this leg")
    contact_id = known_contact_id or api.find_contact(number, region)
    action = "created"
    if contact_id is None:
        if not api.cfg.create_contacts:
            raise Skip(f"no HubSpot contact with {number} (create_contacts is off)")
        contact_id = api.create_contact(number, contact_name)
        action = "created with a new contact"
    call_id = api.create_call(props, contact_id)
    return {"call_id": call_id, "contact_id": contact_id, "action": action}
