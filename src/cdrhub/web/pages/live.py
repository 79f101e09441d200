"""The Live page (`/`): today's figures per queue in the user's scope, coloured by thresholds,
and the open callbacks oldest first; pop-ups come over the live stream (livefeed.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cdrhub.analytics.service import run_report
from cdrhub.automations import callbacks
from cdrhub.calls.phones import display_number
from cdrhub.people.sessions import Session
from cdrhub.timefmt import utcnow
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import local_time, page
from cdrhub.web.pages.tiles import thresholds_for

router = APIRouter(include_in_schema=False)


def today_range(now_local: datetime) -> dict[str, str]:
    day = now_local.date()
    return {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}


Sees = Callable[[str | None, str | None], bool]


def queue_tiles(request: Request, sees: Sees) -> list[dict[str, Any]]:
    settings = request.app.state.settings
    now_local = datetime.now(settings.tz)
    report = run_report(request.app.state.engine, settings, "queues", today_range(now_local))
    dashboard = settings.section("dashboard")
    tiles = []
    for row in report["rows"]:
        name = row["queue_name"] or str(row["queue_id"])
        if not sees(name, None):
            continue
        limits = thresholds_for(dashboard, name)
        tiles.append(
            {
                "queue": name,
                "offered": row["offered"],
                "answered": row["answered"],
                "abandoned": row["abandoned"],
                "service_level": row["service_level"],
                "asa_seconds": row["asa_seconds"],
                "colour": {
                    "service_level": limits.colour("service_level", row["service_level"]),
                    "abandon_rate": limits.colour("abandon_rate", row["abandon_rate"]),
                    "asa_seconds": limits.colour("asa_seconds", row["asa_seconds"]),
                },
                "abandon_rate": row["abandon_rate"],
            }
        )
    return tiles


def open_items(
    request: Request,
    sees: Sees,
    lang: str,
    agent: str | None = None,
    *,
    status: str | None = callbacks.OPEN,
    queue: str | None = None,
    assigned: str | None = None,
) -> list[dict[str, Any]]:
    """The callbacks the viewer sees (open ones by default), oldest first. `agent`: only those
    not yet taken or taken by them; `assigned`: only those taken by that user ("" untaken)."""
    settings = request.app.state.settings
    region, now = settings.default_region, utcnow()
    with request.app.state.engine.connect() as conn:
        items = callbacks.list_items(conn, now, status=status, limit=500)
    shown = []
    for item in items:
        if not sees(item["queue_name"], item.get("department_name")):
            continue
        if agent is not None and item["assigned_to"] not in (None, agent):
            continue
        if queue and item["queue_name"] != queue:
            continue
        if assigned is not None and (item["assigned_to"] or "") != assigned:
            continue
        shown.append(
            {
                **item,
                "number_display": display_number(item["customer_number"], region),
                "opened_local": local_time(item["opened_at"], settings.tz, lang),
            }
        )
    return shown


@router.get("/")
def live_page(request: Request, session: Session = Depends(guard.signed_in)) -> Response:
    lang = guard.lang_of(request)
    user = session.user
    items = open_items(request, user.sees, lang, user.email if user.role == "agent" else None)
    longest = max((i["wait_seconds"] for i in items), default=None)
    return page(
        request,
        lang,
        "live.html",
        user=session.user,
        csrf=session.csrf,
        tiles=queue_tiles(request, user.sees),
        items=items,
        longest_wait_minutes=None if longest is None else longest // 60,
        rendered=utcnow().strftime("%Y%m%d%H%M%S"),
        live_rows=True,
    )
