"""CRM test helpers: ingest Voicenter-shaped CDRs through the real pipeline, run the outbox."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import cdrhub.automations.tables
import cdrhub.crm.tables
import cdrhub.jobs.tables  # noqa: F401
from cdrhub import domains
from cdrhub.config import Settings
from cdrhub.domains import job_handlers
from cdrhub.ingest.pipeline import Incoming, ingest
from cdrhub.jobs import outbox
from cdrhub.jobs.worker import Worker, WorkerConfig
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
    ingest(engine, items, domains.hooks(settings), RECEIVED)


def samples(*names: str) -> list[dict[str, Any]]:
    return [sample(n if n.endswith(".json") else f"{n}.json") for n in names]


def leg(**fields: Any) -> dict[str, Any]:
    """A CDR in Voicenter's wire shape, outgoing-answered unless overridden."""
    return {**sample("outgoing-answered.json"), **fields}


def run_jobs(engine: Engine, settings: Settings) -> int:
    config = WorkerConfig(lease_seconds=30, backoff_base_seconds=0.0, backoff_cap_seconds=0.0)
    return Worker(engine, settings, handlers=job_handlers(), config=config).run_until_idle(
        max_jobs=100
    )


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


# --- S3: moto's S3 in server mode on 127.0.0.1, reached through boto3 like a real bucket ---------

S3_REGION = "il-central-1"
S3_KEYS = {"access_key_id": "AKTEST", "secret_access_key": "secret/key"}


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of moto's server (a free port). Its request recorder (off until a test
    starts it) writes to a temporary file: the variable is read when moto is first imported."""
    recording = tmp_path_factory.mktemp("moto") / "requests.jsonl"
    os.environ.setdefault("MOTO_RECORDER_FILEPATH", str(recording))
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS credentials, profile or config of the machine, no instance-metadata lookups (no
    traffic beyond loopback); returns the folder of the (absent) shared config files."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
def s3_bucket(moto_server: str, aws_env: Path) -> dict[str, Any]:
    """A new bucket on the moto server; the `[crm.recordings.s3]` table that reaches it."""
    name = f"calls-{uuid.uuid4().hex[:12]}"
    s3_admin(moto_server).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
    )
    return {"endpoint": moto_server, "bucket": name, "region": S3_REGION, **S3_KEYS}


def s3_admin(endpoint: str) -> Any:
    """A boto3 client of our own to look into the bucket independently of the code under test."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id="admin",
        aws_secret_access_key="admin",
    )
