"""Recordings in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Wasabi, Backblaze B2)
through boto3, the optional `s3` extra; storage.make_storage imports this module only when S3
is configured.

Credentials: the keys of the settings (with their session token) when given, else the settings'
profile, else boto3's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_SESSION_TOKEN, AWS_PROFILE and the shared files, web identity, container and instance
roles); boto3 refreshes temporary credentials itself. Errors name the operation, the key and
S3's error code, never a credential.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from cdrhub.config import ConfigError
from cdrhub.crm.recordings.objects import CHUNK_BYTES, StorageMissing
from cdrhub.crm.settings import S3Settings
from cdrhub.jobs.http import outcome
from cdrhub.jobs.outbox import PermanentFailure, RetryLater

MiB = 1024 * 1024
# Large recordings go up in 8 MiB parts, two at a time: memory stays at a few parts.
TRANSFER = TransferConfig(
    multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=2
)


@functools.lru_cache(maxsize=8)
def s3_client(cfg: S3Settings, timeout: float) -> Any:
    """A boto3 client, one per settings in a process: making one takes a good fraction of a
    second, and clients are thread-safe. The credentials are found once here; boto3 renews
    temporary ones it can renew (roles, SSO, instance and container credentials)."""
    try:
        session = boto3.session.Session(profile_name=cfg.profile or None)
    except ProfileNotFound as exc:
        raise ConfigError(f"[crm.recordings.s3] no AWS profile {cfg.profile!r}") from exc
    config = Config(
        s3={"addressing_style": "path" if cfg.path_style else "auto"},
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return session.client(
        "s3",
        endpoint_url=cfg.endpoint or None,
        region_name=cfg.region or None,
        aws_access_key_id=cfg.access_key_id or None,
        aws_secret_access_key=cfg.secret_access_key or None,
        aws_session_token=cfg.session_token or None,
        config=config,
    )


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _missing(exc: ClientError) -> bool:
    return _status(exc) == 404 and exc.response.get("Error", {}).get("Code") != "NoSuchBucket"


def _outcome(exc: Exception, what: str) -> Exception:
    """The outbox's reading of a failed S3 call: RetryLater or PermanentFailure."""
    if isinstance(exc, ClientError):
        status = _status(exc)
        reason = f"{what}: {exc.response.get('Error', {}).get('Code', 'error')} (HTTP {status})"
        if outcome(status) == "retry":
            return RetryLater(reason)
        return PermanentFailure(reason)
    # connection trouble, timeouts, credentials not (yet) found: botocore's text has no secret
    return RetryLater(f"{what}: {type(exc).__name__}: {exc}")


class S3Storage:
    name = "s3"

    def __init__(self, cfg: S3Settings, *, timeout: float = 60.0) -> None:
        self.bucket = cfg.bucket
        self.prefix = cfg.prefix
        self.client = s3_client(cfg, timeout)

    def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        try:
            self.client.upload_fileobj(
                source,
                self.bucket,
                self.prefix + key,
                ExtraArgs={"ContentType": content_type},
                Config=TRANSFER,
            )
        except (ClientError, BotoCoreError) as exc:
            raise _outcome(exc, f"S3 PUT {key}") from exc

    def size(self, key: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if _missing(exc):
                raise StorageMissing(key) from exc
            raise _outcome(exc, f"S3 HEAD {key}") from exc
        except BotoCoreError as exc:
            raise _outcome(exc, f"S3 HEAD {key}") from exc
        return int(head["ContentLength"])

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key, **extra)
        except ClientError as exc:
            if _missing(exc):
                raise StorageMissing(key) from exc
            raise _outcome(exc, f"S3 GET {key}") from exc
        except BotoCoreError as exc:
            raise _outcome(exc, f"S3 GET {key}") from exc
        return _body_chunks(got["Body"])

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if not _missing(exc):
                raise _outcome(exc, f"S3 DELETE {key}") from exc
        except BotoCoreError as exc:
            raise _outcome(exc, f"S3 DELETE {key}") from exc


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
