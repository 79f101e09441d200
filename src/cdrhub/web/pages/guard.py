"""Who is asking, and may they: the session cookie, roles, and the CSRF defence (the request's
Origin must be ours, and a state-changing form carries its session's token).

Before sign-in (the sign-in and set-up forms) the token is a random cookie echoed by the form
(double submit), still behind the Origin check.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, Request
from starlette.responses import Response

from cdrhub.people import sessions
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.timefmt import utcnow
from cdrhub.web import i18n

SESSION_COOKIE = "cdrhub_session"
FORM_COOKIE = "cdrhub_form"  # the token of forms shown before sign-in
LANG_COOKIE = "cdrhub_lang"
MAX_FIELDS = 64


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in form."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class Forbidden(Exception):
    """Signed in, but not allowed (a role or scope that does not cover this)."""


class CsrfRefused(Exception):
    """A state-changing request from another site, or without its form's token."""


def secure(request: Request) -> bool:
    """Cookies are Secure when the public URL is https."""
    public = request.app.state.settings.public_url or ""
    return public.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )


def session_of(request: Request) -> Session | None:
    """The request's live session, if any (its use recorded at most once a minute)."""
    if hasattr(request.state, "session"):
        cached: Session | None = request.state.session
        return cached
    engine = request.app.state.engine
    token = request.cookies.get(SESSION_COOKIE)
    session = None
    if token:
        with engine.connect() as conn:
            session = sessions.resolve(conn, token)
        if session is not None and session.touch_due(utcnow()):
            with write_transaction(engine) as conn:
                sessions.touch(conn, session.id)
    request.state.session = session
    return session


def lang_of(request: Request) -> str:
    session = session_of(request)
    return i18n.pick(
        session.user.lang if session else None,
        request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def signed_in(request: Request) -> Session:
    session = session_of(request)
    if session is None:
        path = request.url.path
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(path + query)
    if session.user.must_change_password and request.url.path != "/account/password":
        raise SignInRequired("/account/password")
    return session


def role(*allowed: str) -> Callable[..., Session]:
    """A dependency: the session of a user with one of the `allowed` roles."""

    def check(session: Session = Depends(signed_in)) -> Session:
        if session.user.role not in allowed:
            raise Forbidden()
        return session

    return check


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request) -> bool:
    """The request comes from one of our own pages: its Origin (or, without one, its Referer)
    is the public URL's origin or the host it was sent to."""
    ours = {_origin(str(request.base_url))}
    public = request.app.state.settings.public_url
    if public:
        ours.add(_origin(public))
    sent = request.headers.get("origin") or request.headers.get("referer") or ""
    return sent not in ("", "null") and _origin(sent) in ours


async def form(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the first value of each); the body is already capped."""
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    return {name: values[0] for name, values in fields.items()}


def check_form(request: Request, fields: dict[str, str], session: Session | None) -> None:
    """Refuse a cross-site or token-less state change (CsrfRefused)."""
    offered = fields.get("csrf") or request.headers.get("x-csrf-token") or ""
    expected = session.csrf if session is not None else request.cookies.get(FORM_COOKIE) or ""
    good = bool(expected) and hmac.compare_digest(offered.encode(), expected.encode())
    if not same_origin(request) or not good:
        raise CsrfRefused()


def form_token(request: Request) -> str:
    """The pre-sign-in form token: the cookie's, or a new one (set by `keep_form_token`)."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)


def keep_form_token(request: Request, response: Response, token: str) -> None:
    if request.cookies.get(FORM_COOKIE) != token:
        set_cookie(request, response, FORM_COOKIE, token, max_age=3600)
