"""Retention: delete what is older than a horizon and keep the reports exact (docs/deploy.md,
"Retention"). `cdrhub purge --before DATE` runs it once; `retention_days` has the worker (in
`serve`, or `cdrhub worker`) run it daily.

What goes, older than the horizon (the start of a local day): legs (and with them their raw
bodies) and the earlier versions of those legs, quarantined deliveries last received before it,
finished outbox jobs (done or skipped; dead ones wait for a person), notifications. What stays:
every rollup and per-number row (the reports read those), callback items (the callbacks report
reads them), contacts, opt-outs.

Before anything is deleted, the span of the purged legs' start times is kept
(`store/purged.py`), so that reports plan over purged time as they did before. Legs go in
batches, each its own transaction, so that a large purge never holds SQLite's one writer for
long; a purge cut short is finished by the next one.

Like `domains.py`, this composes tables of several layers (store, jobs, automations); nothing
below imports it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, delete, func, select

from cdrhub.automations.tables import notifications
from cdrhub.config import Settings
from cdrhub.jobs.tables import outbox_jobs
from cdrhub.store.engine import write_transaction
from cdrhub.store.purged import Purged, record_purge
from cdrhub.store.schema import leg_versions, legs, quarantine
from cdrhub.timerange import day_start

log = logging.getLogger("cdrhub.retention")

BATCH = 5000
# What a purge counts and deletes, in this order (a leg's versions are found through it).
TABLES = ("leg_versions", "legs", "quarantine", "outbox_jobs", "notifications")
# What reads legs and so shows nothing of a purged period (docs/deploy.md, "Retention").
LOST_VIEWS = (
    "the call list (/api/calls) and a call's legs",
    "contact timelines and the CRM widget's calls",
    "/api/unknowns",
    "reports whose `from` or `to` cuts an hour of it (refused; whole hours stay exact)",
    "`cdrhub analytics rebuild` (refused from now on)",
)
FIRST_RUN_SECONDS = 60.0
INTERVAL_SECONDS = 24 * 3600.0


def horizon(day: date, tz: ZoneInfo) -> datetime:
    """The start of local day `day`, naive UTC: what started before it is purged."""
    return day_start(day, tz)


def retention_horizon(days: int, now: datetime, tz: ZoneInfo) -> datetime:
    """The horizon that keeps `days` whole local days before today (`now` is aware)."""
    today = now.astimezone(tz).date()
    return horizon(today - timedelta(days=days), tz)


@dataclass(frozen=True, slots=True)
class _Part:
    name: str
    table: Any
    condition: Any


def _parts(before: datetime) -> Iterator[_Part]:
    # two conditions for legs, each read off ix_legs_started (an OR of them would scan)
    started = legs.c.started_at < before
    undated = and_(legs.c.started_at.is_(None), legs.c.first_received_at < before)
    for condition in (started, undated):
        ids = select(legs.c.ivruniqueid).where(condition)
        yield _Part("leg_versions", leg_versions, leg_versions.c.ivruniqueid.in_(ids))
        yield _Part("legs", legs, condition)
    yield _Part("quarantine", quarantine, quarantine.c.last_received_at < before)
    finished = outbox_jobs.c.status.in_(("done", "skipped"))
    yield _Part("outbox_jobs", outbox_jobs, and_(finished, outbox_jobs.c.finished_at < before))
    yield _Part("notifications", notifications, notifications.c.created_at < before)


def count(conn: Connection, before: datetime) -> dict[str, int]:
    """What a purge up to `before` would delete, by table."""
    counts = dict.fromkeys(TABLES, 0)
    for part in _parts(before):
        query = select(func.count()).select_from(part.table).where(part.condition)
        counts[part.name] += int(conn.execute(query).scalar_one())
    return counts


def _keep_span(engine: Engine, before: datetime) -> Purged:
    with write_transaction(engine) as conn:
        span = select(func.min(legs.c.started_at), func.max(legs.c.started_at))
        row = conn.execute(span.where(legs.c.started_at < before)).one()
        return record_purge(conn, before, row[0], row[1])


def purge(engine: Engine, before: datetime, batch: int = BATCH) -> dict[str, int]:
    """Delete what is older than `before`, by table (the counts deleted)."""
    _keep_span(engine, before)
    counts = dict.fromkeys(TABLES, 0)
    for part in _parts(before):
        while True:
            ids = select(part.table.c.id).where(part.condition).limit(batch)
            with write_transaction(engine) as conn:
                done = conn.execute(delete(part.table).where(part.table.c.id.in_(ids))).rowcount
            counts[part.name] += done
            if done < batch:
                break
    return counts


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[name]} {name}" for name in TABLES)


class Retention:
    """Purges daily (the first time a minute after start) what is older than `retention_days`
    whole local days; the worker in `serve` and `cdrhub worker` run one."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        assert settings.retention_days is not None
        self.engine, self.days, self.tz = engine, settings.retention_days, settings.tz
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="cdrhub-retention", daemon=True)

    def run_once(self, now: datetime | None = None) -> dict[str, int]:
        before = retention_horizon(self.days, now or datetime.now(UTC), self.tz)
        counts = purge(self.engine, before)
        log.info(
            "retention: purged what started before %s UTC: %s",
            before.isoformat(timespec="minutes"),
            summary(counts),
            extra={"fields": {"before": before.isoformat(), **counts}},
        )
        return counts

    def _run(self) -> None:
        wait = FIRST_RUN_SECONDS
        while not self.stop_event.wait(wait):
            try:
                self.run_once()
            except Exception:  # a failed run is logged and tried again the next day
                log.exception("retention: the purge failed")
            wait = INTERVAL_SECONDS

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
