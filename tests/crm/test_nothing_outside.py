"""Nothing leaves the machine unless configured: with no settings, CDRs that carry recording
URLs, customer numbers and agents enqueue no outbound job of any kind; archiving recordings is
on only with `[crm.recordings] enabled = true`."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from cdrhub.config import Settings
from cdrhub.crm.tables import recordings
from cdrhub.jobs.tables import outbox_jobs
from tests.conftest import sample_bytes
from tests.crm.conftest import make_client, with_crm

SAMPLES = ("queue-abandoned.json", "outgoing-answered.json", "click2call-leg1.json",
           "click2call-leg2.json", "incoming-ivr-as-string.json")  # fmt: skip
URL = "/voicenter/cdr/test-ingest-token-0123456789"


def _post_samples(settings: Settings) -> None:
    with make_client(settings) as client:
        for name in SAMPLES:
            answer = client.post(
                URL, content=sample_bytes(name), headers={"content-type": "application/json"}
            )
            assert answer.json() == {"Err": 0, "Errdesc": "OK"}


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        query = select(outbox_jobs.c.kind, outbox_jobs.c.key).order_by(outbox_jobs.c.key)
        return [(kind, key) for kind, key in conn.execute(query)]


def _noted_recordings(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(recordings)).scalar_one())


def test_no_settings_enqueue_nothing(settings: Settings, engine: Engine) -> None:
    _post_samples(settings)
    assert _outbox(engine) == []
    assert _noted_recordings(engine) == 0


def test_archiving_configured_enqueues_each_recording(settings: Settings, engine: Engine) -> None:
    _post_samples(with_crm(settings, recordings={"enabled": True}))
    assert [kind for kind, _key in _outbox(engine)] == ["crm.recording"] * 3
    assert [key.rsplit(":", 1)[0] for _kind, key in _outbox(engine)] == [
        "crm.recording:20231115092000abcd1234",
        "crm.recording:20231115145320zxcv9012",
        "crm.recording:20231115174005legB0002",
    ]
    assert _noted_recordings(engine) == 3
