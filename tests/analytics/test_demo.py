"""`cdrhub demo`: a database of its own unless one is named, removed by `demo --remove`; its
CDRs take the webhook's path (rollups and callback items, nothing enqueued to go out) and ring
agents who do not answer, as real traffic does."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from cdrhub.automations.tables import callback_items
from cdrhub.cli import app as cli_app
from cdrhub.config import Settings
from cdrhub.jobs.tables import outbox_jobs
from cdrhub.store.engine import make_engine
from cdrhub.store.schema import legs
from tests.analytics.helpers import rows

# two days ending 2024-03-12 (a Tuesday) at 150 calls on a busy day, seed 7
DEMO = ["demo", "--days", "2", "--calls-per-day", "150", "--until", "2024-03-12", "--seed", "7"]
LEGS, ITEMS = 527, 78
# Settings that would send everything out if the demo ran them: a rule, archiving, a webhook.
OUTBOUND_TOML = """
[channels.twilio]
account_sid = "AC0123456789"
auth_token = "secret-secret-secret"
from = "+972722776772"
base_url = "https://api.twilio.example"

[[rules]]
name = "abandoned"
when = { type = "Queue", status = "ABANDONE" }
actions = [ { do = "sms", via = "twilio", to = "caller", text = "Sorry." } ]

[crm.recordings]
enabled = true

[[crm.webhooks]]
name = "crm"
url = "https://hooks.example/x"
"""


def _count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "outbound.toml"
    config.write_text(OUTBOUND_TOML, encoding="utf-8")
    return {"CDRHUB_DATABASE_URL": settings.database_url, "CDRHUB_CONFIG": str(config),
            "CDRHUB_HUBSPOT_TOKEN": "pat-would-push-0123456789"}  # fmt: skip


def test_demo_has_its_own_database_and_remove_deletes_it(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    runner = CliRunner()
    result = runner.invoke(cli_app, DEMO, env=_env(settings, tmp_path))
    assert result.exit_code == 0, result.output
    demo_file = (work / "cdrhub-demo.db").resolve()
    url = f"sqlite:///{demo_file}"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"stored {LEGS} new, 0 duplicate, 0 revised legs in ")
    assert lines[1:] == [
        f"demo database: {url}",
        "traffic from 2024-03-11 to 2024-03-12; see it with:",
        f"  CDRHUB_DATABASE_URL={url} cdrhub serve",
        f"  CDRHUB_DATABASE_URL={url} cdrhub report overview --from 2024-03-11 --to 2024-03-12",
        "remove it with: cdrhub demo --remove",
    ]
    assert _count(engine, legs) == 0  # the configured database is untouched
    demo = make_engine(url)
    try:
        assert (_count(demo, legs), _count(demo, callback_items)) == (LEGS, ITEMS)
        assert _count(demo, outbox_jobs) == 0
    finally:
        demo.dispose()
    again = runner.invoke(cli_app, DEMO, env=_env(settings, tmp_path))
    assert again.stdout.startswith(f"stored 0 new, {LEGS} duplicate, 0 revised legs in ")

    removed = runner.invoke(cli_app, ["demo", "--remove"], env=_env(settings, tmp_path))
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == f"removed the demo database {demo_file}\n"
    assert sorted(p.name for p in work.iterdir()) == []
    nothing = runner.invoke(cli_app, ["demo", "--remove"], env=_env(settings, tmp_path))
    assert nothing.stdout == f"no demo database at {demo_file}\n"
    assert _count(engine, legs) == 0


def test_demo_into_a_named_database_is_as_varied_as_real_traffic(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    runner = CliRunner()
    named = [*DEMO, "--database", settings.database_url]
    result = runner.invoke(cli_app, named, env=_env(settings, tmp_path))
    assert result.exit_code == 0, result.output
    assert (_count(engine, legs), _count(engine, callback_items)) == (LEGS, ITEMS)
    assert _count(engine, outbox_jobs) == 0  # a rule, archiving, a webhook, HubSpot: all unrun
    with engine.connect() as conn:
        rings = conn.execute(
            select(func.count())
            .select_from(legs)
            .where(legs.c.status == "NOANSWER", legs.c.original_ivruniqueid.is_not(None))
        ).scalar_one()
    assert rings > 0  # queue calls rang agents who did not answer
    agents = rows(engine, settings, "agents", from_="2024-03-11", to="2024-03-12")
    ratios = sorted(a["incoming_answer_ratio"] for a in agents)
    assert len(ratios) == 8
    assert sum(0 < r < 1 for r in ratios) >= 3, ratios
    # the configured database is never removed, nor a database of another engine
    refused = runner.invoke(cli_app, ["demo", "--remove", "--database", settings.database_url],
                            env=_env(settings, tmp_path))  # fmt: skip
    assert refused.exit_code == 2
    if settings.is_sqlite:
        assert "is the configured database (CDRHUB_DATABASE_URL): not removed" in refused.output
    else:
        assert "deletes a SQLite demo file only" in refused.output
    assert _count(engine, legs) == LEGS


def test_a_bad_demo_database_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"CDRHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'configured.db'}"}
    bad = runner.invoke(cli_app, ["demo", "--database", "nonsense"], env=env)
    assert bad.exit_code == 2
    assert "not a database URL (sqlite:///FILE or" in bad.output
    url = "postgresql://demo:s3cr3t-pass@127.0.0.1:1/demo"
    unreachable = runner.invoke(cli_app, ["demo", "--database", url], env=env)
    assert unreachable.exit_code == 1
    # stderr: the database the command opens (as every command names it), then the one line
    named, reason = unreachable.stderr.splitlines()
    assert named == "database: postgresql://demo:***@127.0.0.1:1/demo"
    assert reason.startswith(
        "cannot open the demo database postgresql://demo:***@127.0.0.1:1/demo: "
    )
    assert "s3cr3t" not in unreachable.output
