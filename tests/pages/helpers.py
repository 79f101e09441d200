"""What the page tests share: a user added, a browser-like client signed in, a form's token."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cdrhub.people import users
from cdrhub.store.engine import write_transaction

ORIGIN = {"Origin": "http://testserver"}
PASSWORD = "correct horse battery"


def csrf(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def add_user(engine: Engine, email: str, role: str = "manager", **options: Any) -> None:
    with write_transaction(engine) as conn:
        users.add(conn, email, role, options.pop("password", PASSWORD), actor="cli", **options)


def signed_in(
    app: FastAPI, email: str, password: str = PASSWORD, *, base: str = "http://testserver"
) -> TestClient:
    """A client signed in as `email` (English pages, redirects not followed)."""
    web = TestClient(app, base_url=base, follow_redirects=False, headers={"Accept-Language": "en"})
    form = web.get("/login")
    done = web.post(
        "/login",
        data={"csrf": csrf(form.text), "email": email, "password": password},
        headers={"Origin": base},
    )
    assert done.status_code == 303, done.text
    return web
