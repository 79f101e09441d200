"""The CRM's JSON API (bearer API key): contacts, a number's timeline, embed links, recordings."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import Field

from cdrhub.auth import require_api_key
from cdrhub.calls.model import CallLeg
from cdrhub.crm import contacts as repo
from cdrhub.crm import shapes
from cdrhub.crm.embed import embed_path
from cdrhub.crm.recordings.urlpolicy import redirect_target
from cdrhub.crm.serving import (
    crm_settings,
    engine,
    phone_or_none,
    recording_response,
    secret,
)
from cdrhub.crm.settings import MAX_TTL_SECONDS
from cdrhub.crm.timeline import build_timeline
from cdrhub.httpapi import API_ERRORS, Body, responses
from cdrhub.inputs import MAX_INT
from cdrhub.store.engine import write_transaction
from cdrhub.timefmt import iso_utc_or_value
from cdrhub.timerange import parse_instant

router = APIRouter(
    prefix="/api", tags=["crm"], dependencies=[Depends(require_api_key)], responses=API_ERRORS
)
CONTACT_ID = Path(ge=1, le=MAX_INT)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# the lengths of the columns they are stored in
Phone = Annotated[str, Field(max_length=64)]
System = Annotated[str, Field(min_length=1, max_length=32)]
ExternalId = Annotated[str, Field(max_length=128)]


class ContactBody(Body):
    name: str | None = Field(None, max_length=255)
    company: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=255)
    phones: list[Phone] = Field(default_factory=list, max_length=20)
    external_ids: dict[System, ExternalId] = Field(default_factory=dict, max_length=20)


class EmbedLinkBody(Body):
    phone: str = Field(max_length=64)
    ttl_seconds: int | None = Field(
        default=None, gt=0, le=MAX_TTL_SECONDS, description="default: [crm.embed] ttl_seconds"
    )


def _contact_json(contact: dict[str, Any]) -> dict[str, Any]:
    return {k: iso_utc_or_value(v) for k, v in contact.items()}


@router.post(
    "/contacts",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": shapes.ContactSaved},
        200: {
            "model": shapes.ContactSaved,
            "description": "an existing contact (same phone or id) was updated",
        },
    },
)
def create_contact(body: ContactBody, request: Request, response: Response) -> dict[str, Any]:
    """Create a contact, or update the one that shares a phone number or an external id."""
    data = repo.ContactInput(
        name=body.name,
        company=body.company,
        email=body.email,
        phones=tuple(body.phones),
        external_ids=body.external_ids,
    )
    try:
        with write_transaction(engine(request)) as conn:
            contact_id, created = repo.save_contact(
                conn, data, region=crm_settings(request).region, now=utcnow()
            )
            contact = repo.get_contact(conn, contact_id)
    except repo.ContactError as exc:
        raise HTTPException(422, str(exc)) from exc
    if not created:
        response.status_code = 200
    return {"created": created, "contact": _contact_json(contact or {})}


@router.get("/contacts", response_model=None, responses={200: {"model": shapes.ContactList}})
def list_contacts(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_INT),
    phone: str | None = None,
) -> dict[str, Any]:
    with engine(request).connect() as conn:
        if phone:
            e164 = phone_or_none(request, phone)
            if e164 is None:
                raise HTTPException(422, f"not a phone number: {phone!r}")
            found = repo.contacts_for_phone(conn, e164)
        else:
            found = repo.list_contacts(conn, limit=limit, offset=offset)
    return {"contacts": [_contact_json(c) for c in found]}


@router.get(
    "/contacts/{contact_id:int}",
    response_model=None,
    responses={200: {"model": shapes.Contact}, **responses(404)},
)
def get_contact(request: Request, contact_id: int = CONTACT_ID) -> dict[str, Any]:
    with engine(request).connect() as conn:
        contact = repo.get_contact(conn, contact_id)
    if contact is None:
        raise HTTPException(404, "no such contact")
    return _contact_json(contact)


@router.delete("/contacts/{contact_id:int}", status_code=204, responses=responses(404))
def delete_contact(request: Request, contact_id: int = CONTACT_ID) -> Response:
    with write_transaction(engine(request)) as conn:
        if not repo.delete_contact(conn, contact_id):
            raise HTTPException(404, "no such contact")
    return Response(status_code=204)


@router.get(
    "/contacts/{phone}/timeline", response_model=None, responses={200: {"model": shapes.Timeline}}
)
def timeline(
    phone: str,
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    before: str | None = Query(
        None,
        max_length=64,
        description="calls started before this instant: the previous page's next_before (UTC), "
        "or a local date or ISO datetime read like `from`",
    ),
) -> dict[str, Any]:
    """Every call with this number (any spelling), newest first, legs stitched into calls."""
    e164 = phone_or_none(request, phone)
    if e164 is None:
        raise HTTPException(422, f"not a phone number: {phone!r}")
    until = parse_instant(before, request.app.state.settings.tz, "before") if before else None

    policy = crm_settings(request).recordings.url_policy

    def link(leg: CallLeg, row: Any) -> str | None:
        if row is not None and row["status"] == "archived":
            return f"/api/recordings/{leg.ivruniqueid}"
        return redirect_target(leg.record_url, policy)  # the route's rule: https, allowed host

    with engine(request).connect() as conn:
        result = build_timeline(conn, e164, recording_link=link, limit=limit, before=until)
    result["contacts"] = [_contact_json(c) for c in result["contacts"]]
    return result


@router.post(
    "/embed-links",
    status_code=201,
    response_model=None,
    responses={201: {"model": shapes.EmbedLink}},
)
def mint_embed_link(body: EmbedLinkBody, request: Request) -> dict[str, Any]:
    """A signed, expiring link to the number's widget, for an iframe in a CRM."""
    e164 = phone_or_none(request, body.phone)
    if e164 is None:
        raise HTTPException(422, f"not a phone number: {body.phone!r}")
    ttl = body.ttl_seconds or crm_settings(request).embed.ttl_seconds
    expires = int(time.time()) + ttl
    path = embed_path(secret(request), e164, expires)
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return {
        "phone": e164,
        "path": path,
        "url": base.rstrip("/") + path,
        "expires_at": datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z"),
    }


AUDIO = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/recordings/{ivruniqueid}",
    response_class=Response,
    responses={
        200: {"description": "the archived recording", "content": {"audio/*": AUDIO}},
        206: {"description": "the requested range of it", "content": {"audio/*": AUDIO}},
        307: {"description": "not archived: Voicenter's URL"},
        416: {"description": "the range is outside the recording"},
        **responses(404),
    },
)
def get_recording(ivruniqueid: str, request: Request) -> Response:
    """The archived recording (Range supported); a redirect to Voicenter's when not archived."""
    return recording_response(request, ivruniqueid)
