"""A download on its way to storage: written to a temporary file as it arrives (in memory only
while small), hashed as it goes, its first bytes kept for the audio check, its size bounded."""

from __future__ import annotations

import hashlib
import tempfile
from typing import BinaryIO

from cdrhub.jobs.outbox import PermanentFailure

MEMORY_BYTES = 1024 * 1024  # a recording under this never touches the disk
HEAD_BYTES = 512  # enough for sniff_audio and describe_non_audio


class Spool:
    def __init__(self, max_bytes: int, memory_bytes: int = MEMORY_BYTES) -> None:
        # closed by close(), or by whoever takes it from rewound()
        self.file = tempfile.SpooledTemporaryFile(max_size=memory_bytes)  # noqa: SIM115
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        """Add the next chunk; PermanentFailure past max_bytes (a hostile or broken host)."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise PermanentFailure(f"recording larger than {self.max_bytes} bytes")
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._hash.update(chunk)
        self.file.write(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def rewound(self) -> BinaryIO:
        self.file.flush()
        self.file.seek(0)
        return self.file  # type: ignore[return-value]  # a SpooledTemporaryFile is file-like

    def close(self) -> None:
        self.file.close()
