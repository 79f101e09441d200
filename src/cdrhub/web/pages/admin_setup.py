"""Admin: the set-up page. The ingest URL to give Voicenter (with a copy button; a generated
token is kept only as its hash, so it is shown again only by making a new one), and a test CDR
sent through the real ingest path (the writer, the pipeline, the hooks, the ack), shown as it
arrives."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from cdrhub.ingest.messages import Delivery
from cdrhub.people import audit
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import legs
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import page

router = APIRouter(include_in_schema=False)
ADMIN = guard.role("admin")


def test_cdr(now: datetime) -> dict[str, Any]:
    """A Click2Call first leg (the agent's own phone ringing): stored like any CDR, counted by
    no customer report, opening no callback item."""
    return {
        "caller": "cdrhub-test",
        "target": "cdrhub-test",
        "time": int(now.timestamp()),
        "duration": 0,
        "ivruniqueid": f"cdrhubtest{now:%Y%m%d%H%M%S%f}",
        "type": "Click2Call leg1",
        "status": "ANSWER",
        "targetextension": "cdrhub-test",
        "queueid": 0,
        "queuename": "",
        "price": 0,
        "dialtime": 0,
        "representative_name": "cdrhub test",
        "representative_code": "",
    }


def ingest_url(request: Request, token: str | None) -> str:
    base = (request.app.state.settings.public_url or str(request.base_url)).rstrip("/")
    return f"{base}/voicenter/cdr/{token or '<ingest token>'}"


def _page(request: Request, session: Session, **shown: Any) -> Response:
    settings = request.app.state.settings
    configured = settings.ingest_token
    return page(
        request,
        guard.lang_of(request),
        "admin_setup.html",
        user=session.user,
        csrf=session.csrf,
        url=ingest_url(request, shown.pop("token", None) or configured),
        configured=bool(configured),
        **{"new_token": False, "result": None, **shown},
    )


@router.get("/admin/setup")
def setup_page(request: Request, session: Session = Depends(ADMIN)) -> Response:
    return _page(request, session)


@router.post("/admin/setup/new-token")
def new_token(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    from cdrhub.store.state import rotate_secret

    guard.check_form(request, fields, session)
    if request.app.state.settings.ingest_token:
        return _page(request, session)  # a configured token is changed where it is configured
    engine = request.app.state.engine
    token = rotate_secret(engine, "ingest_token", hashed=True)
    request.app.state.ingest_check.refresh()
    with write_transaction(engine) as conn:
        audit.record(conn, session.user.email, "ingest-token.rotate", None, user_id=session.user.id)
    return _page(request, session, token=token, new_token=True)


@router.post("/admin/setup/test-cdr")
async def send_test_cdr(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    guard.check_form(request, fields, session)
    now = datetime.now(UTC)
    wire = test_cdr(now)
    delivery = Delivery(
        body=json.dumps(wire).encode(),
        content_type="application/json",
        query="",
        method="POST",
        headers={"content-type": "application/json"},
        source=request.client.host if request.client else None,
        received_at=now.replace(tzinfo=None),
    )
    started = time.perf_counter()
    outcome = await request.app.state.ingest_writer.submit(delivery)
    millis = round((time.perf_counter() - started) * 1000)
    with request.app.state.engine.connect() as conn:
        row = conn.execute(
            select(legs.c.id, legs.c.type, legs.c.status).where(
                legs.c.ivruniqueid == wire["ivruniqueid"]
            )
        ).first()
    result = {
        "ivruniqueid": wire["ivruniqueid"],
        "kinds": [leg.kind for leg in outcome.legs],
        "errors": list(outcome.errors),
        "millis": millis,
        "row": dict(row._mapping) if row is not None else None,
    }
    return _page(request, session, result=result)
