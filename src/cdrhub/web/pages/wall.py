"""The wallboard (`/wall`): today's large figures per queue for a TV across the room,
refreshing itself. Signed in, it shows the user's scope; a screen with no login opens a signed,
read-only link (`/wall/s/<expires>.<queues>.<signature>`) that shows the queues it names until
it expires, or until an admin ends every screen link (a new signing key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cdrhub.people import audit
from cdrhub.people.roles import Scope
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.store.state import get_or_create_secret, rotate_secret
from cdrhub.web.pages import guard
from cdrhub.web.pages.live import open_items, queue_tiles
from cdrhub.web.pages.templating import page

router = APIRouter(include_in_schema=False)
KEY = "wall_secret"
REFRESH_SECONDS = 15
MAX_DAYS = 3650


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _names(value: frozenset[str] | None) -> list[str] | None:
    return None if value is None else sorted(value)


def sign(secret: str, expires: int, scope: Scope) -> str:
    shown = {"q": _names(scope.queues), "d": _names(scope.departments)}
    body = f"{expires}.{_b64(json.dumps(shown, ensure_ascii=False).encode())}"
    signature = hmac.new(secret.encode(), f"wall|{body}".encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def verify(secret: str, token: str, now: float) -> Scope | None:
    """The scope a screen link shows, or None (forged, expired, or malformed)."""
    if len(token) > 4096 or token.count(".") != 2:
        return None
    expires, shown, _signature = token.split(".")
    if not expires.isdigit() or int(expires) < now:
        return None
    try:
        names = json.loads(_unb64(shown))
        scope = Scope.of(names["q"], names["d"])
    except (ValueError, KeyError, TypeError):
        return None
    if not hmac.compare_digest(sign(secret, int(expires), scope).encode(), token.encode()):
        return None
    return scope


def _wall(request: Request, sees: Scope, lang: str, **context: Any) -> Response:
    def covers(queue: str | None, department: str | None) -> bool:
        return sees.covers(queue, department)

    items = open_items(request, covers, lang)
    longest = max((i["wait_seconds"] for i in items), default=None)
    return page(
        request,
        lang,
        "wall.html",
        tiles=queue_tiles(request, covers),
        open_count=len(items),
        longest_wait_minutes=None if longest is None else longest // 60,
        refresh=REFRESH_SECONDS,
        **context,
    )


@router.get("/wall")
def wall(request: Request, session: Session = Depends(guard.signed_in)) -> Response:
    scope = Scope() if session.user.role == "admin" else session.user.scope
    return _wall(
        request,
        scope,
        guard.lang_of(request),
        user=session.user,
        csrf=session.csrf,
        can_link=session.user.role in ("admin", "manager"),
        link=None,
    )


@router.get("/wall/s/{token}")
def screen(request: Request, token: str, lang: str | None = None) -> Response:
    secret = get_or_create_secret(request.app.state.engine, KEY)
    scope = verify(secret, token, time.time())
    if scope is None:
        return page(
            request, guard.lang_of(request), "refused.html", 403, user=None, csrf="", reason="link"
        )
    chosen = lang if lang in ("he", "en") else guard.lang_of(request)
    return _wall(request, scope, chosen, user=None, csrf="", can_link=False, link=None)


@router.post("/wall/link")
def make_link(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.role("admin", "manager")),
) -> Response:
    """A screen link for the user's own scope (a manager cannot widen it)."""
    guard.check_form(request, fields, session)
    days = fields.get("days", "365")
    valid = min(int(days), MAX_DAYS) if days.isdigit() and int(days) > 0 else 365
    user = session.user
    scope = Scope() if user.role == "admin" else user.scope
    secret = get_or_create_secret(request.app.state.engine, KEY)
    token = sign(secret, int(time.time()) + valid * 86400, scope)
    base = (request.app.state.settings.public_url or str(request.base_url)).rstrip("/")
    with write_transaction(request.app.state.engine) as conn:
        audit.record(
            conn,
            user.email,
            "wall.link",
            None,
            user_id=user.id,
            detail={"days": valid},
        )
    lang = guard.lang_of(request)
    return _wall(
        request,
        scope,
        lang,
        user=user,
        csrf=session.csrf,
        can_link=True,
        link=f"{base}/wall/s/{token}?lang={lang}",
    )


@router.post("/wall/end-links")
def end_links(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.role("admin")),
) -> Response:
    guard.check_form(request, fields, session)
    rotate_secret(request.app.state.engine, KEY, hashed=False)
    with write_transaction(request.app.state.engine) as conn:
        audit.record(conn, session.user.email, "wall.end-links", None, user_id=session.user.id)
    return wall(request, session)
