"""The OpenAPI document says what the API takes and answers: every report's path lists
exactly the filters and parameters it reads, every answer with a body has a schema, and every
route states the secret it needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdrhub.config import load_settings
from cdrhub.web.app import create_app

RANGE_AND_DIMS = ["from", "to", "department", "queue", "agent", "type"]
REPORT_PARAMETERS = {
    "agents": [*RANGE_AND_DIMS, "sort"],
    "countries": RANGE_AND_DIMS,
    "peak-hours": RANGE_AND_DIMS,
    "queues": [*RANGE_AND_DIMS, "by"],
    "ivr": RANGE_AND_DIMS,
    "overview": RANGE_AND_DIMS,
    "repeat-callers": [*RANGE_AND_DIMS, "min_calls"],
    "cost": [*RANGE_AND_DIMS, "by"],
    "callbacks": ["from", "to", "department", "queue", "agent", "by", "within_hours"],
}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    path: Path = tmp_path_factory.mktemp("openapi") / "openapi.db"
    settings = load_settings(
        env={},
        database_url=f"sqlite:///{path}",
        ingest_token="test-ingest-token-0123456789",
        api_key="test-api-key-0123456789",
        run_worker=False,
        ingest_writer="thread",
    )
    app = create_app(settings)
    yield app.openapi()
    app.state.engine.dispose()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_each_report_path_lists_exactly_its_parameters(spec: dict[str, Any]) -> None:
    reports = {
        path.removeprefix("/api/reports/"): [p["name"] for p in item["get"]["parameters"]]
        for path, item in spec["paths"].items()
        if path.startswith("/api/reports/")
    }
    # each report's own, then `format` (json or csv) on every one
    assert reports == {name: [*params, "format"] for name, params in REPORT_PARAMETERS.items()}


def test_report_choices_are_declared(spec: dict[str, Any]) -> None:
    def choices(report: str, name: str) -> list[str]:
        params = spec["paths"][f"/api/reports/{report}"]["get"]["parameters"]
        schema = next(p["schema"] for p in params if p["name"] == name)
        return next(s["enum"] for s in schema["anyOf"] if "enum" in s)

    assert choices("agents", "sort") == ["incoming", "outgoing"]
    assert choices("cost", "by") == ["department", "agent", "type", "country"]
    assert choices("queues", "by") == ["queue", "day"]
    assert choices("callbacks", "by") == ["none", "queue", "day", "agent"]


def test_every_answer_with_a_body_has_a_schema(spec: dict[str, Any]) -> None:
    missing = []
    for path, method, operation in _operations(spec):
        for code, response in operation["responses"].items():
            if not code.startswith("2") or code == "204":
                continue
            content = response.get("content") or {"(none)": {}}
            missing += [
                f"{method} {path} {code} {kind}"
                for kind, body in content.items()
                if not body.get("schema")
            ]
    assert missing == []


NAMED = ("/api/reports", "/api/jobs", "/api/callbacks", "/api/optouts", "/api/notifications",
         "/api/contacts", "/api/embed-links", "/api/calls")  # fmt: skip


def test_the_domains_json_answers_are_named_schemas(spec: dict[str, Any]) -> None:
    unnamed = []
    for path, method, operation in _operations(spec):
        if not path.startswith(NAMED):
            continue
        for code, response in operation["responses"].items():
            body = response.get("content", {}).get("application/json")
            if code.startswith("2") and body is not None and "$ref" not in body["schema"]:
                unnamed.append(f"{method} {path} {code}")
    assert unnamed == []
    schemas = spec["components"]["schemas"]
    assert set(schemas["Contact"]["properties"]) == {
        "id", "name", "company", "email", "phones", "external_ids", "created_at", "updated_at"
    }  # fmt: skip
    assert set(schemas["CallbackList"]["properties"]) == {"items", "open"}
    assert set(schemas["ReportAnswer"]["properties"]) == {
        "report", "filters", "settings", "formula", "rows"
    }  # fmt: skip


def test_every_api_route_needs_the_api_key(spec: dict[str, Any]) -> None:
    api = [(p, m, op.get("security")) for p, m, op in _operations(spec) if p.startswith("/api")]
    assert len(api) >= 30
    assert [(p, m) for p, m, security in api if security != [{"HTTPBearer": []}]] == []
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The API key (CDRHUB_API_KEY)",
    }


def test_the_webhook_declares_the_ingest_token(spec: dict[str, Any]) -> None:
    webhook = {
        (path, method): operation.get("security")
        for path, method, operation in _operations(spec)
        if path.startswith("/voicenter/")
    }
    elsewhere = [{"IngestToken": []}, {"IngestBasic": []}]
    assert webhook == {
        ("/voicenter/cdr/{token}", "get"): [*elsewhere, {}],
        ("/voicenter/cdr/{token}", "post"): [*elsewhere, {}],
        ("/voicenter/cdr", "get"): elsewhere,
        ("/voicenter/cdr", "post"): elsewhere,
    }
    schemes = spec["components"]["securitySchemes"]
    assert schemes["IngestToken"] == {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The ingest token",
    }
    assert schemes["IngestBasic"]["scheme"] == "basic"


def test_the_open_routes_need_nothing(spec: dict[str, Any]) -> None:
    assert [
        (p, m)
        for p, m, op in _operations(spec)
        if p in ("/healthz", "/readyz", "/metrics") and "security" in op
    ] == []
