"""The dashboard's doors: the one-time set-up link, sign-in and sign-out, one's password and
language, the CSRF defence and the security headers, through the real app on both engines."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cdrhub.commands.core import dashboard_line
from cdrhub.people import setup, users
from cdrhub.store.engine import write_transaction
from cdrhub.web.pages.templating import CSP

ORIGIN = {"Origin": "http://testserver"}
PASSWORD = "correct horse battery"


@pytest.fixture
def web(app: FastAPI) -> TestClient:
    return TestClient(app, client=("10.1.2.3", 40000), follow_redirects=False)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def _user(engine: Engine, email: str = "dana@example.com", role: str = "manager", **kw) -> None:  # type: ignore[no-untyped-def]
    with write_transaction(engine) as conn:
        users.add(conn, email, role, PASSWORD, actor="cli", **kw)


def _sign_in(
    web: TestClient, email: str = "dana@example.com", password: str = PASSWORD, next_url: str = "/"
):  # type: ignore[no-untyped-def]
    form = web.get("/login")
    return web.post(
        "/login",
        data={"csrf": _csrf(form.text), "email": email, "password": password, "next": next_url},
        headers=ORIGIN,
    )


def test_a_page_sends_the_signed_out_to_sign_in(web: TestClient) -> None:
    answer = web.get("/?queue=sales")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Fqueue%3Dsales"


def test_the_set_up_link_creates_the_first_admin_once(web: TestClient, app: FastAPI) -> None:
    engine = app.state.engine
    token = setup.new_setup_token(engine)
    assert dashboard_line(engine, "http://h:8000/").startswith(
        "Dashboard set-up (one-time link, creates the first admin): http://h:8000/setup?token="
    )
    token = setup.new_setup_token(engine)  # the newest link is the one that works
    form = web.get(f"/setup?token={token}")
    assert form.status_code == 200
    assert form.headers["referrer-policy"] == "same-origin"
    answer = web.post(
        "/setup",
        data={
            "csrf": _csrf(form.text),
            "token": token,
            "email": "Boss@Example.com",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
        headers=ORIGIN,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("cdrhub_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    start = web.get("/")
    assert start.status_code == 200
    assert "boss@example.com" in start.text
    assert web.get(f"/setup?token={token}").status_code == 404
    assert dashboard_line(engine, "http://h:8000") == "Dashboard: http://h:8000/"


def test_set_up_refuses_a_wrong_token_and_differing_passwords(
    web: TestClient, app: FastAPI
) -> None:
    token = setup.new_setup_token(app.state.engine)
    assert web.get("/setup?token=guess").status_code == 404
    form = web.get(f"/setup?token={token}")
    answer = web.post(
        "/setup",
        data={
            "csrf": _csrf(form.text),
            "token": token,
            "email": "b@example.com",
            "password": PASSWORD,
            "password2": PASSWORD + "!",
        },
        headers={**ORIGIN, "Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert "The two passwords differ." in answer.text


def test_sign_in_and_out(web: TestClient, app: FastAPI) -> None:
    _user(app.state.engine)
    answer = _sign_in(web, "DANA@example.com", next_url="/?x=1")
    assert (answer.status_code, answer.headers["location"]) == (303, "/?x=1")
    assert web.get("/").status_code == 200
    old_cookie = web.cookies.get("cdrhub_session")
    out = web.post("/logout", data={"csrf": _csrf(web.get("/").text)}, headers=ORIGIN)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    # the session ended on the server: the old cookie opens nothing
    web.cookies.set("cdrhub_session", old_cookie)
    assert web.get("/").status_code == 303


def test_sign_in_goes_only_to_our_own_pages(web: TestClient, app: FastAPI) -> None:
    _user(app.state.engine)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        web.cookies.clear()
        answer = _sign_in(web, next_url=target)
        assert answer.headers["location"] == "/"


def test_a_wrong_password_says_so_in_the_users_language(web: TestClient, app: FastAPI) -> None:
    _user(app.state.engine)
    web.headers["Accept-Language"] = "he-IL,he;q=0.9,en;q=0.5"
    answer = _sign_in(web, password="wrong password!")
    assert answer.status_code == 401
    assert "כתובת הדוא״ל או הסיסמה שגויות." in answer.text
    assert '<html lang="he" dir="rtl">' in answer.text


def test_sign_in_is_slowed_after_failures(web: TestClient, app: FastAPI) -> None:
    _user(app.state.engine)
    for _ in range(5):
        assert _sign_in(web, password="wrong password!").status_code == 401
    answer = _sign_in(web)
    assert answer.status_code == 429
    assert "cdrhub_session" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/x"},
    ],
)
def test_a_cross_site_or_origin_less_post_is_refused(
    web: TestClient, app: FastAPI, headers
) -> None:  # type: ignore[no-untyped-def]
    _user(app.state.engine)
    form = web.get("/login")
    answer = web.post(
        "/login",
        data={"csrf": _csrf(form.text), "email": "dana@example.com", "password": PASSWORD},
        headers=headers,
    )
    assert answer.status_code == 403
    assert "cdrhub_session" not in answer.headers.get("set-cookie", "")


def test_a_post_without_its_sessions_token_is_refused(web: TestClient, app: FastAPI) -> None:
    _user(app.state.engine)
    _sign_in(web)
    answer = web.post("/logout", data={"csrf": "forged"}, headers=ORIGIN)
    assert answer.status_code == 403
    assert web.get("/").status_code == 200  # still signed in


def test_a_one_time_password_must_be_changed_first(web: TestClient, app: FastAPI) -> None:
    with write_transaction(app.state.engine) as conn:
        users.add(conn, "a@example.com", "agent", "temporary-pass", actor="cli", one_time=True)
    answer = _sign_in(web, "a@example.com", "temporary-pass")
    assert answer.headers["location"] == "/account/password"
    assert web.get("/").headers["location"] == "/account/password"
    form = web.get("/account/password")
    done = web.post(
        "/account/password",
        data={
            "csrf": _csrf(form.text),
            "current": "temporary-pass",
            "password": "my own long password",
            "password2": "my own long password",
        },
        headers=ORIGIN,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/")
    assert web.get("/").status_code == 200


def test_the_language_choice_is_kept(web: TestClient, app: FastAPI) -> None:
    _user(app.state.engine)
    _sign_in(web)
    page = web.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en" dir="ltr">' in page.text
    web.post("/account/lang", data={"csrf": _csrf(page.text), "lang": "he"}, headers=ORIGIN)
    web.cookies.delete("cdrhub_lang")  # kept on the user, not only in the cookie
    again = web.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="he" dir="rtl">' in again.text
    assert "<h1>היום</h1>" in again.text


def test_pages_carry_a_strict_policy(web: TestClient) -> None:
    answer = web.get("/login")
    assert answer.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in answer.text and "style=" not in answer.text


def test_cookies_are_secure_behind_https(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from cdrhub.web.app import create_app

    application = create_app(replace(settings, public_url="https://cdr.example.co.il"))
    web = TestClient(application, base_url="https://cdr.example.co.il", follow_redirects=False)
    _user(application.state.engine)
    form = web.get("/login")
    answer = web.post(
        "/login",
        data={"csrf": _csrf(form.text), "email": "dana@example.com", "password": PASSWORD},
        headers={"Origin": "https://cdr.example.co.il"},
    )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]
    application.state.engine.dispose()
