"""A party filter (a number, an agent) is read as one query per column and the pages merged:
the pages equal, leg for leg, those of the single OR query it replaces, and on SQLite each
column's query is read from its time-ordered index."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text

from cdrhub.store import legs as legs_repo
from cdrhub.store.engine import write_transaction
from cdrhub.store.legs_query import LegFilter, conditions, page_legs, parties
from cdrhub.store.schema import legs
from cdrhub.voicenter.normalize import normalize
from tests.conftest import sample

IL = ZoneInfo("Asia/Jerusalem")
T0 = datetime(2026, 11, 2, 8, 0, 0)
NUMBER = "+972501111111"
# (caller, target, did, agent, representative, caller extension, target extension)
PARTIES = [
    (NUMBER, "+972502222222", None, "7", None, None, None),
    ("+972503333333", NUMBER, None, None, "7", None, None),
    ("+972503333333", "+972504444444", NUMBER, "8", None, "7", None),
    ("+972503333333", "+972504444444", None, "8", None, None, "7"),
    ("+972505555555", "+972504444444", None, "9", None, None, None),
    (NUMBER, NUMBER, NUMBER, "7", "7", "7", "7"),  # every column: listed once
]


def store(engine: Engine, **fields: object) -> None:
    base = normalize(sample("outgoing-answered.json"), tz=IL)
    items = []
    for n in range(36):
        caller, target, did, agent, rep, c_ext, t_ext = PARTIES[n % len(PARTIES)]
        # every third pair of legs starts at the same second: the id orders them
        at = T0 + timedelta(minutes=(n // 2) * 7)
        leg = replace(
            base,
            ivruniqueid=f"q-{n:02d}",
            started_at=at,
            caller_e164=caller,
            target_e164=target,
            did_e164=did,
            agent_code=agent,
            representative_code=rep,
            caller_extension=c_ext,
            target_extension=t_ext,
            caller="anonymous" if n % 5 == 0 else caller,
            target=target,
            did=did,
            **fields,  # type: ignore[arg-type]
        )
        items.append(legs_repo.Incoming(leg, "json"))
    with write_transaction(engine) as conn:
        legs_repo.save_legs(conn, items, T0)


def one_query(engine: Engine, found: LegFilter) -> list[str]:
    query = (
        select(legs.c.ivruniqueid)
        .where(*conditions(found))
        .order_by(legs.c.started_at.desc(), legs.c.id.desc())
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def paged(engine: Engine, found: LegFilter, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    with engine.connect() as conn:
        while True:
            rows, after = page_legs(conn, found, after=after, limit=limit)
            out.extend(r["ivruniqueid"] for r in rows)
            if after is None:
                return out


FILTERS = {
    "number": (LegFilter(phone_e164=NUMBER), 24),
    "agent": (LegFilter(agents=("7",)), 30),
    "two agents": (LegFilter(agents=("7", "9")), 36),
    "no agent": (LegFilter(agents=("nobody",)), 0),
    "a text": (LegFilter(phone_text="anonymous"), 8),
    "number and agent": (LegFilter(phone_e164=NUMBER, agents=("8",)), 6),
    "number in a range": (
        LegFilter(phone_e164=NUMBER, start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2)),
        12,
    ),
    "nothing": (LegFilter(), 36),
    # the reports' agent dimension: agent_code alone, one time-ordered branch per code
    "exact agent": (LegFilter(agent_codes=("7",)), 12),
    "exact agents": (LegFilter(agent_codes=("7", "9")), 18),
    "no exact agent": (LegFilter(agent_codes=()), 0),
    "number and exact agent": (LegFilter(phone_e164=NUMBER, agent_codes=("8",)), 6),
    "exact agent among agents": (LegFilter(agents=("7",), agent_codes=("8",)), 12),
    "type label": (LegFilter(agent_codes=("7",), type_labels=("Extension Outgoing", "Q")), 12),
    "another type label": (LegFilter(type_labels=("Queue",)), 0),
}


@pytest.mark.parametrize("name", FILTERS)
def test_merged_pages_equal_the_single_query(engine: Engine, name: str) -> None:
    store(engine)
    found, count = FILTERS[name]
    expected = one_query(engine, found)
    assert len(expected) == count
    for limit in (1, 4, 50):
        assert paged(engine, found, limit) == expected


def test_each_column_is_read_from_its_time_index(db_url: str, engine: Engine) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the plan's wording is SQLite's; PostgreSQL's planner chooses by its stats")
    found = LegFilter(phone_e164=NUMBER, phone_text="anonymous", agent_codes=("8",), agents=("7",))
    seen = []
    with engine.connect() as conn:
        for group in parties(found):
            for branch in group:
                query = (
                    select(legs)
                    .where(branch)
                    .order_by(legs.c.started_at.desc(), legs.c.id.desc())
                    .limit(51)
                )
                compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
                plan = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
                seen.append(" | ".join(row[-1] for row in plan))
    indexes = [
        "caller_e164",
        "target_e164",
        "did_e164",
        "caller",
        "target",
        "did",
        "agent_code",  # the exact agent code
        "agent_code",
        "representative_code",
        "caller_extension",
        "target_extension",
    ]
    # no "USE TEMP B-TREE FOR ORDER BY": each page is read in the index's order
    assert seen == [f"SEARCH legs USING INDEX ix_legs_{c}_started ({c}=?)" for c in indexes]


def _odd(e164: str | None) -> str:
    """A stand-in for the reports' rule: the numbers ending in 2 or 4 are "Odd"'s."""
    return "Odd" if e164 and e164[-1] in "24" else ""


@pytest.mark.parametrize("agents", [None, ("7", "8")])
def test_a_country_rule_keeps_its_legs_and_whole_pages(
    engine: Engine, agents: tuple[str, ...] | None
) -> None:
    # blank target_country everywhere: every +97250 target is a candidate in SQL, and the rule
    # keeps those it counts under the country (a page reads on past the others)
    store(engine, target_country="")
    sql_only = LegFilter(agents=agents, country="Odd", country_prefixes=("+97250",))
    found = replace(sql_only, country_of=_odd)
    with engine.connect() as conn:
        candidates = {
            r.ivruniqueid: r.target_e164
            for r in conn.execute(select(legs.c.ivruniqueid, legs.c.target_e164))
        }
    expected = [i for i in one_query(engine, sql_only) if _odd(candidates[i]) == "Odd"]
    assert len(expected) == (24 if agents is None else 18)
    assert len(one_query(engine, sql_only)) == (36 if agents is None else 30)
    for limit in (1, 4, 50):
        assert paged(engine, found, limit) == expected
