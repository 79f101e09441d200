"""Admin: the users (add, disable, enable, a one-time password) and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cdrhub.people import audit, passwords, users
from cdrhub.people.roles import ROLES, UnknownRole
from cdrhub.people.sessions import Session
from cdrhub.store.engine import write_transaction
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import local_time, page

router = APIRouter(include_in_schema=False)
ADMIN = guard.role("admin")


def _names(text: str) -> list[str] | None:
    """A comma-separated list of queue or department names; None (all) when empty."""
    found = [part.strip()[:255] for part in text.split(",") if part.strip()]
    return found[:100] or None


def _users_page(
    request: Request, session: Session, status_code: int = 200, **shown: Any
) -> Response:
    with request.app.state.engine.connect() as conn:
        everyone = users.all_users(conn)
    lang = guard.lang_of(request)
    tz = request.app.state.settings.tz
    return page(
        request,
        lang,
        "admin_users.html",
        status_code,
        user=session.user,
        csrf=session.csrf,
        users=everyone,
        roles=ROLES,
        tz=tz,
        local_time=local_time,
        **{"error": None, "one_time": None, "for_email": None, **shown},
    )


@router.get("/admin/users")
def users_page(request: Request, session: Session = Depends(ADMIN)) -> Response:
    return _users_page(request, session)


@router.post("/admin/users")
def add_user(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    guard.check_form(request, fields, session)
    secret = passwords.one_time_password()
    role = fields.get("role", "")
    try:
        with write_transaction(request.app.state.engine) as conn:
            added = users.add(
                conn,
                fields.get("email", "")[:254],
                role,
                secret,
                actor=session.user.email,
                name=fields.get("name", "")[:255] or None,
                queues=_names(fields.get("queues", "")) if role != "admin" else None,
                departments=_names(fields.get("departments", "")) if role != "admin" else None,
                agent_code=fields.get("agent_code", "")[:64] or None,
                extension=fields.get("extension", "")[:64] or None,
                lang=fields.get("lang") if fields.get("lang") in ("he", "en") else None,
                one_time=True,
            )
    except (users.UserError, UnknownRole) as exc:
        return _users_page(request, session, 422, error=str(exc))
    return _users_page(request, session, one_time=secret, for_email=added.email)


@router.post("/admin/users/{email}/{action}")
def change_user(
    request: Request,
    email: str,
    action: str,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    guard.check_form(request, fields, session)
    secret = None
    try:
        with write_transaction(request.app.state.engine) as conn:
            if action in ("disable", "enable"):
                if action == "disable" and email.lower() == session.user.email:
                    return _users_page(request, session, 422, error="self")
                users.set_disabled(conn, email, action == "disable", actor=session.user.email)
            elif action == "reset-password":
                secret = passwords.one_time_password()
                users.set_password(conn, email, secret, actor=session.user.email, one_time=True)
            else:
                return _users_page(request, session, 404, error="action")
    except users.UserError as exc:
        return _users_page(request, session, 404, error=str(exc))
    return _users_page(request, session, one_time=secret, for_email=email.lower())


@router.get("/admin/audit")
def audit_page(
    request: Request, before: int | None = None, session: Session = Depends(ADMIN)
) -> Response:
    with request.app.state.engine.connect() as conn:
        entries = audit.entries(conn, limit=100, before_id=before)
    return page(
        request,
        guard.lang_of(request),
        "admin_audit.html",
        user=session.user,
        csrf=session.csrf,
        entries=entries,
        tz=request.app.state.settings.tz,
        local_time=local_time,
        older=entries[-1].id if len(entries) == 100 else None,
    )
