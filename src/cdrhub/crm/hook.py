"""The CRM's ingest hook: in the leg's own transaction, note its recording for the archive and
enqueue the outbox jobs (recording download, HubSpot, Pipedrive, webhooks).

Job keys carry the leg's content hash: a plain redelivery never reaches hooks, and a revision
with new content enqueues a new push that updates what the first one created.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection

from cdrhub.config import Settings
from cdrhub.crm.jobs import KIND_HUBSPOT, KIND_PIPEDRIVE, KIND_RECORDING, KIND_WEBHOOK
from cdrhub.crm.recordings.archive import note_recordings
from cdrhub.crm.settings import load_crm_settings
from cdrhub.ingest.pipeline import LegHook, StoredLeg
from cdrhub.jobs.hosts import host_of
from cdrhub.jobs.outbox import NewJob, enqueue_many
from cdrhub.store.legs import content_hash


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_crm_hook(settings: Settings) -> LegHook:
    crm = load_crm_settings(settings)
    archive = crm.recordings.enabled
    pushes = [
        kind
        for kind, on in (
            (KIND_HUBSPOT, crm.hubspot.enabled),
            (KIND_PIPEDRIVE, crm.pipedrive.enabled),
        )
        if on
    ]
    webhooks = tuple(crm.webhooks)
    # The host each job talks to: a failing one has its jobs postponed together.
    push_hosts = {KIND_HUBSPOT: host_of(crm.hubspot.base_url)}
    push_hosts[KIND_PIPEDRIVE] = host_of(crm.pipedrive.base_url)

    def crm_hook(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        if not (archive or pushes or webhooks):
            return  # nothing configured
        due = note_recordings(conn, [one.leg for one in stored]) if archive else None
        jobs: list[NewJob] = []
        for i, one in enumerate(stored):
            _push(one, due is not None and due[i], jobs)
        enqueue_many(conn, jobs)

    def _push(stored: StoredLeg, recording_due: bool, jobs: list[NewJob]) -> None:
        leg = stored.leg
        payload = {"ivruniqueid": leg.ivruniqueid}
        if recording_due:
            key = f"{KIND_RECORDING}:{leg.ivruniqueid}:{_short(leg.record_url or '')}"
            host = host_of(leg.record_url)
            jobs.append(NewJob(KIND_RECORDING, key, payload, leg_id=stored.id, host=host))
        customer_leg = leg.direction in ("in", "out")
        push = customer_leg and bool(leg.customer_number) and bool(pushes)
        if not push and not webhooks:
            return
        digest = (stored.content_hash or content_hash(leg))[:16]
        if push:
            for kind in pushes:
                key = f"{kind}:{leg.ivruniqueid}:{digest}"
                jobs.append(NewJob(kind, key, payload, leg_id=stored.id, host=push_hosts[kind]))
        for target in webhooks:
            if customer_leg or target.all_legs:
                key = f"{KIND_WEBHOOK}:{target.name}:{leg.ivruniqueid}:{digest}"
                body = {**payload, "target": target.name}
                host = host_of(target.url)
                jobs.append(NewJob(KIND_WEBHOOK, key, body, leg_id=stored.id, host=host))

    return crm_hook
