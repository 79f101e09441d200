"""Every sample in every encoding normalizes to the same leg."""

from __future__ import annotations

import json
import xmlrpc.client
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.voicenter.decode import decode
from cdrhub.voicenter.normalize import normalize
from cdrhub.web.app import create_app
from tests.conftest import sample

SAMPLES = ["outgoing-answered.json", "queue-abandoned.json", "incoming-ivr-as-string.json",
           "click2call-leg1.json", "click2call-leg2.json"]  # fmt: skip
IL = ZoneInfo("Asia/Jerusalem")


def as_xmlrpc(wire: dict[str, Any]) -> tuple[bytes, str]:
    return xmlrpc.client.dumps((wire,), "cdr", allow_none=True).encode(), "text/xml"


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}[{k}]", v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(f"{prefix}[{i}]", v, out)
    else:
        out.append((prefix, "" if value is None else str(value)))


def as_form_brackets(wire: dict[str, Any]) -> tuple[bytes, str]:
    """What PHP's http_build_query sends: nested values as bracketed keys."""
    pairs: list[tuple[str, str]] = []
    for key, value in wire.items():
        _flatten(key, value, pairs)
    return urlencode(pairs).encode(), "application/x-www-form-urlencoded"


def as_form_json_ivr(wire: dict[str, Any]) -> tuple[bytes, str]:
    """Nested values as JSON strings in one field."""
    flat = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("" if v is None else v)
            for k, v in wire.items()}  # fmt: skip
    return urlencode(flat).encode(), "application/x-www-form-urlencoded"


def as_json(wire: dict[str, Any]) -> tuple[bytes, str]:
    return json.dumps(wire, ensure_ascii=False).encode(), "application/json"


ENCODERS = {
    "json": as_json,
    "xmlrpc": as_xmlrpc,
    "form": as_form_brackets,
    "form-json": as_form_json_ivr,
}


def comparable(wire: dict[str, Any]) -> dict[str, Any]:
    leg = normalize(wire, tz=IL).as_dict()
    leg.pop("raw")
    return leg


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_same_leg_in_every_encoding(name: str, encoding: str) -> None:
    wire = sample(name)
    body, ctype = ENCODERS[encoding](wire)
    decoded = decode(body, ctype)
    assert decoded.encoding == encoding.split("-")[0]
    assert comparable(decoded.records[0]) == comparable(wire)


@pytest.mark.parametrize("encoding", ["xmlrpc", "form", "form-json"])
def test_redelivery_in_another_encoding_is_a_duplicate(settings: Settings, encoding: str) -> None:
    app = create_app(settings)
    client = TestClient(app)
    for name in SAMPLES:
        wire = sample(name)
        for body, ctype in (as_json(wire), ENCODERS[encoding](wire)):
            response = client.post(
                "/voicenter/cdr/test-ingest-token-0123456789",
                content=body,
                headers={"content-type": ctype},
            )
            assert response.status_code == 200
        call = client.get(
            f"/api/calls/{wire['ivruniqueid']}",
            headers={"authorization": "Bearer test-api-key-0123456789"},
        ).json()
        assert (call["deliveries"], call["revision"]) == (2, 1)
    app.state.engine.dispose()
