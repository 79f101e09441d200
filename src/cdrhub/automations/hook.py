"""The ingest hook: runs in the leg's transaction, so jobs, callback items and notifications
commit with the leg or not at all (the transactional outbox). Idempotent per leg: job and
notification keys derive from (leg, rule, action), callback items remember their legs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection

from cdrhub.automations import callbacks, guards, notifications
from cdrhub.automations.config import AutomationConfig, describe, load_config
from cdrhub.automations.missed import is_missed_contact
from cdrhub.automations.plan import plan
from cdrhub.config import ConfigError, Settings
from cdrhub.ingest.pipeline import LegHook, StoredLeg
from cdrhub.jobs.outbox import NewJob, enqueue_many, utcnow


def config_from_settings(settings: Settings) -> AutomationConfig:
    """The automation config, or ConfigError listing every problem (run `cdrhub rules check`)."""
    config = load_config(settings.file, timezone=settings.timezone, region=settings.default_region)
    if config.problems:
        rules_raw = settings.file.get("rules")
        listed = "; ".join(describe(p, rules_raw) for p in config.problems)
        raise ConfigError(f"automation settings: {listed} (see `cdrhub rules check`)")
    return config


def apply(
    conn: Connection,
    stored: StoredLeg,
    config: AutomationConfig,
    batch: Batch | None = None,
) -> None:
    """React to one leg. With `batch` (the hook's), jobs and notifications are collected for
    `Batch.flush` and open callback items come from the batch's read."""
    own = batch is None
    if batch is None:
        batch = Batch()
    leg, now = stored.leg, utcnow()
    items = batch.items
    callbacks.record_answered(conn, leg, now, items=items)
    if config.missed.open_on_missed and is_missed_contact(leg, config.missed):
        callbacks.record_missed(conn, leg, now, items=items)
    for step in plan(leg, config, now):
        if step.skipped:
            if step.skipped.startswith(guards.TOO_OLD):  # counted with the skipped jobs
                batch.jobs.append(
                    NewJob(
                        step.job_kind,
                        step.key,
                        step.payload,
                        leg_id=stored.id,
                        skipped=step.skipped,
                    )
                )
            continue
        if step.do == "callback":
            callbacks.record_missed(
                conn, leg, now, rule=step.rule, assign=step.payload.get("assign"), items=items
            )
        elif step.do == "notify":
            batch.notifications.add(
                step.key,
                title=step.payload["title"],
                text=step.payload["text"],
                level=step.payload["level"],
                data=step.payload["data"],
                now=now,
            )
        else:
            batch.jobs.append(
                NewJob(
                    step.job_kind,
                    step.key,
                    step.payload,
                    run_at=step.run_at,
                    max_attempts=step.payload.get("max_attempts", config.max_attempts),
                    leg_id=stored.id,
                    host=step.host,
                )
            )
    if own:
        batch.flush(conn)


class Batch:
    """What the hook writes for the legs of one transaction: callback items as it goes (their
    open items read at once), jobs and notifications in one statement each at the end. Jobs
    and notifications do not depend on callback items, so writing them last changes nothing."""

    def __init__(self) -> None:
        self.items = callbacks.OpenItems()
        self.jobs: list[NewJob] = []
        self.notifications = notifications.Pending()

    def flush(self, conn: Connection) -> None:
        enqueue_many(conn, self.jobs)
        self.jobs = []
        self.notifications.flush(conn)


def make_hook(settings: Settings, *, rules: bool = True) -> LegHook:
    """The automations' ingest hook; with `rules=False` it only keeps callback items (no rule
    runs, so no job and no notification), for generated traffic (`cdrhub demo`)."""
    config = config_from_settings(settings)
    if not rules:
        config = replace(config, rules=())

    def automations_hook(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        batch = Batch()
        batch.items.read(
            conn, (found[0] for one in stored if (found := callbacks.answered_number(one.leg)))
        )
        for one in stored:
            apply(conn, one, config, batch)
        batch.flush(conn)

    return automations_hook
