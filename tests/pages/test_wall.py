"""The wallboard: the signed-in user's scope, a read-only screen link that shows exactly the
scope it was made for until it expires or every link is ended, and refuses a forged one."""

from __future__ import annotations

import re
import time

from fastapi import FastAPI
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.people import users
from cdrhub.people.roles import Scope
from cdrhub.store.engine import write_transaction
from cdrhub.web.pages import wall
from tests.automations.helpers import deliver, recent
from tests.pages.helpers import ORIGIN, PASSWORD, csrf, signed_in


def test_a_screen_link_shows_its_scope_until_ended(app: FastAPI, settings: Settings) -> None:
    engine = app.state.engine
    deliver(engine, settings, recent(minutes_ago=3))
    with write_transaction(engine) as conn:
        users.add(conn, "boss@example.com", "admin", PASSWORD, actor="cli")
        users.add(conn, "m@example.com", "manager", PASSWORD, actor="cli", queues=["Support"])
    manager = signed_in(app, "m@example.com")
    board = manager.get("/wall")
    assert board.status_code == 200 and 'http-equiv="refresh" content="15"' in board.text
    assert "Sales Queue" not in board.text  # out of the manager's scope
    made = manager.post("/wall/link", data={"csrf": csrf(board.text), "days": "30"}, headers=ORIGIN)
    link = re.search(r'id="wall-link">http://testserver(/wall/s/[^<]+)<', made.text)
    assert link is not None
    screen = TestClient(app)  # no login
    shown = screen.get(link.group(1).replace("&amp;", "&"))
    assert shown.status_code == 200
    assert "Sales Queue" not in shown.text and "No queue calls yet today." in shown.text
    admin = signed_in(app, "boss@example.com")
    page = admin.get("/wall")
    assert "<h2><bdi>Sales Queue</bdi></h2>" in page.text
    admin.post("/wall/end-links", data={"csrf": csrf(page.text)}, headers=ORIGIN)
    assert screen.get(link.group(1).replace("&amp;", "&")).status_code == 403


def test_forged_or_expired_links_are_refused() -> None:
    secret = "k" * 32
    scope = Scope.of(["Sales"], None)
    token = wall.sign(secret, int(time.time()) + 60, scope)
    assert wall.verify(secret, token, time.time()) == scope
    expires, _shown, signature = token.split(".")
    wider = wall.sign("other-key-" * 4, int(expires), Scope())
    assert wall.verify(secret, f"{expires}.{wider.split('.')[1]}.{signature}", time.time()) is None
    assert wall.verify(secret, token, int(expires) + 1) is None
    assert wall.verify("x" * 32, token, time.time()) is None
    for bad in ("", "a.b", "1.2.3", "9" * 5000, f"{expires}.!!!.{signature}"):
        assert wall.verify(secret, bad, time.time()) is None
