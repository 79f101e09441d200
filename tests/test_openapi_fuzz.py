"""Schemathesis against the app's own OpenAPI, in-process (ASGI), on both engines: over every
operation, with and without valid input, no answer is a 5xx and every answer is one the
schema declares (status code, content type, body).

The notification stream is left out: it never ends by design (tests/automations/test_api.py
covers its parameters). Examples are few and derandomized so that CI is repeatable and quick.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from cdrhub.web.app import create_app
from tests.analytics.helpers import answered_in_queue, outgoing, store, wire

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
INGEST_TOKEN = "test-ingest-token-0123456789"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
NEVER_ENDS = {"/api/notifications/stream"}
EXAMPLES = {"sqlite": 40, "postgres": 20}


@pytest.fixture
def stocked_app(settings, engine) -> Iterator[FastAPI]:
    """The app on a database holding a few calls, a contact and an opt-out."""
    store(engine, settings, [
        answered_in_queue("2024-01-10 09:00:00", 10, "A1", 5, 60),
        outgoing("2024-01-10 10:00:00", "A1", "0521234567"),
        wire("2024-01-11 09:00:00", "Queue", "ABANDONE", queueid=10, queuename="Q10"),
    ])  # fmt: skip
    app = create_app(settings)
    client = TestClient(app)
    body = {"name": "Dana", "phones": ["0501234567"], "external_ids": {"hubspot": "7"}}
    assert client.post("/api/contacts", json=body, headers=AUTH).status_code == 201
    assert client.post("/api/optouts", json={"number": "0527654321"}, headers=AUTH).is_success
    yield app
    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan; end it here
    app.state.engine.dispose()


def _fuzz(operation, mode: GenerationMode, examples: int) -> None:
    # the webhook with its real token, so that bodies get past authentication
    known = {"token": INGEST_TOKEN} if operation.path == "/voicenter/cdr/{token}" else None
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=known)

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    run()


@pytest.mark.slow
def test_every_operation_answers_as_declared(stocked_app: FastAPI, db_url: str) -> None:
    examples = EXAMPLES["postgres" if db_url.startswith("postgresql") else "sqlite"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", stocked_app)
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in NEVER_ENDS:
            continue
        tried += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, examples)
            except Unsatisfiable:
                pass  # no parameters to get wrong
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert tried >= 30
    assert failures == []
