"""The Contact page (`/contacts/<number>`): the number's timeline as a full page (the widget's
content: calls with their recordings, callbacks), and the contact's details, editable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from cdrhub.calls.phones import display_number, to_e164
from cdrhub.crm.contacts import ContactError, ContactInput, save_contact
from cdrhub.crm.timeline import build_timeline
from cdrhub.people import audit
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.timefmt import utcnow
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import page, redirect

router = APIRouter(include_in_schema=False)


def _recording_link(leg: Any, row: Any) -> str | None:
    if (row is None or row["status"] != "archived") and not leg.record_url:
        return None
    return f"/calls/{leg.ivruniqueid}/recording"


def _number(request: Request, phone: str) -> str:
    e164 = to_e164(phone[:64], request.app.state.settings.default_region)
    if e164 is None:
        raise HTTPException(404, "not a phone number")
    return e164


@router.get("/contacts/{phone}")
def contact_page(
    request: Request, phone: str, session: Session = Depends(guard.signed_in)
) -> Response:
    e164 = _number(request, phone)
    region = request.app.state.settings.default_region
    with request.app.state.engine.connect() as conn:
        timeline = build_timeline(conn, e164, recording_link=_recording_link, limit=100)
    contact = timeline["contacts"][0] if timeline["contacts"] else None
    return page(
        request,
        guard.lang_of(request),
        "contact.html",
        user=session.user,
        csrf=session.csrf,
        number=e164,
        number_display=display_number(e164, region),
        contact=contact,
        calls=timeline["calls"],
        callbacks=timeline["callbacks"],
    )


@router.post("/contacts/{phone}")
def save(
    request: Request,
    phone: str,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.signed_in),
) -> Response:
    guard.check_form(request, fields, session)
    e164 = _number(request, phone)
    data = ContactInput(
        name=fields.get("name", "").strip()[:255] or None,
        company=fields.get("company", "").strip()[:255] or None,
        email=fields.get("email", "").strip()[:255] or None,
        phones=(e164,),
    )
    try:
        with write_transaction(request.app.state.engine) as conn:
            contact_id, _created = save_contact(
                conn, data, region=request.app.state.settings.default_region, now=utcnow()
            )
            audit.record(
                conn,
                session.user.email,
                "contact.save",
                f"contact:{contact_id}",
                user_id=session.user.id,
            )
    except ContactError as exc:
        raise HTTPException(422, str(exc)) from None
    return redirect(f"/contacts/{e164}")
