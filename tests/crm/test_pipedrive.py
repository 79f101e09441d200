"""Pipedrive connector: the real client against a local Pipedrive stand-in, through the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cdrhub.config import Settings
from tests.crm.conftest import LOCAL_RECORDINGS, MP3, jobs, run_jobs, samples, store, with_crm
from tests.crm.fakes import FakeServer, Reply
from tests.crm.vendors import FakePipedrive

ID = "20231115092000abcd1234"


@pytest.fixture
def pipedrive() -> FakePipedrive:
    fake = FakePipedrive()
    with fake.server:
        yield fake


@pytest.fixture
def audio_host() -> FakeServer:
    with FakeServer(lambda seen: Reply(200, MP3, {"content-type": "audio/mpeg"})) as host:
        yield host


def _settings(settings: Settings, pipedrive: FakePipedrive, tmp_path, **extra) -> Settings:  # type: ignore[no-untyped-def]
    cfg = {"api_token": FakePipedrive.TOKEN, "base_url": pipedrive.server.url, **extra}
    recordings = {
        "enabled": False,
        "local_dir": str(tmp_path / "rec"),
        "voicenter_code": "VC",
        **LOCAL_RECORDINGS,
    }
    return with_crm(settings, pipedrive=cfg, recordings=recordings)


def _wire(audio_host: FakeServer) -> dict:
    wire = samples("outgoing-answered")[0]
    return {**wire, "record": f"{audio_host.url}/PlayRecord/{ID}-aws.mp3"}


def test_call_log_on_the_person_with_its_recording(
    settings: Settings, engine: Engine, pipedrive: FakePipedrive, audio_host: FakeServer, tmp_path
) -> None:
    pipedrive.add_person(7, "Dana", ["050-123-4567"], org=3)
    pipedrive.add_person(8, "Not Dana", ["+972 50 123 4568"])
    settings = _settings(settings, pipedrive, tmp_path, user_id=42)
    store(settings, engine, _wire(audio_host))
    run_jobs(engine, settings)
    search = pipedrive.server.seen("GET", "/v1/persons/search")[0]
    assert search.query == {
        "term": "501234567",
        "fields": "phone",
        "limit": "20",
        "api_token": FakePipedrive.TOKEN,
    }
    ((log_id, log),) = pipedrive.logs.items()
    assert log == {
        "subject": "Call to +972501234567",
        "duration": "11",
        "outcome": "connected",
        "from_phone_number": "+972722776772",
        "to_phone_number": "+972501234567",
        "start_time": "2023-11-15 07:20:00",
        "end_time": "2023-11-15 07:20:13",  # 2 s ringing + 11 s talk
        "note": log["note"],
        "person_id": 7,
        "org_id": 3,
        "user_id": 42,
    }
    assert ID in log["note"]
    filename, content_type, body = pipedrive.recordings[log_id]
    assert (filename, content_type, body) == (f"{ID}.mp3", "audio/mpeg", MP3)
    assert audio_host.requests[0].query == {"code": "VC"}
    (job,) = jobs(engine, "crm.pipedrive")
    assert job["status"] == "done"
    assert job["result"] == {
        "call_log_id": log_id,
        "person_id": "7",
        "action": "created",
        "recording": "attached",
    }


def test_revised_cdr_replaces_the_call_log(
    settings: Settings, engine: Engine, pipedrive: FakePipedrive, audio_host: FakeServer, tmp_path
) -> None:
    pipedrive.add_person(7, "Dana", ["+972501234567"])
    settings = _settings(settings, pipedrive, tmp_path, attach_recordings=False)
    wire = _wire(audio_host)
    store(settings, engine, wire)
    run_jobs(engine, settings)
    (first,) = pipedrive.logs
    store(settings, engine, {**wire, "duration": 40})
    run_jobs(engine, settings)
    ((second, log),) = pipedrive.logs.items()
    assert pipedrive.deleted == [first] and second != first
    assert log["duration"] == "40" and log["end_time"] == "2023-11-15 07:20:42"
    assert not audio_host.requests


def test_retry_after_rate_limit_and_partial_progress(
    settings: Settings, engine: Engine, pipedrive: FakePipedrive, audio_host: FakeServer, tmp_path
) -> None:
    """429 on the search, then 500 on the recording upload: the retry does not log twice."""
    pipedrive.add_person(7, "Dana", ["+972501234567"])
    settings = _settings(settings, pipedrive, tmp_path)
    limited = Reply(
        429,
        {"success": False, "error": "Too many requests", "errorCode": 429},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"},
    )
    pipedrive.server.script.append(limited)
    original = pipedrive.route

    def failing_upload_once(seen):  # type: ignore[no-untyped-def]
        if seen.path.endswith("/recordings") and not getattr(failing_upload_once, "done", False):
            failing_upload_once.done = True  # type: ignore[attr-defined]
            return Reply(500, {"success": False, "error": "internal", "errorCode": 500})
        return original(seen)

    pipedrive.server.route = failing_upload_once
    store(settings, engine, _wire(audio_host))
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.pipedrive")
    assert job["status"] == "done" and job["attempts"] == 3
    assert len(pipedrive.logs) == 1 and len(pipedrive.recordings) == 1
    assert len(pipedrive.server.seen("POST", "/v1/callLogs")) == 1


def test_unknown_caller_is_logged_without_a_person_or_skipped(
    settings: Settings, engine: Engine, pipedrive: FakePipedrive, audio_host: FakeServer, tmp_path
) -> None:
    settings = _settings(settings, pipedrive, tmp_path, attach_recordings=False)
    store(settings, engine, *samples("queue-abandoned"))
    run_jobs(engine, settings)
    (log,) = pipedrive.logs.values()
    assert "person_id" not in log and log["outcome"] == "no_answer"
    assert log["from_phone_number"] == "+972501234567"
    assert log["to_phone_number"] == "+972722776772"


def test_unknown_caller_skipped_when_set(
    settings: Settings, engine: Engine, pipedrive: FakePipedrive, tmp_path
) -> None:
    settings = _settings(settings, pipedrive, tmp_path, log_unknown_callers=False)
    store(settings, engine, *samples("queue-abandoned"))
    run_jobs(engine, settings)
    assert jobs(engine, "crm.pipedrive")[0]["status"] == "skipped" and not pipedrive.logs


def test_recording_that_is_not_audio_leaves_the_log_without_it(
    settings: Settings, engine: Engine, pipedrive: FakePipedrive, tmp_path
) -> None:
    pipedrive.add_person(7, "Dana", ["+972501234567"])
    settings = _settings(settings, pipedrive, tmp_path)
    with FakeServer(lambda seen: Reply(200, "<html>login</html>")) as host:
        store(settings, engine, {**samples("outgoing-answered")[0], "record": f"{host.url}/r"})
        run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.pipedrive")
    assert job["status"] == "done" and job["result"]["recording"].startswith("not attached")
    assert "HTML page" in job["result"]["recording"]
    assert len(pipedrive.logs) == 1 and not pipedrive.recordings


def test_bad_token_is_dead(settings: Settings, engine: Engine, pipedrive: FakePipedrive) -> None:
    settings = with_crm(
        settings,
        pipedrive={"api_token": "nope", "base_url": pipedrive.server.url},
        recordings={"enabled": False},
    )
    store(settings, engine, *samples("outgoing-answered"))
    run_jobs(engine, settings)
    (job,) = jobs(engine, "crm.pipedrive")
    assert job["status"] == "dead" and "401" in job["last_error"]
