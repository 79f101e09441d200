"""The Callbacks page (`/callbacks`): the work queue, filtered by state, queue and assignee,
with the Live page's actions; open items leave the list live when the customer is reached."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cdrhub.automations.callbacks import CLOSED_STATES, OPEN
from cdrhub.people.sessions import Session
from cdrhub.timefmt import utcnow
from cdrhub.web.pages import guard
from cdrhub.web.pages.live import open_items
from cdrhub.web.pages.templating import page

router = APIRouter(include_in_schema=False)
STATES = (OPEN, *CLOSED_STATES)


@router.get("/callbacks")
def callbacks_page(
    request: Request,
    status: str = OPEN,
    queue: str = "",
    assigned: str = "any",
    session: Session = Depends(guard.signed_in),
) -> Response:
    user = session.user
    status = status if status in (*STATES, "all") else OPEN
    who = {"me": user.email, "none": "", "any": None}.get(assigned)
    items = open_items(
        request,
        user.sees,
        guard.lang_of(request),
        user.email if user.role == "agent" else None,
        status=None if status == "all" else status,
        queue=queue[:255] or None,
        assigned=who,
    )
    queues = sorted({i["queue_name"] for i in items if i["queue_name"]})
    return page(
        request,
        guard.lang_of(request),
        "callbacks.html",
        user=user,
        csrf=session.csrf,
        items=items,
        states=STATES,
        status=status,
        queue=queue[:255],
        assigned=assigned,
        queues=queues,
        rendered=utcnow().strftime("%Y%m%d%H%M%S"),
        live_rows=status == OPEN and not queue and assigned == "any",
    )
