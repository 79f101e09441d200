"""CRM test helpers: ingest Voicenter-shaped CDRs through the real pipeline, run the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import cdrhub.automations.tables
import cdrhub.crm.tables  # noqa: F401  (puts the CRM tables on the shared metadata)
from cdrhub.automations import outbox
from cdrhub.automations.worker import Worker, WorkerConfig
from cdrhub.config import Settings
from cdrhub.pipeline import Incoming, build_hooks, ingest
from cdrhub.voicenter.normalize import normalize
from tests.conftest import sample

RECEIVED = datetime(2023, 11, 15, 18, 0, 0)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40

# The recording URL rules refuse loopback and hosts outside the allow-list; the tests' local
# servers (127.0.0.1) stand in for Voicenter's recording host, so they are allowed explicitly,
# the code included, as an operator would allow an internal host.
LOCAL_RECORDINGS = {
    "allowed_hosts": ["127.0.0.1"],
    "code_hosts": ["127.0.0.1"],
    "allowed_networks": ["127.0.0.1/32"],
}


def with_crm(settings: Settings, **sections: Any) -> Settings:
    """Settings with a `[crm]` table (sections as keyword arguments)."""
    return settings.with_(file={**settings.file, "crm": sections})


def store(settings: Settings, engine: Engine, *wires: Mapping[str, Any]) -> None:
    items = [Incoming(normalize(w, tz=settings.tz, received_at=RECEIVED), "json") for w in wires]
    ingest(engine, items, build_hooks(settings), RECEIVED)


def samples(*names: str) -> list[dict[str, Any]]:
    return [sample(n if n.endswith(".json") else f"{n}.json") for n in names]


def leg(**fields: Any) -> dict[str, Any]:
    """A CDR in Voicenter's wire shape, outgoing-answered unless overridden."""
    return {**sample("outgoing-answered.json"), **fields}


def run_jobs(engine: Engine, settings: Settings) -> int:
    config = WorkerConfig(lease_seconds=30, backoff_base_seconds=0.0, backoff_cap_seconds=0.0)
    return Worker(engine, settings, config=config).run_until_idle(max_jobs=100)


def jobs(engine: Engine, kind: str | None = None) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return outbox.list_jobs(conn, kind=kind)


def make_client(settings: Settings) -> TestClient:
    from cdrhub.web.app import create_app

    return TestClient(create_app(settings))


API = {"authorization": "Bearer test-api-key-0123456789"}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def api(settings: Settings) -> Iterable[TestClient]:
    with make_client(settings) as client:
        yield client
