"""Pipedrive (API v1, `api_token` query parameter): a call log per leg, on the caller's person.

Per leg: find the person by phone (`/v1/persons/search`, then the person's numbers are compared
in E.164), create a call log (`/v1/callLogs`) with outcome, numbers, UTC start and end and
duration, and attach the recording (`/v1/callLogs/{id}/recordings`, multipart). Call logs
cannot be edited in Pipedrive: a revised CDR deletes the old log and creates a new one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

import httpx

from cdrhub.calls.model import CallLeg
from cdrhub.calls.phones import to_e164
from cdrhub.calls.stitch import outcome_of
from cdrhub.crm.connectors.payload import end_time, from_to, national_digits, summary_text
from cdrhub.crm.settings import PipedriveSettings
from cdrhub.jobs.http import raise_for_outcome, retry_after, transport_error
from cdrhub.jobs.outbox import PermanentFailure, RetryLater

_OUTCOME = {
    "answered": "connected",
    "busy": "busy",
    "voicemail": "left_voicemail",
}


def pipedrive_time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def call_log_body(
    leg: CallLeg, person: tuple[int, int | None] | None, user_id: int | None
) -> dict[str, Any]:
    frm, to = from_to(leg)
    who = leg.customer_number or "unknown number"
    body: dict[str, Any] = {
        "subject": f"{'Call from' if leg.direction == 'in' else 'Call to'} {who}",
        "duration": str(leg.duration or 0),
        "outcome": _OUTCOME.get(outcome_of(leg.status), "no_answer"),
        "from_phone_number": frm,
        "to_phone_number": to or who,
        "start_time": pipedrive_time(leg.started_at),
        "end_time": pipedrive_time(end_time(leg)),
        "note": summary_text(leg),
    }
    if person:
        body["person_id"] = person[0]
        if person[1]:
            body["org_id"] = person[1]
    if user_id:
        body["user_id"] = user_id
    return {k: v for k, v in body.items() if v is not None}


class PipedriveApi:
    def __init__(self, cfg: PipedriveSettings, client: httpx.Client) -> None:
        self.cfg = cfg
        self.client = client

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.cfg.base_url.rstrip("/") + path
        params = {**kwargs.pop("params", {}), "api_token": self.cfg.api_token}
        try:
            response = self.client.request(
                method, url, params=params, timeout=self.cfg.timeout_seconds, **kwargs
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, f"Pipedrive {method} {path}") from exc
        if response.status_code == 429:
            wait = retry_after(response)
            if wait is None and (reset := response.headers.get("x-ratelimit-reset")):
                try:
                    wait = float(reset)
                except ValueError:
                    wait = None
            raise RetryLater(f"Pipedrive {method} {path}: rate limited", retry_after=wait)
        if response.status_code in (401, 403):
            raise PermanentFailure(f"Pipedrive {method} {path}: HTTP {response.status_code}")
        return response

    def find_person(self, e164: str, region: str) -> tuple[int, int | None] | None:
        """(person id, organization id) of a person with this number, or None."""
        term = national_digits(e164) or e164.lstrip("+")
        response = self._request(
            "GET", "/v1/persons/search", params={"term": term, "fields": "phone", "limit": 20}
        )
        raise_for_outcome(response, "Pipedrive person search")
        items = ((response.json().get("data") or {}).get("items")) or []
        for entry in items:
            person = entry.get("item") or {}
            phones = person.get("phones") or []
            if any(to_e164(str(p), region) == e164 for p in phones):
                org = person.get("organization") or {}
                return int(person["id"]), (int(org["id"]) if org.get("id") else None)
        return None

    def create_call_log(self, body: dict[str, Any]) -> str:
        response = self._request("POST", "/v1/callLogs", json=body)
        raise_for_outcome(response, "Pipedrive create call log")
        return str(response.json()["data"]["id"])

    def delete_call_log(self, call_log_id: str) -> None:
        response = self._request("DELETE", f"/v1/callLogs/{call_log_id}")
        if response.status_code not in (404, 410):
            raise_for_outcome(response, "Pipedrive delete call log")

    def attach_recording(
        self, call_log_id: str, audio: bytes | BinaryIO, filename: str, content_type: str
    ) -> None:
        response = self._request(
            "POST",
            f"/v1/callLogs/{call_log_id}/recordings",
            files={"file": (filename, audio, content_type)},
        )
        if response.status_code == 409:  # the log has its recording already
            return
        raise_for_outcome(response, "Pipedrive attach recording")
