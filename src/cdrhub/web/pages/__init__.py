"""The dashboard: server-rendered pages for managers and agents, in Hebrew and English.

`install(app)` mounts the pages and the answers for a missing sign-in, a refused role and a
refused cross-site form; their scripts and stylesheet are the app's /static (web/static).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from cdrhub.web.pages import (
    account,
    admin_ops,
    admin_setup,
    admin_users,
    callback_actions,
    callbacks_page,
    calls,
    contact,
    guard,
    live,
    livefeed,
    reports,
    wall,
)
from cdrhub.web.pages.templating import page, redirect


def install(app: FastAPI) -> None:
    app.include_router(account.router)
    app.include_router(live.router)
    app.include_router(livefeed.router)
    app.include_router(callback_actions.router)
    app.include_router(callbacks_page.router)
    app.include_router(calls.router)
    app.include_router(contact.router)
    app.include_router(admin_users.router)
    app.include_router(admin_ops.router)
    app.include_router(admin_setup.router)
    app.include_router(wall.router)
    app.include_router(reports.router)

    @app.exception_handler(guard.SignInRequired)
    async def sign_in(request: Request, exc: guard.SignInRequired) -> Response:
        from urllib.parse import quote

        if exc.next_url == "/account/password":
            return redirect(exc.next_url)
        return redirect(f"/login?next={quote(exc.next_url, safe='/')}")

    @app.exception_handler(guard.Forbidden)
    async def forbidden(request: Request, exc: guard.Forbidden) -> Response:
        return refused(request, "role")

    @app.exception_handler(guard.CsrfRefused)
    async def csrf_refused(request: Request, exc: guard.CsrfRefused) -> Response:
        return refused(request, "csrf")


def refused(request: Request, reason: str) -> Response:
    """The 403 page: a role that does not open the page, or a refused cross-site form."""
    session = guard.session_of(request)
    return page(
        request,
        guard.lang_of(request),
        "refused.html",
        403,
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        reason=reason,
    )
