"""Where archived recordings live: a local folder (default) or an S3-compatible bucket (s3.py).

Objects go in from a file and come out as an iterator of chunks, so that memory use does not
grow with a recording's size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cdrhub.config import ConfigError
from cdrhub.crm.recordings.objects import CHUNK_BYTES as CHUNK_BYTES
from cdrhub.crm.recordings.objects import Storage as Storage
from cdrhub.crm.recordings.objects import StorageMissing as StorageMissing
from cdrhub.crm.settings import S3_EXTRA_MISSING, RecordingSettings


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"object key outside the recordings folder: {key!r}")
        return path

    def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(source, f, CHUNK_BYTES)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise StorageMissing(key) from exc

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        try:
            f = self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise StorageMissing(key) from exc
        return _file_chunks(f, start, end)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _file_chunks(f: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    with f:
        f.seek(start)
        left = None if end is None else end - start + 1
        while left is None or left > 0:
            chunk = f.read(CHUNK_BYTES if left is None else min(CHUNK_BYTES, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def make_storage(cfg: RecordingSettings) -> Storage:
    """The configured storage; S3 needs the `s3` extra (boto3), imported only here."""
    if cfg.storage == "s3":
        try:
            from cdrhub.crm.recordings.s3 import S3Storage
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in ("boto3", "botocore", "s3transfer"):
                raise ConfigError(S3_EXTRA_MISSING) from None
            raise
        return S3Storage(cfg.s3, timeout=cfg.timeout_seconds)
    return LocalStorage(cfg.local_dir)
