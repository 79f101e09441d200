"""Where archived recordings live: a local folder (default) or an S3-compatible bucket."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import httpx

from cdrhub.crm.http import raise_for_outcome, transport_error
from cdrhub.crm.recordings.sigv4 import EMPTY_SHA256, sign_request
from cdrhub.crm.settings import RecordingSettings, S3Settings


class StorageMissing(LookupError):
    """The object is not in the storage."""


class Storage(Protocol):
    name: str

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"object key outside the recordings folder: {key!r}")
        return path

    def put(self, key: str, body: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageMissing(key) from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Path-style requests (`<endpoint>/<bucket>/<key>`), signed with SigV4."""

    name = "s3"

    def __init__(self, cfg: S3Settings, client: httpx.Client) -> None:
        self.cfg = cfg
        self.client = client

    def object_url(self, key: str) -> str:
        full = self.cfg.prefix + key
        base = self.cfg.endpoint.rstrip("/")
        return f"{base}/{quote(self.cfg.bucket)}/{quote(full, safe='/-_.~')}"

    def _send(self, method: str, key: str, body: bytes = b"", **headers: str) -> httpx.Response:
        url = self.object_url(key)
        payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = sign_request(
            method,
            url,
            headers,
            payload_hash,
            access_key=self.cfg.access_key_id,
            secret_key=self.cfg.secret_access_key,
            region=self.cfg.region,
            now=datetime.now(UTC),
        )
        try:
            return self.client.request(method, url, content=body or None, headers=signed)
        except httpx.HTTPError as exc:
            raise transport_error(exc, f"S3 {method} {key}") from exc

    def put(self, key: str, body: bytes, content_type: str) -> None:
        response = self._send("PUT", key, body, **{"content-type": content_type})
        raise_for_outcome(response, f"S3 PUT {key}")

    def get(self, key: str) -> bytes:
        response = self._send("GET", key)
        if response.status_code == 404:
            raise StorageMissing(key)
        raise_for_outcome(response, f"S3 GET {key}")
        return response.content

    def delete(self, key: str) -> None:
        response = self._send("DELETE", key)
        if response.status_code != 404:
            raise_for_outcome(response, f"S3 DELETE {key}")


def make_storage(cfg: RecordingSettings, client: httpx.Client | None = None) -> Storage:
    if cfg.storage == "s3":
        return S3Storage(cfg.s3, client or httpx.Client(timeout=cfg.timeout_seconds))
    return LocalStorage(cfg.local_dir)
