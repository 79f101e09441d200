"""The archive's book-keeping: one `crm_recordings` row per leg with a recording URL.

`note_recordings` runs in the ingest transaction (pending rows, jobs enqueued by the hook);
`archive_recording` is the outbox job (download, verify, store, checksum); `read_recording`
finds the archived copy to serve; `prune_recordings` deletes copies older than the retention.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from cdrhub.calls.model import CallLeg
from cdrhub.crm.recordings.storage import Storage, StorageMissing
from cdrhub.crm.recordings.urlpolicy import is_fetchable
from cdrhub.crm.settings import RecordingSettings
from cdrhub.crm.tables import recordings
from cdrhub.jobs.outbox import PermanentFailure, RetryLater
from cdrhub.store.bulk import insert_rows
from cdrhub.store.engine import write_transaction

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def note_recording(conn: Connection, leg: CallLeg) -> bool:
    """Record that a leg has a recording to archive; True when a download is due (a new URL)."""
    return note_recordings(conn, [leg])[0]


# Statements built once: the values go in as parameters (`b_` names: not column names).
_SELECT_NOTED = select(recordings.c.ivruniqueid, recordings.c.source_url).where(
    recordings.c.ivruniqueid.in_(bindparam("b_ids", expanding=True))
)
_UPDATE_NOTE = (
    update(recordings)
    .where(recordings.c.ivruniqueid == bindparam("b_ivruniqueid"))
    .values(
        source_url=bindparam("b_source_url"),
        status="pending",
        error=None,
        call_started_at=bindparam("b_call_started_at"),
    )
)


def note_recordings(conn: Connection, legs: Sequence[CallLeg]) -> list[bool]:
    """`note_recording` for the legs of one transaction, in order, with one read and at most one
    insert and one update statement; the same as noting them one after another."""
    due = [is_downloadable(leg.record_url) for leg in legs]
    ids = sorted({leg.ivruniqueid for leg, ok in zip(legs, due, strict=True) if ok})
    if not ids:
        return due
    known = {r.ivruniqueid: r.source_url for r in conn.execute(_SELECT_NOTED, {"b_ids": ids})}
    new: dict[str, tuple[str, datetime | None]] = {}  # rows this batch inserts
    changed: dict[str, tuple[str, datetime | None]] = {}  # existing rows it updates
    for i, leg in enumerate(legs):
        if not due[i]:
            continue
        uid, url = leg.ivruniqueid, leg.record_url or ""
        current: str | None
        if uid in new:
            current = new[uid][0]
        elif uid in changed:
            current = changed[uid][0]
        else:
            current = known.get(uid)
        if current == url:
            due[i] = False
        elif uid in known:
            changed[uid] = (url, leg.started_at)
        else:
            new[uid] = (url, leg.started_at)
    if new:
        insert_rows(
            conn,
            recordings,
            ("ivruniqueid", "source_url", "status", "call_started_at"),
            [(uid, url, "pending", t) for uid, (url, t) in new.items()],
        )
    if changed:
        conn.execute(
            _UPDATE_NOTE,
            [
                {"b_ivruniqueid": uid, "b_source_url": url, "b_call_started_at": t}
                for uid, (url, t) in changed.items()
            ],
        )
    return due


def is_downloadable(url: str | None) -> bool:
    """Shaped like a recording URL (http(s), a valid host). Whether its host and address are
    allowed is decided when the job runs, so that a refusal is kept on the row with its
    reason (`cdrhub recordings status`) and settings fixed later apply to a retried job."""
    return is_fetchable(url)


def object_key(ivruniqueid: str, started_at: datetime | None, extension: str) -> str:
    day = started_at.strftime("%Y/%m/%d") if started_at else "undated"
    return f"{day}/{_UNSAFE.sub('_', ivruniqueid)}.{extension}"


def get_recording(conn: Connection, ivruniqueid: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(recordings).where(recordings.c.ivruniqueid == ivruniqueid))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _set(engine: Engine, ivruniqueid: str, **values: Any) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(recordings).where(recordings.c.ivruniqueid == ivruniqueid).values(**values)
        )


def archive_recording(
    engine: Engine,
    ivruniqueid: str,
    cfg: RecordingSettings,
    storage: Storage,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Download, verify and store one recording; the outbox retries what raises RetryLater."""
    with engine.connect() as conn:
        row = get_recording(conn, ivruniqueid)
    if row is None:
        raise PermanentFailure(f"no recording noted for {ivruniqueid}")
    if row["status"] == "archived" and row["storage"] == storage.name:
        return {"archived": row["object_key"], "sha256": row["sha256"], "already": True}
    from cdrhub.crm.recordings.fetch import download_recording  # httpx: loaded by a job only

    source = row["source_url"]
    try:
        got = download_recording(source, cfg)
    except RetryLater as exc:
        _set(engine, ivruniqueid, error=exc.reason)
        raise
    except PermanentFailure as exc:
        _set(engine, ivruniqueid, status="failed", error=exc.reason)
        raise
    key = object_key(ivruniqueid, row["call_started_at"], got.kind.extension)
    with got:
        storage.put(key, got.file, got.kind.content_type)
    with write_transaction(engine) as conn:
        # a revision may have changed the URL while we downloaded: keep the row pending then
        conn.execute(
            update(recordings)
            .where(recordings.c.ivruniqueid == ivruniqueid, recordings.c.source_url == source)
            .values(
                status="archived",
                storage=storage.name,
                object_key=key,
                sha256=got.sha256,
                content_type=got.kind.content_type,
                size_bytes=got.size,
                error=None,
                archived_at=now,
                pruned_at=None,
            )
        )
    return {"archived": key, "sha256": got.sha256, "bytes": got.size}


@dataclass(frozen=True, slots=True)
class ArchivedAudio:
    key: str
    size: int  # the stored object's, as the storage reports it
    content_type: str
    sha256: str


def read_recording(row: dict[str, Any], storage: Storage) -> ArchivedAudio | None:
    """The archived copy of a recording row (read its bytes with `storage.read(key, ...)`), None
    when there is none to serve."""
    if row["status"] != "archived" or not row["object_key"]:
        return None
    key = row["object_key"]
    try:
        size = storage.size(key)
    except StorageMissing:
        return None
    content_type = row["content_type"] or "application/octet-stream"
    return ArchivedAudio(key, size, content_type, row["sha256"])


def prune_recordings(
    engine: Engine,
    storage: Storage,
    *,
    older_than: timedelta,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Delete archived copies of calls that started before now - older_than; returns how many.
    `progress` is told the copies deleted so far and how many there are to delete."""
    cutoff = now - older_than
    with engine.connect() as conn:
        query = select(recordings.c.ivruniqueid, recordings.c.object_key).where(
            recordings.c.status == "archived",
            recordings.c.storage == storage.name,
            recordings.c.call_started_at < cutoff,
        )
        rows = conn.execute(query).tuples().all()
    for done, (ivruniqueid, key) in enumerate(rows, 1):
        if key:
            storage.delete(key)
        _set(engine, ivruniqueid, status="pruned", object_key=None, pruned_at=now)
        if progress:
            progress(done, len(rows))
    return len(rows)


def status_counts(engine: Engine) -> list[tuple[str, int]]:
    """How many recordings are in each archive status, sorted by status."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(recordings.c.status, func.count()).group_by(recordings.c.status)
        ).all()
    return sorted((str(status), cast(int, n)) for status, n in rows)
