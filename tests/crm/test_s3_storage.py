"""The recording storages through their real code: LocalStorage on a folder, S3Storage through
boto3 against moto's S3 in server mode on 127.0.0.1 (put, get, ranges, delete, missing objects,
errors), the credential sources (session tokens from the environment, the settings and a
profile, checked in moto's own request log), and S3 configured without boto3 installed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cdrhub.config import ConfigError, Settings
from cdrhub.crm.recordings.storage import (
    CHUNK_BYTES,
    LocalStorage,
    Storage,
    StorageMissing,
    make_storage,
)
from cdrhub.crm.settings import RecordingSettings, S3Settings, load_crm_settings
from cdrhub.jobs.outbox import PermanentFailure, RetryLater
from tests.crm.conftest import S3_KEYS, s3_admin, with_crm

MiB = 1024 * 1024


def _s3(s3_bucket: dict[str, Any], **overrides: Any) -> Storage:
    cfg = S3Settings(**{**s3_bucket, **overrides})
    return make_storage(RecordingSettings(storage="s3", s3=cfg, timeout_seconds=5))


def _exercise(storage: Storage, body: bytes) -> None:
    storage.put("2024/01/02/a.mp3", io.BytesIO(body), "audio/mpeg")
    assert storage.size("2024/01/02/a.mp3") == len(body)
    chunks = list(storage.read("2024/01/02/a.mp3"))
    assert max(len(c) for c in chunks) <= CHUNK_BYTES
    assert hashlib.sha256(b"".join(chunks)).digest() == hashlib.sha256(body).digest()
    for start, end in [(0, 0), (5, 9), (CHUNK_BYTES - 2, CHUNK_BYTES + 2), (len(body) - 3, None)]:
        got = b"".join(storage.read("2024/01/02/a.mp3", start, end))
        assert got == body[start : None if end is None else end + 1], (start, end)
    storage.delete("2024/01/02/a.mp3")
    with pytest.raises(StorageMissing):
        storage.size("2024/01/02/a.mp3")
    with pytest.raises(StorageMissing):
        storage.read("2024/01/02/a.mp3")
    storage.delete("2024/01/02/a.mp3")  # gone already: nothing happens


def test_local_storage(tmp_path: Path) -> None:
    _exercise(LocalStorage(tmp_path), os.urandom(3 * CHUNK_BYTES + 11))
    assert list(tmp_path.rglob("*.mp3")) == []
    with pytest.raises(ValueError):
        LocalStorage(tmp_path / "rec").put("../escape.mp3", io.BytesIO(b"x"), "audio/mpeg")


def test_s3_storage_in_multipart_upload(s3_bucket: dict[str, Any]) -> None:
    body = os.urandom(9 * MiB + 5)  # over the 8 MiB multipart threshold: two parts
    storage = _s3(s3_bucket)
    storage.put("2024/01/02/a.mp3", io.BytesIO(body), "audio/mpeg")
    admin = s3_admin(s3_bucket["endpoint"])
    head = admin.head_object(Bucket=s3_bucket["bucket"], Key="recordings/2024/01/02/a.mp3")
    assert head["ContentType"] == "audio/mpeg" and head["ContentLength"] == len(body)
    assert head["ETag"].endswith('-2"')  # a multipart upload's ETag names its part count
    _exercise(storage, body)
    assert admin.list_objects_v2(Bucket=s3_bucket["bucket"])["KeyCount"] == 0


def test_s3_storage_small_object_prefix_and_virtual_host_setting(s3_bucket: dict) -> None:
    storage = _s3(s3_bucket, prefix="calls/archive/")
    _exercise(storage, b"ID3" + os.urandom(200_000))
    storage.put("b.wav", io.BytesIO(b"RIFF"), "audio/wav")
    listed = s3_admin(s3_bucket["endpoint"]).list_objects_v2(Bucket=s3_bucket["bucket"])
    assert [o["Key"] for o in listed["Contents"]] == ["calls/archive/b.wav"]


def test_s3_errors_are_outbox_outcomes_without_secrets(
    s3_bucket: dict[str, Any], aws_env: Path
) -> None:
    storage = _s3(s3_bucket, bucket="no-such-bucket", secret_access_key="very-secret-key")
    with pytest.raises(PermanentFailure) as refused:
        storage.put("a.mp3", io.BytesIO(b"ID3"), "audio/mpeg")
    assert refused.value.reason == "S3 PUT a.mp3: NoSuchBucket (HTTP 404)"
    down = _s3(s3_bucket, endpoint="http://127.0.0.1:9", secret_access_key="very-secret-key")
    for call in (
        lambda: down.put("a.mp3", io.BytesIO(b"ID3"), "audio/mpeg"),
        lambda: down.size("a.mp3"),
        lambda: down.read("a.mp3"),
        lambda: down.delete("a.mp3"),
    ):
        with pytest.raises(RetryLater) as later:
            call()
        assert (
            later.value.reason.startswith("S3 ") and "EndpointConnectionError" in later.value.reason
        )
        assert "very-secret-key" not in later.value.reason


# --- credentials: what reached the server, from moto's request log ------------------------------


def _requests_seen(endpoint: str, action: Any) -> list[dict[str, Any]]:
    """The requests moto received while `action` ran (its recorder, switched on around it)."""
    with httpx.Client(base_url=endpoint) as moto:
        moto.post("/moto-api/recorder/reset-recording")
        moto.post("/moto-api/recorder/start-recording")
        try:
            action()
        finally:
            moto.post("/moto-api/recorder/stop-recording")
        log = moto.get("/moto-api/recorder/download-recording").text
    return [json.loads(line) for line in log.splitlines() if line]


def _credentials_used(endpoint: str, storage: Storage) -> set[tuple[str, str | None]]:
    """(access key id, session token) of each request the storage made for a put."""
    seen = _requests_seen(
        endpoint, lambda: storage.put("t.mp3", io.BytesIO(b"ID3 x"), "audio/mpeg")
    )
    assert [r["method"] for r in seen] == ["PUT"]
    used = set()
    for r in seen:
        headers = {k.lower(): v for k, v in r["headers"].items()}
        key_id = headers["authorization"].split("Credential=")[1].split("/")[0]
        used.add((key_id, headers.get("x-amz-security-token")))
    return used


def test_session_token_from_the_environment_chain(
    s3_bucket: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-session-token")
    storage = _s3(s3_bucket, access_key_id="", secret_access_key="")  # no keys: the chain
    assert _credentials_used(s3_bucket["endpoint"], storage) == {
        ("ASIAENVKEY", "env-session-token")
    }


def test_session_token_from_the_settings(
    settings: Settings, s3_bucket: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAENVKEY")  # explicit keys win over these
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    cfg = {**s3_bucket, "access_key_id": "ASIASETTINGS", "secret_access_key": ""}
    settings = with_crm(settings, recordings={"storage": "s3", "s3": cfg})
    env = {"CDRHUB_S3_SECRET_ACCESS_KEY": "s", "CDRHUB_S3_SESSION_TOKEN": "settings-token"}
    crm = load_crm_settings(settings, env=env)
    assert crm.recordings.s3.session_token == "settings-token"
    assert "settings-token" not in repr(crm) and "secret_access_key='s'" not in repr(crm)
    storage = make_storage(crm.recordings)
    assert _credentials_used(s3_bucket["endpoint"], storage) == {("ASIASETTINGS", "settings-token")}


def test_session_token_from_a_profile(s3_bucket: dict[str, Any], aws_env: Path) -> None:
    (aws_env / "aws-credentials").write_text(
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n"
        "[recordings]\naws_access_key_id = ASIAPROFILE\naws_secret_access_key = p\n"
        "aws_session_token = profile-token\n"
    )
    storage = _s3(s3_bucket, access_key_id="", secret_access_key="", profile="recordings")
    assert _credentials_used(s3_bucket["endpoint"], storage) == {("ASIAPROFILE", "profile-token")}
    with pytest.raises(ConfigError, match=r"^\[crm.recordings.s3\] no AWS profile 'nope'$"):
        _s3(s3_bucket, access_key_id="", secret_access_key="", profile="nope")


def test_no_credentials_anywhere_is_retried_not_a_crash(
    s3_bucket: dict[str, Any], aws_env: Path
) -> None:
    storage = _s3(s3_bucket, access_key_id="", secret_access_key="")
    with pytest.raises(RetryLater) as later:
        storage.put("a.mp3", io.BytesIO(b"ID3"), "audio/mpeg")
    assert later.value.reason == "S3 PUT a.mp3: NoCredentialsError: Unable to locate credentials"


# --- settings and the optional extra ------------------------------------------------------------


@pytest.mark.parametrize(
    ("s3", "message"),
    [
        ({}, "[crm.recordings.s3] needs a bucket"),
        (
            {"bucket": "b", "access_key_id": "AK"},
            "[crm.recordings.s3] access_key_id and secret_access_key go together",
        ),
        (
            {"bucket": "b", "session_token": "t"},
            "[crm.recordings.s3] session_token needs access_key_id",
        ),
        (
            {"bucket": "b", "profile": "p", **S3_KEYS},
            "[crm.recordings.s3] set either a profile or access keys, not both",
        ),
        (
            {"bucket": "b", "sesion_token": "typo"},
            "[crm.recordings.s3]: unknown setting 'sesion_token'; did you mean 'session_token'?",
        ),
    ],
)
def test_s3_settings_are_checked(settings: Settings, s3: dict, message: str) -> None:
    settings = with_crm(settings, recordings={"storage": "s3", "s3": s3})
    with pytest.raises(ConfigError) as bad:
        load_crm_settings(settings, env={})
    assert str(bad.value) == message


def test_s3_without_boto3_installed_is_one_clear_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # what an install without the extra sees
    monkeypatch.delitem(sys.modules, "cdrhub.crm.recordings.s3", raising=False)
    settings = with_crm(settings, recordings={"storage": "s3", "s3": {"bucket": "b"}})
    with pytest.raises(ConfigError) as at_start:
        load_crm_settings(settings, env={})
    assert str(at_start.value) == (
        "[crm.recordings] storage = \"s3\" needs boto3: pip install 'cdrhub[s3]'"
    )
    with pytest.raises(ConfigError) as at_use:  # a row archived to S3 while now local
        make_storage(RecordingSettings(storage="s3", s3=S3Settings(bucket="b")))
    assert str(at_use.value) == "storage = \"s3\" needs boto3: pip install 'cdrhub[s3]'"
    assert isinstance(make_storage(RecordingSettings()), LocalStorage)  # local needs nothing


def test_serve_refuses_s3_without_boto3_in_one_line(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cdrhub.cli import app

    monkeypatch.setitem(sys.modules, "boto3", None)
    config = tmp_path / "cdrhub.toml"
    config.write_text('[crm.recordings]\nstorage = "s3"\n[crm.recordings.s3]\nbucket = "b"\n')
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDRHUB_CONFIG", str(config))
    result = CliRunner().invoke(app, ["serve", "--port", "9"])
    assert result.exit_code == 2
    assert result.output == (
        'configuration error: [crm.recordings] storage = "s3" needs boto3: '
        "pip install 'cdrhub[s3]'\n"
    )
