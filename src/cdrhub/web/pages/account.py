"""Signing in and out, the first admin's set-up page, one's own password and language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cdrhub.people import sessions, setup, signin, users
from cdrhub.people.passwords import WeakPassword
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.web import i18n
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import page, redirect

router = APIRouter(include_in_schema=False)

SESSION_MAX_AGE = int(sessions.LIFETIME.total_seconds())


def _local(next_url: str | None) -> str:
    """Where to go after signing in: a path of ours only (never another site)."""
    if next_url and next_url.startswith("/") and not next_url.startswith(("//", "/\\")):
        return next_url
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _anonymous_page(
    request: Request, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    token = guard.form_token(request)
    response = page(
        request, guard.lang_of(request), name, status_code, csrf=token, user=None, **context
    )
    guard.keep_form_token(request, response, token)
    return response


def _signed_in(request: Request, response: Response, token: str) -> Response:
    guard.set_cookie(request, response, guard.SESSION_COOKIE, token, SESSION_MAX_AGE)
    response.delete_cookie(guard.FORM_COOKIE, path="/")
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if guard.session_of(request) is not None:
        return redirect(_local(next))
    return _anonymous_page(request, "login.html", next=_local(next), error=None, email="")


@router.post("/login")
def login(request: Request, fields: dict[str, str] = Depends(guard.form)) -> Response:
    guard.check_form(request, fields, None)
    email, password = fields.get("email", "")[:254], fields.get("password", "")[:1024]
    next_url = _local(fields.get("next"))
    try:
        with write_transaction(request.app.state.engine) as conn:
            done = signin.sign_in(conn, email, password, _client(request))
    except signin.TooManyAttempts:
        return _anonymous_page(
            request, "login.html", 429, next=next_url, error="too_many", email=email
        )
    if done is None:
        return _anonymous_page(
            request, "login.html", 401, next=next_url, error="wrong", email=email
        )
    target = "/account/password" if done.user.must_change_password else next_url
    return _signed_in(request, redirect(target), done.token)


@router.post("/logout")
def logout(request: Request, fields: dict[str, str] = Depends(guard.form)) -> Response:
    session = guard.session_of(request)
    guard.check_form(request, fields, session)
    with write_transaction(request.app.state.engine) as conn:
        sessions.end(conn, request.cookies.get(guard.SESSION_COOKIE))
    response = redirect("/login")
    response.delete_cookie(guard.SESSION_COOKIE, path="/")
    return response


@router.get("/setup")
def setup_form(request: Request, token: str = "") -> Response:
    with request.app.state.engine.connect() as conn:
        valid = setup.setup_open(conn, token[:128])
    if not valid:
        return _anonymous_page(request, "setup_closed.html", 404)
    # The token in this page's URL goes to no other site: every page's Referrer-Policy is
    # same-origin (no-referrer would make the browser send `Origin: null`, refused as CSRF).
    return _anonymous_page(request, "setup.html", token=token, error=None, email="")


@router.post("/setup")
def setup_admin(request: Request, fields: dict[str, str] = Depends(guard.form)) -> Response:
    guard.check_form(request, fields, None)
    token, email = fields.get("token", "")[:128], fields.get("email", "")[:254]
    password, again = fields.get("password", "")[:1024], fields.get("password2", "")[:1024]
    error = None
    if password != again:
        error = "mismatch"
    else:
        lang = guard.lang_of(request)
        try:
            with write_transaction(request.app.state.engine) as conn:
                admin = setup.create_first_admin(conn, token, email, password)
                users.set_lang(conn, admin.id, lang)
                session_token = sessions.start(conn, admin.id)
        except setup.SetupClosed:
            return _anonymous_page(request, "setup_closed.html", 404)
        except WeakPassword:
            error = "weak"
        except users.UserError:
            error = "email"
    if error is not None:
        return _anonymous_page(request, "setup.html", 422, token=token, error=error, email=email)
    return _signed_in(request, redirect("/"), session_token)


@router.get("/account/password")
def password_form(request: Request, session: Session = Depends(guard.signed_in)) -> Response:
    return page(
        request,
        guard.lang_of(request),
        "password.html",
        user=session.user,
        csrf=session.csrf,
        error=None,
        done=False,
    )


@router.post("/account/password")
def change_password(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(guard.signed_in),
) -> Response:
    guard.check_form(request, fields, session)
    current, new = fields.get("current", "")[:1024], fields.get("password", "")[:1024]
    error = None
    if new != fields.get("password2", "")[:1024]:
        error = "mismatch"
    else:
        from cdrhub.people.passwords import verify_password

        with write_transaction(request.app.state.engine) as conn:
            if not verify_password(users.password_hash(conn, session.user.id), current):
                error = "wrong"
            else:
                try:
                    users.set_password(
                        conn,
                        session.user.email,
                        new,
                        actor=session.user.email,
                        keep_session=session.id,
                    )
                except WeakPassword:
                    error = "weak"
    lang = guard.lang_of(request)
    if error is not None:
        return page(
            request,
            lang,
            "password.html",
            422,
            user=session.user,
            csrf=session.csrf,
            error=error,
            done=False,
        )
    return redirect("/")


@router.post("/account/lang")
def choose_language(request: Request, fields: dict[str, str] = Depends(guard.form)) -> Response:
    session = guard.session_of(request)
    guard.check_form(request, fields, session)
    lang = i18n.pick(fields.get("lang"))
    if session is not None:
        with write_transaction(request.app.state.engine) as conn:
            users.set_lang(conn, session.user.id, lang)
    referer = request.headers.get("referer") or "/"
    target = _local("/" + referer.split("/", 3)[3] if referer.count("/") >= 3 else "/")
    response: RedirectResponse = redirect(target)
    guard.set_cookie(request, response, guard.LANG_COOKIE, lang, max_age=365 * 86400)
    return response
