"""The recording archive: download with the API code, retries on 429, refusal of HTML, checksum,
local and S3 storage, serving to authorised users, pruning."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cdrhub.config import Settings
from cdrhub.crm.recordings.archive import archive_recording, prune_recordings
from cdrhub.crm.recordings.audio import describe_non_audio, sniff_audio
from cdrhub.crm.recordings.fetch import download_recording, redact, with_code
from cdrhub.crm.recordings.spool import MEMORY_BYTES
from cdrhub.crm.recordings.storage import LocalStorage, make_storage
from cdrhub.crm.settings import RecordingSettings
from cdrhub.crm.tables import recordings
from cdrhub.jobs.outbox import PermanentFailure, RetryLater
from tests.crm.conftest import (
    API,
    LOCAL_RECORDINGS,
    MP3,
    S3_KEYS,
    WAV,
    jobs,
    leg,
    make_client,
    run_jobs,
    s3_admin,
    store,
    with_crm,
)
from tests.crm.fakes import FakeServer, Reply

HTML = b"<!DOCTYPE html><html><body>Please log in</body></html>"
ID = "20231115092000abcd1234"


def test_audio_is_recognised_by_its_bytes() -> None:
    assert sniff_audio(MP3).extension == "mp3"
    assert sniff_audio(b"\xff\xfb\x90\x00rest").extension == "mp3"
    assert sniff_audio(WAV).extension == "wav"
    assert sniff_audio(b"OggS\x00\x02").extension == "ogg"
    assert sniff_audio(b"\x00\x00\x00\x20ftypM4A ").extension == "m4a"
    assert sniff_audio(HTML) is None
    assert sniff_audio(b'{"error":"not found"}') is None
    assert sniff_audio(b"") is None
    assert "HTML page" in describe_non_audio(HTML, "audio/mpeg")
    assert "empty" in describe_non_audio(b"", None)


def test_api_code_is_appended_and_redacted() -> None:
    url = "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/x-aws.mp3"
    assert with_code(url, "ABC") == url + "?code=ABC"
    assert with_code(url + "?a=1", "ABC") == url + "?a=1&code=ABC"
    assert with_code(url + "?code=OLD", "ABC") == url + "?code=OLD"
    assert with_code(url, None) == url
    assert redact(url + "?code=ABC") == url + "?code=***"


def _cfg(tmp_path: Path, **kw) -> dict:  # type: ignore[no-untyped-def]
    return {
        "enabled": True,
        "local_dir": str(tmp_path / "rec"),
        "voicenter_code": "C0DE",
        "backoff_seconds": 0.01,
        "max_wait_seconds": 5,
        **LOCAL_RECORDINGS,
        **kw,
    }


def _local(**kw) -> RecordingSettings:  # type: ignore[no-untyped-def]
    """Settings allowing the local test server, as load_crm_settings would build them."""
    return RecordingSettings(**{k: tuple(v) for k, v in LOCAL_RECORDINGS.items()}, **kw)


def _big_mp3(size: int) -> bytes:
    """An MP3-looking body of `size` bytes that differ from each other (ranges are checkable)."""
    return (MP3[:10] + os.urandom(size))[:size]


def _host(body: bytes = MP3, content_type: str = "audio/mpeg") -> FakeServer:
    return FakeServer(lambda seen: Reply(200, body, {"content-type": content_type}))


def _row(engine: Engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(recordings)).mappings().one())


def test_archived_checksummed_served_and_preferred(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    with _host() as host:
        store(settings, engine, leg(record=f"{host.url}/PlayRecord/{ID}-aws.mp3"))
        assert [j["kind"] for j in jobs(engine, "crm.recording")] == ["crm.recording"]
        run_jobs(engine, settings)
        (seen,) = host.requests
        assert seen.path == f"/PlayRecord/{ID}-aws.mp3" and seen.query == {"code": "C0DE"}
    row = _row(engine)
    assert row["status"] == "archived" and row["storage"] == "local"
    assert row["sha256"] == hashlib.sha256(MP3).hexdigest()
    assert row["object_key"] == f"2023/11/15/{ID}.mp3"
    assert (tmp_path / "rec" / row["object_key"]).read_bytes() == MP3
    assert jobs(engine, "crm.recording")[0]["status"] == "done"

    with make_client(settings) as client:
        call = client.get("/api/contacts/0501234567/timeline", headers=API).json()["calls"][0]
        assert call["recording_url"] == f"/api/recordings/{ID}"
        assert call["recordings"][0]["archived"] and call["recordings"][0]["sha256"]
        assert client.get(f"/api/recordings/{ID}").status_code == 401
        got = client.get(f"/api/recordings/{ID}", headers=API)
        assert got.status_code == 200 and got.content == MP3
        assert got.headers["content-type"] == "audio/mpeg"
        part = client.get(f"/api/recordings/{ID}", headers={**API, "range": "bytes=0-3"})
        assert part.status_code == 206 and part.content == MP3[:4]
        assert part.headers["content-range"] == f"bytes 0-3/{len(MP3)}"


def test_a_large_recording_is_streamed_to_disk_and_served_back_exactly(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    audio = _big_mp3(3 * MEMORY_BYTES + 7)
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    with _host(audio) as host:
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
    row = _row(engine)
    digest = hashlib.sha256(audio).hexdigest()
    assert (row["status"], row["size_bytes"], row["sha256"]) == ("archived", len(audio), digest)
    assert (tmp_path / "rec" / row["object_key"]).read_bytes() == audio
    size = len(audio)
    with make_client(settings) as client:
        got = client.get(f"/api/recordings/{ID}", headers=API)
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == digest
        assert got.headers["content-length"] == str(size)
        for asked, first, last in [
            ("bytes=0-0", 0, 0),
            ("bytes=65530-65545", 65530, 65545),  # across two read chunks
            (f"bytes={size - 100}-", size - 100, size - 1),
            (f"bytes={size - 3}-{size + 50}", size - 3, size - 1),  # clipped to the end
            ("bytes=-1", size - 1, size - 1),
        ]:
            part = client.get(f"/api/recordings/{ID}", headers={**API, "range": asked})
            assert part.status_code == 206, asked
            assert part.content == audio[first : last + 1], asked
            assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
            assert part.headers["content-length"] == str(last - first + 1)
            assert part.headers["accept-ranges"] == "bytes"
            assert part.headers["x-content-sha256"] == digest
        for asked in (f"bytes={size}-", "bytes=9-3"):
            bad = client.get(f"/api/recordings/{ID}", headers={**API, "range": asked})
            assert bad.status_code == 416 and bad.content == b""
            assert bad.headers["content-range"] == f"bytes */{size}"
        whole = client.get(f"/api/recordings/{ID}", headers={**API, "range": "items=0-1"})
        assert whole.status_code == 200 and len(whole.content) == size


def test_memory_use_does_not_grow_with_the_recording(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """Downloading and storing a 32 MiB recording allocates a few MiB at most (the old code held
    the chunks and their join: twice the recording)."""
    audio = _big_mp3(32 * 1024 * 1024)
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    cfg = _local(local_dir=tmp_path / "rec", max_bytes=64 * 1024 * 1024)
    with _host(audio) as host:
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        tracemalloc.start()
        try:
            done = archive_recording(
                engine, ID, cfg, LocalStorage(cfg.local_dir), now=datetime(2024, 1, 1)
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert done["bytes"] == len(audio) and done["sha256"] == hashlib.sha256(audio).hexdigest()
    assert peak < 6 * 1024 * 1024, peak


def test_a_recording_over_max_bytes_is_refused(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path, max_bytes=len(MP3) - 1))
    with _host() as host:
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
    row = _row(engine)
    assert row["status"] == "failed"
    assert row["error"] == f"recording larger than {len(MP3) - 1} bytes"
    assert not (tmp_path / "rec").exists()
    assert jobs(engine, "crm.recording")[0]["status"] == "dead"


def test_redelivery_does_not_download_again(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    with _host() as host:
        wire = leg(record=f"{host.url}/r.mp3")
        store(settings, engine, wire)
        store(settings, engine, wire)  # the same CDR again
        store(settings, engine, {**wire, "price": 8})  # revised, same recording
        run_jobs(engine, settings)
        assert len(host.requests) == 1
        store(settings, engine, {**wire, "record": f"{host.url}/other.mp3"})  # a new URL
        run_jobs(engine, settings)
        assert [r.path for r in host.requests] == ["/r.mp3", "/other.mp3"]


def test_html_instead_of_audio_is_refused(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    with _host(HTML, "audio/mpeg") as host:  # a login page that claims to be audio
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
    row = _row(engine)
    assert row["status"] == "failed" and "HTML page" in row["error"]
    assert row["sha256"] is None and not (tmp_path / "rec").exists()
    (job,) = jobs(engine, "crm.recording")
    assert job["status"] == "dead" and "HTML" in job["last_error"]


def test_rate_limited_then_served_within_one_job(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    with _host() as host:
        host.script += [Reply(429, "slow down", {"retry-after": "0"})] * 2
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
        assert len(host.requests) == 3
    assert _row(engine)["status"] == "archived"
    assert jobs(engine, "crm.recording")[0]["attempts"] == 1


def test_long_rate_limit_hands_the_retry_to_the_outbox(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path))
    with _host() as host:
        host.script.append(Reply(429, "", {"retry-after": "120"}))
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
        (job,) = jobs(engine, "crm.recording")
        assert job["status"] == "pending" and "HTTP 429" in job["last_error"]
        assert job["run_at"] >= datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=100)
        assert _row(engine)["status"] == "pending"


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(503, "busy"), RetryLater),
        (Reply(404, "no such"), RetryLater),  # the recording may not be there yet
        (Reply(403, "forbidden"), PermanentFailure),
        (Reply(200, b'{"ERR":"bad code"}', {"content-type": "application/json"}), PermanentFailure),
    ],
)
def test_failures(reply: Reply, outcome: type[Exception]) -> None:
    cfg = _local(attempts=2, backoff_seconds=0.0)
    with FakeServer(lambda seen: reply) as host:
        with pytest.raises(outcome):
            download_recording(f"{host.url}/r.mp3", cfg, sleep=lambda s: None)
        if reply.status == 503:
            assert len(host.requests) == 2  # retried in the job, then handed to the outbox


def test_network_error_is_transient() -> None:
    cfg = _local(attempts=1)
    with pytest.raises(RetryLater):
        download_recording("http://127.0.0.1:9/r.mp3", cfg)


def test_prune_old_recordings(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    settings = with_crm(settings, recordings=_cfg(tmp_path, retain_days=30))
    with _host() as host:
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
    path = tmp_path / "rec" / _row(engine)["object_key"]
    assert path.exists()
    storage = LocalStorage(tmp_path / "rec")
    now = datetime(2023, 12, 1)
    assert prune_recordings(engine, storage, older_than=timedelta(days=30), now=now) == 0
    assert prune_recordings(engine, storage, older_than=timedelta(days=10), now=now) == 1
    assert not path.exists() and _row(engine)["status"] == "pruned"
    with make_client(settings) as client:
        call = client.get("/api/contacts/0501234567/timeline", headers=API).json()["calls"][0]
        assert call["recordings"][0]["archived"] is False
        # back to the source URL, which is handed out only when https on an allowed host: the
        # local server's plain http URL is not (test_timeline shows Voicenter's https URL)
        assert call["recording_url"] is None
        got = client.get(f"/api/recordings/{ID}", headers=API, follow_redirects=False)
        assert got.status_code == 404


def test_prune_command(settings: Settings, engine: Engine, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from cdrhub.cli import app

    config = tmp_path / "cdrhub.toml"
    config.write_text(f'[crm.recordings]\nlocal_dir = "{tmp_path / "rec"}"\nretain_days = 1\n')
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDRHUB_CONFIG", str(config))
    result = CliRunner().invoke(app, ["recordings", "prune"])
    assert result.exit_code == 0, result.output
    assert "0 recording(s) pruned" in result.output


# --- S3-compatible storage (moto's server, through boto3) ---------------------------------------


def test_archive_to_s3_and_serve_from_it(
    settings: Settings, engine: Engine, tmp_path: Path, s3_bucket: dict
) -> None:
    audio = _big_mp3(2 * MEMORY_BYTES + 12345)  # past the in-memory part of the download spool
    with _host(audio, "audio/mpeg") as host:
        settings = with_crm(
            settings, recordings={**_cfg(tmp_path), "storage": "s3", "s3": s3_bucket}
        )
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
    row = _row(engine)
    assert (row["status"], row["storage"], row["size_bytes"]) == ("archived", "s3", len(audio))
    assert row["sha256"] == hashlib.sha256(audio).hexdigest()
    stored = s3_admin(s3_bucket["endpoint"]).get_object(
        Bucket=s3_bucket["bucket"], Key=f"recordings/2023/11/15/{ID}.mp3"
    )
    assert stored["ContentType"] == "audio/mpeg" and stored["Body"].read() == audio
    assert not (tmp_path / "rec").exists()

    with make_client(settings) as client:
        got = client.get(f"/api/recordings/{ID}", headers=API)
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == row["sha256"]
        assert got.headers["content-length"] == str(len(audio))
        assert got.headers["x-content-sha256"] == row["sha256"]
        first, last = MEMORY_BYTES - 10, MEMORY_BYTES + 70_000  # across chunks
        part = client.get(
            f"/api/recordings/{ID}", headers={**API, "range": f"bytes={first}-{last}"}
        )
        assert part.status_code == 206 and part.content == audio[first : last + 1]
        assert part.headers["content-range"] == f"bytes {first}-{last}/{len(audio)}"
        assert part.headers["content-length"] == str(last - first + 1)
        assert part.headers["accept-ranges"] == "bytes"
        tail = client.get(f"/api/recordings/{ID}", headers={**API, "range": "bytes=-5"})
        assert tail.status_code == 206 and tail.content == audio[-5:]

    from cdrhub.crm.settings import load_crm_settings

    storage = make_storage(load_crm_settings(settings).recordings)
    n = prune_recordings(engine, storage, older_than=timedelta(days=1), now=datetime(2024, 1, 1))
    assert n == 1 and _row(engine)["status"] == "pruned"
    listed = s3_admin(s3_bucket["endpoint"]).list_objects_v2(Bucket=s3_bucket["bucket"])
    assert listed["KeyCount"] == 0
    with make_client(settings) as client:  # the source again: plain http, so not handed out
        gone = client.get(f"/api/recordings/{ID}", headers=API, follow_redirects=False)
        assert gone.status_code == 404 and "location" not in gone.headers


def test_s3_object_deleted_behind_our_back_falls_back_to_the_source(
    settings: Settings, engine: Engine, tmp_path: Path, s3_bucket: dict
) -> None:
    with _host() as host:
        settings = with_crm(
            settings, recordings={**_cfg(tmp_path), "storage": "s3", "s3": s3_bucket}
        )
        store(settings, engine, leg(record=f"{host.url}/r.mp3"))
        run_jobs(engine, settings)
    s3_admin(s3_bucket["endpoint"]).delete_object(
        Bucket=s3_bucket["bucket"], Key=f"recordings/{_row(engine)['object_key']}"
    )
    with make_client(settings) as client:
        # the source's rules decide (test_recording_urls): plain http is never handed out, so
        # 404, not the 503 of a storage that cannot be reached
        got = client.get(f"/api/recordings/{ID}", headers=API, follow_redirects=False)
        assert got.status_code == 404 and "location" not in got.headers


def test_unreachable_s3_is_one_line_503_not_a_traceback(
    settings: Settings, engine: Engine, tmp_path: Path, aws_env: Path
) -> None:
    s3cfg = {"endpoint": "http://127.0.0.1:9", "bucket": "calls", **S3_KEYS}
    settings = with_crm(settings, recordings={**_cfg(tmp_path, timeout_seconds=2), "s3": s3cfg})
    store(settings, engine, leg(record="http://127.0.0.1:9/r.mp3"))
    with engine.begin() as conn:  # archived to S3 earlier, local storage now
        conn.execute(
            recordings.update().values(
                status="archived", storage="s3", object_key="a.mp3", sha256="x"
            )
        )
    with make_client(settings) as client:
        got = client.get(f"/api/recordings/{ID}", headers=API)
        assert got.status_code == 503
        assert got.json() == {"detail": "the recording storage is not available"}


def test_only_http_urls_are_archived(settings: Settings, engine: Engine) -> None:
    store(
        settings,
        engine,
        leg(record="not a url"),
        leg(ivruniqueid="x2", record="ftp://h/r.mp3"),
        leg(ivruniqueid="x3", record="http://[::1/r.mp3"),
    )
    assert not jobs(engine, "crm.recording")
