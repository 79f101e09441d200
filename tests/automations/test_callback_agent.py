"""The agent a callback item is for (`agent_code`, what the callbacks report's `agent` filter and
by=agent read): the agent whose call reached the customer, else the agent it is assigned to;
recorded on every path that closes or assigns an item, and filled in by 0015_callback_agent for
the items before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, column, select, table

from cdrhub.automations import callbacks
from cdrhub.automations.tables import callback_items
from cdrhub.jobs.outbox import utcnow
from cdrhub.store.engine import write_transaction
from cdrhub.store.migrate import alembic_config, upgrade

from .helpers import deliver, sample, settings_for

BASE = 1700050000


def _missed(uid: str, at: int) -> dict[str, Any]:
    return {**sample("queue-abandoned.json"), "ivruniqueid": uid, "time": at}


def _agent(engine: Engine) -> tuple[str | None, str | None, str]:
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow(), status=None)
    return item["agent_code"], item["assigned_to"], item["status"]


def _assign(engine: Engine, agent: str, **code: str) -> None:
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow(), status=None)
    with write_transaction(engine) as conn:
        assert callbacks.assign(conn, item["id"], agent, utcnow(), **code)


def test_the_assignee_until_a_call_reaches_the_customer(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, "", tmp_path)
    deliver(engine, settings, _missed("m1", BASE))
    assert _agent(engine) == (None, None, "open")
    _assign(engine, "2001")  # the API and the command line assign an agent code
    assert _agent(engine) == ("2001", "2001", "open")
    _assign(engine, "dana@example.com")  # a dashboard user without an agent code
    assert _agent(engine) == (None, "dana@example.com", "open")
    _assign(engine, "dana@example.com", agent_code="2002")
    assert _agent(engine) == ("2002", "dana@example.com", "open")
    outgoing = {**sample("outgoing-answered.json"), "ivruniqueid": "o1", "time": BASE + 600}
    deliver(engine, settings, outgoing)  # Walter Melon, 9996, calls the customer back
    assert _agent(engine) == ("9996", "dana@example.com", "returned")
    _assign(engine, "2001")  # a later assignment leaves the call's agent
    assert _agent(engine) == ("9996", "2001", "returned")


def test_reached_by_the_customers_next_call_and_a_rule_assignee(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    rule = (
        '[[rules]]\nname = "abandoned"\nwhen = { type = "Queue", status = "ABANDONE" }\n'
        'actions = [{ do = "callback", assign = "2003" }]\n'
    )
    settings = settings_for(db_url, rule, tmp_path)
    deliver(engine, settings, _missed("m1", BASE))
    assert _agent(engine) == ("2003", "2003", "open")
    incoming = {
        **sample("incoming-ivr-as-string.json"),
        "ivruniqueid": "i1",
        "time": BASE + 900,
        "caller": "0501234567",
    }
    deliver(engine, settings, incoming)  # answered by 1042
    assert _agent(engine) == ("1042", "2003", "reached")


def test_0015_fills_in_the_items_before_it(engine: Engine) -> None:
    cfg = alembic_config()
    old = table(
        "callback_items",
        *(column(c) for c in ("customer_number", "status", "opened_at", "last_missed_at")),
        *(column(c) for c in ("missed_count", "first_ivruniqueid", "last_ivruniqueid")),
        *(column(c) for c in ("assigned_to", "closed_by_agent", "created_at", "updated_at")),
    )
    now = utcnow()
    # (status, assigned_to, closed_by_agent) -> the agent 0015 gives the item
    cases = {
        ("returned", "2001", "9996"): "9996",
        ("reached", None, "1042"): "1042",
        ("open", "2001", None): "2001",
        ("open", "dana@example.com", None): None,
        ("closed", "2002", "dana@example.com"): "2002",
        ("open", None, None): None,
    }
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012_live_events")
            conn.commit()
            for n, (status, assigned, closer) in enumerate(cases):
                conn.execute(
                    old.insert().values(
                        customer_number=f"+97250000000{n}", status=status, opened_at=now,
                        last_missed_at=now, missed_count=1, first_ivruniqueid=f"u{n}",
                        last_ivruniqueid=f"u{n}", assigned_to=assigned, closed_by_agent=closer,
                        created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            conn.commit()
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        got = conn.execute(
            select(callback_items.c.customer_number, callback_items.c.agent_code)
        ).all()
    assert sorted(got) == [(f"+97250000000{n}", agent) for n, agent in enumerate(cases.values())]
