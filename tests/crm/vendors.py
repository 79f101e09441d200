"""HubSpot and Pipedrive stand-ins that follow the vendors' documented requests, responses and
errors closely enough for the connectors' real client code (see docs/crm.md for the sources)."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

from tests.crm.fakes import FakeServer, Reply, Seen

_CALLS = re.compile(r"^/crm/v3/objects/calls/(\w+)$")
_LOG = re.compile(r"^/v1/callLogs/([\w-]+)$")
_LOG_REC = re.compile(r"^/v1/callLogs/([\w-]+)/recordings$")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


class FakeHubSpot:
    TOKEN = "pat-na1-test"

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(501)
        self.server = FakeServer(self.route)

    def add_contact(self, **props: str) -> str:
        cid = str(next(self.ids))
        self.contacts[cid] = props
        return cid

    @staticmethod
    def _error(status: int, category: str, message: str) -> Reply:
        body = {
            "status": "error",
            "message": message,
            "category": category,
            "correlationId": str(uuid.uuid4()),
        }
        return Reply(status, body)

    def _match(self, props: dict[str, Any], f: dict[str, Any]) -> bool:
        name, op, value = f["propertyName"], f["operator"], str(f.get("value", ""))
        if name.startswith("hs_searchable_calculated_"):
            source = props.get("mobilephone" if "mobile" in name else "phone") or ""
            digits = _digits(source)
            return op == "EQ" and bool(digits) and digits.endswith(value)
        have = str(props.get(name) or "")
        if op == "EQ":
            return have == value
        if op == "CONTAINS_TOKEN":
            return value in re.split(r"[\s:,.;]+", have)
        return False

    def _search(self, objects: dict[str, dict[str, Any]], seen: Seen) -> Reply:
        body = seen.json()
        if len(body.get("filterGroups", [])) > 5:
            return self._error(400, "VALIDATION_ERROR", "Too many filter groups")
        hits = [
            {"id": oid, "properties": {k: props.get(k) for k in body.get("properties", [])}}
            for oid, props in objects.items()
            if any(
                all(self._match(props, f) for f in group["filters"])
                for group in body["filterGroups"]
            )
        ]
        return Reply(200, {"total": len(hits), "results": hits[: body.get("limit", 10)]})

    def route(self, seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return self._error(
                401, "INVALID_AUTHENTICATION", "Authentication credentials not found."
            )
        if seen.method == "POST" and seen.path == "/crm/v3/objects/contacts/search":
            return self._search(self.contacts, seen)
        if seen.method == "POST" and seen.path == "/crm/v3/objects/calls/search":
            return self._search({k: v["properties"] for k, v in self.calls.items()}, seen)
        if seen.method == "POST" and seen.path == "/crm/v3/objects/contacts":
            cid = self.add_contact(**seen.json()["properties"])
            return Reply(201, {"id": cid, "properties": self.contacts[cid]})
        if seen.method == "POST" and seen.path == "/crm/v3/objects/calls":
            body = seen.json()
            if "hs_timestamp" not in body["properties"]:
                return self._error(400, "VALIDATION_ERROR", "hs_timestamp is required")
            for assoc in body.get("associations", []):
                if assoc["to"]["id"] not in self.contacts:
                    return self._error(400, "VALIDATION_ERROR", "contact does not exist")
            call_id = str(next(self.ids))
            self.calls[call_id] = body
            return Reply(201, {"id": call_id, "properties": body["properties"]})
        if seen.method == "PATCH" and (m := _CALLS.match(seen.path)):
            call = self.calls.get(m.group(1))
            if call is None:
                return self._error(404, "OBJECT_NOT_FOUND", "resource not found")
            call["properties"].update(seen.json()["properties"])
            return Reply(200, {"id": m.group(1), "properties": call["properties"]})
        return self._error(404, "NOT_FOUND", f"no route {seen.method} {seen.path}")


RATE_LIMITED = Reply(
    429,
    {
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "SECONDLY",
    },
    {"retry-after": "0"},
)


class FakePipedrive:
    TOKEN = "pd-test-token"

    def __init__(self) -> None:
        self.persons: dict[int, dict[str, Any]] = {}
        self.logs: dict[str, dict[str, Any]] = {}
        self.recordings: dict[str, tuple[str | None, str, bytes]] = {}
        self.deleted: list[str] = []
        self.server = FakeServer(self.route)

    def add_person(self, pid: int, name: str, phones: list[str], org: int | None = None) -> None:
        self.persons[pid] = {"id": pid, "name": name, "phones": phones, "org": org}

    @staticmethod
    def _error(status: int, message: str) -> Reply:
        return Reply(status, {"success": False, "error": message, "errorCode": status})

    def route(self, seen: Seen) -> Reply:
        if seen.query.get("api_token") != self.TOKEN:
            return self._error(401, "unauthorized access")
        if seen.method == "GET" and seen.path == "/v1/persons/search":
            term = seen.query.get("term", "")
            if len(term) < 2 or seen.query.get("fields") != "phone":
                return self._error(400, "term must be at least 2 characters")
            items = [
                {
                    "result_score": 0.9,
                    "item": {
                        "id": p["id"],
                        "type": "person",
                        "name": p["name"],
                        "phones": p["phones"],
                        "emails": [],
                        "organization": {"id": p["org"], "name": "Org"} if p["org"] else None,
                    },
                }
                for p in self.persons.values()
                if any(_digits(term) in _digits(n) for n in p["phones"])
            ]
            return Reply(
                200,
                {
                    "success": True,
                    "data": {"items": items},
                    "additional_data": {
                        "pagination": {"start": 0, "limit": 20, "more_items_in_collection": False}
                    },
                },
            )
        if seen.method == "POST" and seen.path == "/v1/callLogs":
            body = seen.json()
            missing = [
                k
                for k in ("to_phone_number", "outcome", "start_time", "end_time")
                if not body.get(k)
            ]
            if missing:
                return self._error(400, f"missing {missing}")
            if body["outcome"] not in (
                "connected",
                "no_answer",
                "left_message",
                "left_voicemail",
                "wrong_number",
                "busy",
            ):
                return self._error(400, "invalid outcome")
            log_id = uuid.uuid4().hex
            self.logs[log_id] = body
            return Reply(
                200, {"success": True, "data": {"id": log_id, **body, "has_recording": False}}
            )
        if seen.method == "DELETE" and (m := _LOG.match(seen.path)):
            if self.logs.pop(m.group(1), None) is None:
                return self._error(410, "call log is gone")
            self.deleted.append(m.group(1))
            return Reply(200, {"success": True})
        if seen.method == "POST" and (m := _LOG_REC.match(seen.path)):
            log_id = m.group(1)
            if log_id not in self.logs:
                return self._error(404, "call log not found")
            if log_id in self.recordings:
                return self._error(409, "recording already attached")
            self.recordings[log_id] = seen.multipart()["file"]
            return Reply(200, {"success": True})
        return self._error(404, "not found")
