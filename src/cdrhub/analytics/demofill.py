"""`cdrhub demo`: generated wire dicts stored the way a webhook's CDRs are, through the
pipeline's `store_legs` with the hooks the caller hands in (rollups and callback items), in
batches, each batch one transaction. Where the demo goes is decided here too: a SQLite file of
its own unless a database is named, so that it never lands in the configured one by default."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cdrhub.calls.model import CallLeg
from cdrhub.config import Settings
from cdrhub.ingest.pipeline import Incoming, LegHook, store_legs
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.normalize import NormalizeError, normalize

DEMO_FILE = "cdrhub-demo.db"
# SQLite's files beside a database: what `demo --remove` deletes with it.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass
class FillResult:
    new: int = 0
    duplicate: int = 0
    revised: int = 0
    rejected: int = 0

    @property
    def stored(self) -> int:
        return self.new + self.duplicate + self.revised


def default_demo_url(directory: Path) -> str:
    """The demo's own database: `cdrhub-demo.db` in `directory` (an absolute path, so that the
    printed `serve` line works from anywhere)."""
    return f"sqlite:///{(directory / DEMO_FILE).resolve()}"


def check_url(url: str) -> str | None:
    """Why `url` cannot be the demo's database (not a URL, not SQLite or PostgreSQL), or None."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        return "not a database URL (sqlite:///FILE or postgresql://...)"
    if backend not in ("sqlite", "postgresql", "postgres"):
        return f"{backend} is not supported: SQLite or PostgreSQL"
    return None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (resolved), None for another engine or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).resolve()


def same_database(url: str, other: str) -> bool:
    """Whether two URLs name the same database (SQLite: the same file however spelled)."""
    mine, theirs = sqlite_file(url), sqlite_file(other)
    if mine is not None or theirs is not None:
        return mine == theirs
    a, b = make_url(url), make_url(other)
    return (a.host, a.port, a.database) == (b.host, b.port, b.database)


def remove_sqlite(path: Path) -> list[Path]:
    """Delete a SQLite database file and its side files; the files that were deleted."""
    gone = []
    for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDE_FILES)):
        if candidate.exists():
            candidate.unlink()
            gone.append(candidate)
    return gone


def fill(
    engine: Engine,
    settings: Settings,
    wires: Iterable[dict[str, Any]],
    hooks: Sequence[LegHook],
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> FillResult:
    """Normalize and store wire dicts in batches through `store_legs` (the hooks run on every
    new leg, as for a webhook's); `progress` is told how many legs each batch stored."""
    result = FillResult()
    received_at = datetime.now(UTC).replace(tzinfo=None)
    batch: list[CallLeg] = []

    def flush() -> None:
        with write_transaction(engine) as conn:
            stored = store_legs(conn, [Incoming(leg, "demo") for leg in batch], hooks, received_at)
        for one in stored:
            if one.kind == "new":
                result.new += 1
            elif one.kind == "revised":
                result.revised += 1
            else:
                result.duplicate += 1
        if progress:
            progress(len(batch))
        batch.clear()

    for wire in wires:
        try:
            leg = normalize(
                wire, tz=settings.tz, time_mode=settings.time_mode,
                region=settings.default_region, received_at=received_at,
            )  # fmt: skip
        except NormalizeError:
            result.rejected += 1
            continue
        batch.append(leg)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return result
