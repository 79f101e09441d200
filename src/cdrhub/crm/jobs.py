"""The CRM's outbox job handlers: recording archive, HubSpot, Pipedrive, generic webhooks
(`HANDLERS`, handed to the worker by `cdrhub.domains`).

Each handler loads the leg's current content (a revision supersedes what was enqueued), talks
to the outside service through the settings' base URL and records what it created in
`crm_links`, so that a retry or a redelivery updates instead of duplicating. The connectors,
and httpx under them, are imported by the first job that calls out: a start loads none.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

from cdrhub.calls.model import CallLeg
from cdrhub.crm.connectors.links import get_link, save_link
from cdrhub.crm.connectors.payload import call_event
from cdrhub.crm.contacts import contacts_for_phone
from cdrhub.crm.embed import embed_secret, recording_path
from cdrhub.crm.recordings.archive import archive_recording, get_recording, read_recording
from cdrhub.crm.recordings.storage import make_storage
from cdrhub.crm.recordings.urlpolicy import redirect_target
from cdrhub.crm.settings import CrmSettings, load_crm_settings
from cdrhub.jobs.outbox import PermanentFailure, Skip
from cdrhub.jobs.registry import Handler, JobContext
from cdrhub.store.legs import content_hash, get_leg

if TYPE_CHECKING:
    import httpx

    from cdrhub.crm.connectors.pipedrive import PipedriveApi

KIND_RECORDING = "crm.recording"
KIND_HUBSPOT = "crm.hubspot"
KIND_PIPEDRIVE = "crm.pipedrive"
KIND_WEBHOOK = "crm.webhook"


def _leg(ctx: JobContext) -> CallLeg:
    with ctx.engine.connect() as conn:
        leg = get_leg(conn, ctx.payload["ivruniqueid"])
    if leg is None:
        raise PermanentFailure(f"no leg {ctx.payload['ivruniqueid']}")
    return leg


def _our_contact(ctx: JobContext, leg: CallLeg) -> dict[str, Any] | None:
    if not leg.customer_number:
        return None
    with ctx.engine.connect() as conn:
        found = contacts_for_phone(conn, leg.customer_number)
    return found[0] if found else None


def _client() -> httpx.Client:
    import httpx

    from cdrhub.jobs.http import tls_context

    return httpx.Client(verify=tls_context())


def archive_job(ctx: JobContext) -> dict[str, Any]:
    cfg = load_crm_settings(ctx.settings).recordings
    storage = make_storage(cfg)
    return archive_recording(ctx.engine, ctx.payload["ivruniqueid"], cfg, storage, now=ctx.now)


def hubspot_job(ctx: JobContext) -> dict[str, Any]:
    from cdrhub.crm.connectors.hubspot import HubSpotApi, push_to_hubspot

    crm = load_crm_settings(ctx.settings)
    if not crm.hubspot.enabled:
        raise Skip("HubSpot is not configured")
    leg = _leg(ctx)
    link = get_link(ctx.engine, "hubspot", leg.ivruniqueid)
    contact = _our_contact(ctx, leg)
    known_contact = (link.remote_contact_id if link else None) or (
        contact["external_ids"].get("hubspot") if contact else None
    )
    with _client() as client:
        result = push_to_hubspot(
            HubSpotApi(crm.hubspot, client),
            leg,
            region=crm.region,
            known_call_id=link.remote_id if link else None,
            known_contact_id=known_contact,
            contact_name=contact["name"] if contact else None,
            recording_url=_signed_recording_url(ctx, crm, leg)
            or redirect_target(leg.record_url, crm.recordings.url_policy),
        )
    save_link(
        ctx.engine,
        "hubspot",
        leg.ivruniqueid,
        result["call_id"],
        now=ctx.now,
        remote_contact_id=result["contact_id"],
        content_hash=content_hash(leg),
    )
    return result


def _signed_recording_url(ctx: JobContext, crm: CrmSettings, leg: CallLeg) -> str | None:
    """Our signed link to the leg's recording, when HubSpot is set to use it."""
    base = ctx.settings.public_url
    if crm.hubspot.recording_link != "signed" or not base or not leg.record_url:
        return None
    if not leg.customer_number:
        return None
    expires = int(time.time()) + crm.hubspot.recording_link_days * 86400
    secret = embed_secret(ctx.engine, crm)
    return base.rstrip("/") + recording_path(secret, leg.customer_number, expires, leg.ivruniqueid)


@contextmanager
def _recording_file(
    ctx: JobContext, crm: CrmSettings, leg: CallLeg
) -> Iterator[tuple[BinaryIO, str, str]]:
    """(audio in a temporary file, file name, content type): the archived copy, else downloaded
    now."""
    storage = make_storage(crm.recordings)
    with ctx.engine.connect() as conn:
        row = get_recording(conn, leg.ivruniqueid)
    archived = read_recording(row, storage) if row else None
    if archived is not None:
        ext = archived.key.rsplit(".", 1)[-1] or "mp3"
        with tempfile.TemporaryFile() as f:
            for chunk in storage.read(archived.key):
                f.write(chunk)
            f.seek(0)
            yield f, f"{leg.ivruniqueid}.{ext}", archived.content_type
        return
    from cdrhub.crm.recordings.fetch import download_recording

    with download_recording(leg.record_url or "", crm.recordings) as got:
        yield got.file, f"{leg.ivruniqueid}.{got.kind.extension}", got.kind.content_type


def _attach(
    ctx: JobContext, crm: CrmSettings, api: PipedriveApi, leg: CallLeg, call_log_id: str
) -> str | None:
    if not crm.pipedrive.attach_recordings or not leg.record_url:
        return None
    done = get_link(ctx.engine, "pipedrive.recording", leg.ivruniqueid)
    if done and done.remote_id == call_log_id:
        return "attached before"
    with ExitStack() as stack:
        try:
            audio, name, content_type = stack.enter_context(_recording_file(ctx, crm, leg))
        except PermanentFailure as exc:  # the call log stands without it
            return f"not attached: {exc.reason}"
        api.attach_recording(call_log_id, audio, name, content_type)
    save_link(ctx.engine, "pipedrive.recording", leg.ivruniqueid, call_log_id, now=ctx.now)
    return "attached"


def pipedrive_job(ctx: JobContext) -> dict[str, Any]:
    from cdrhub.crm.connectors.pipedrive import PipedriveApi, call_log_body

    crm = load_crm_settings(ctx.settings)
    cfg = crm.pipedrive
    if not cfg.enabled:
        raise Skip("Pipedrive is not configured")
    leg = _leg(ctx)
    digest = content_hash(leg)
    link = get_link(ctx.engine, "pipedrive", leg.ivruniqueid)
    with _client() as client:
        api = PipedriveApi(cfg, client)
        if link and link.content_hash == digest:
            call_log_id, action, person_id = link.remote_id, "kept", link.remote_contact_id
        else:
            contact = _our_contact(ctx, leg)
            known = contact["external_ids"].get("pipedrive") if contact else None
            person: tuple[int, int | None] | None
            person = (int(known), None) if known and known.isdigit() else None
            if person is None and leg.customer_number:
                person = api.find_person(leg.customer_number, crm.region)
            if person is None and not cfg.log_unknown_callers:
                raise Skip(f"no Pipedrive person with {leg.customer_number}")
            if link:  # call logs cannot be edited: replace it
                api.delete_call_log(link.remote_id)
            call_log_id = api.create_call_log(call_log_body(leg, person, cfg.user_id))
            person_id = str(person[0]) if person else None
            save_link(
                ctx.engine,
                "pipedrive",
                leg.ivruniqueid,
                call_log_id,
                now=ctx.now,
                remote_contact_id=person_id,
                content_hash=digest,
            )
            action = "replaced" if link else "created"
        recording = _attach(ctx, crm, api, leg, call_log_id)
    return {
        "call_log_id": call_log_id,
        "person_id": person_id,
        "action": action,
        "recording": recording,
    }


def webhook_job(ctx: JobContext) -> dict[str, Any]:
    from cdrhub.crm.connectors import webhook

    crm = load_crm_settings(ctx.settings)
    target = crm.webhook(ctx.payload["target"])
    if target is None:
        raise Skip(f"webhook {ctx.payload['target']!r} is no longer configured")
    event = call_event(_leg(ctx))
    with _client() as client:
        return webhook.deliver(client, target, event, "msg_" + ctx.idempotency_key, time.time())


HANDLERS: dict[str, Handler] = {
    KIND_RECORDING: archive_job,
    KIND_HUBSPOT: hubspot_job,
    KIND_PIPEDRIVE: pipedrive_job,
    KIND_WEBHOOK: webhook_job,
}
