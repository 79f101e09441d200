"""The Callbacks page: the work queue filtered by state, queue and assignee, in scope."""

from __future__ import annotations

import re

from fastapi import FastAPI

from cdrhub.automations import callbacks
from cdrhub.config import Settings
from cdrhub.jobs.outbox import utcnow
from cdrhub.people import users
from cdrhub.store.engine import write_transaction
from tests.automations.helpers import deliver, recent
from tests.pages.helpers import PASSWORD, signed_in


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-item="(\d+)" data-status="(\w+)">', html)


def test_the_work_queue_filters_by_state_and_assignee(app: FastAPI, settings: Settings) -> None:
    engine = app.state.engine
    deliver(engine, settings, recent(minutes_ago=5))
    deliver(engine, settings, recent(minutes_ago=4, caller="0529998877"))
    deliver(engine, settings, recent(minutes_ago=3, caller="0541112233"))
    with write_transaction(engine) as conn:
        users.add(conn, "dana@example.com", "manager", PASSWORD, actor="cli")
    with engine.connect() as conn:
        first, second, third = callbacks.list_items(conn, utcnow())
    with write_transaction(engine) as conn:
        callbacks.assign(conn, second["id"], "dana@example.com", utcnow())
        callbacks.close(conn, third["id"], utcnow(), note="wrong number", by="dana@example.com")
    web = signed_in(app, "dana@example.com")
    assert _rows(web.get("/callbacks").text) == [
        (str(first["id"]), "open"),
        (str(second["id"]), "open"),
    ]
    assert _rows(web.get("/callbacks?assigned=me").text) == [(str(second["id"]), "open")]
    assert _rows(web.get("/callbacks?assigned=none").text) == [(str(first["id"]), "open")]
    closed = web.get("/callbacks?status=closed").text
    assert _rows(closed) == [(str(third["id"]), "closed")]
    assert "Closed by hand" in closed and 'data-live=""' in closed
    assert len(_rows(web.get("/callbacks?status=all").text)) == 3
    assert _rows(web.get("/callbacks?queue=Support").text) == []
    assert 'data-live="rows"' in web.get("/callbacks").text


def test_an_agent_sees_untaken_items_and_their_own(app: FastAPI, settings: Settings) -> None:
    engine = app.state.engine
    deliver(engine, settings, recent(minutes_ago=5))
    deliver(engine, settings, recent(minutes_ago=4, caller="0529998877"))
    with write_transaction(engine) as conn:
        users.add(conn, "avi@example.com", "agent", PASSWORD, actor="cli")
    with engine.connect() as conn:
        first, second = callbacks.list_items(conn, utcnow())
    with write_transaction(engine) as conn:
        callbacks.assign(conn, second["id"], "someone@example.com", utcnow())
    assert _rows(signed_in(app, "avi@example.com").get("/callbacks").text) == [
        (str(first["id"]), "open")
    ]
