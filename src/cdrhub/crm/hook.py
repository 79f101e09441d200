"""The CRM's ingest hook: in the leg's own transaction, note its recording for the archive and
enqueue the outbox jobs (recording download, HubSpot, Pipedrive, webhooks).

Job keys carry the leg's content hash: a plain redelivery never reaches hooks, and a revision
with new content enqueues a new push that updates what the first one created.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection

from cdrhub.automations.outbox import enqueue
from cdrhub.config import Settings
from cdrhub.crm.jobs import KIND_HUBSPOT, KIND_PIPEDRIVE, KIND_RECORDING, KIND_WEBHOOK
from cdrhub.crm.recordings.archive import note_recording
from cdrhub.crm.settings import load_crm_settings
from cdrhub.pipeline import LegHook, StoredLeg
from cdrhub.store.legs import content_hash


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_crm_hook(settings: Settings) -> LegHook:
    crm = load_crm_settings(settings)

    def crm_hook(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        for one in stored:
            _push(conn, one)

    def _push(conn: Connection, stored: StoredLeg) -> None:
        leg = stored.leg
        payload = {"ivruniqueid": leg.ivruniqueid}
        if crm.recordings.enabled and note_recording(conn, leg):
            key = f"{KIND_RECORDING}:{leg.ivruniqueid}:{_short(leg.record_url or '')}"
            enqueue(conn, KIND_RECORDING, key, payload, leg_id=stored.id)
        customer_leg = leg.direction in ("in", "out")
        digest = content_hash(leg)[:16]
        if customer_leg and leg.customer_number:
            for kind, on in (
                (KIND_HUBSPOT, crm.hubspot.enabled),
                (KIND_PIPEDRIVE, crm.pipedrive.enabled),
            ):
                if on:
                    key = f"{kind}:{leg.ivruniqueid}:{digest}"
                    enqueue(conn, kind, key, payload, leg_id=stored.id)
        for target in crm.webhooks:
            if customer_leg or target.all_legs:
                key = f"{KIND_WEBHOOK}:{target.name}:{leg.ivruniqueid}:{digest}"
                enqueue(
                    conn, KIND_WEBHOOK, key, {**payload, "target": target.name}, leg_id=stored.id
                )

    return crm_hook
