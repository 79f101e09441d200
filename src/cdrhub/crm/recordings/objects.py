"""What every recording storage provides (the local folder in storage.py, S3 in s3.py): the
Storage protocol, StorageMissing and the chunk size of reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

CHUNK_BYTES = 64 * 1024


class StorageMissing(LookupError):
    """The object is not in the storage."""


class Storage(Protocol):
    name: str

    def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        """Store what `source` holds from its position to its end."""

    def size(self, key: str) -> int:
        """The object's size in bytes; raises StorageMissing."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start` to `end` (inclusive; None: to the last) in chunks of at most
        CHUNK_BYTES. The object is opened before this returns (StorageMissing then)."""

    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is not there."""
