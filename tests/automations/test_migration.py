"""Migration 0003 creates exactly the tables `automations/tables.py` and `jobs/tables.py`
describe."""

from __future__ import annotations

from sqlalchemy import Engine

from cdrhub.automations import tables
from cdrhub.jobs.tables import outbox_jobs
from tests.schemadiff import differences

MINE = {
    t.name
    for t in (
        outbox_jobs,
        tables.callback_items,
        tables.notifications,
        tables.opt_outs,
        tables.text_log,
    )
}


def test_migration_matches_the_table_definitions(engine: Engine) -> None:
    assert differences(engine, MINE) == []


def test_0009_puts_the_jobs_it_finds_in_their_lanes(engine: Engine) -> None:
    from alembic import command
    from sqlalchemy import column, select, table

    from cdrhub.jobs.outbox import utcnow
    from cdrhub.store.migrate import alembic_config, upgrade

    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005_automations_calls")  # to before 0009_outbox_lanes
            conn.commit()
            old = table(
                "outbox_jobs",
                *(column(c) for c in ("kind", "key", "payload", "status", "attempts")),
                *(column(c) for c in ("max_attempts", "run_at", "created_at", "updated_at")),
            )
            now = utcnow()
            for kind in ("automations.sms", "automations.email", "crm.recording", "x.other"):
                conn.execute(
                    old.insert().values(
                        kind=kind, key=kind, payload="{}", status="pending", attempts=0,
                        max_attempts=8, run_at=now, created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            conn.commit()
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox_jobs.c.kind, outbox_jobs.c.lane, outbox_jobs.c.host)
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        ("automations.email", "urgent", None),
        ("automations.sms", "urgent", None),
        ("crm.recording", "bulk", None),
        ("x.other", "bulk", None),
    ]
    assert differences(engine, MINE) == []
