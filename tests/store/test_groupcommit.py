"""Group commit: each caller is answered only after its work is committed; a failing item
never fails its neighbours; batches form under concurrency; the writer thread comes and goes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine, text

from cdrhub.store.groupcommit import GroupCommitter

TABLE = "groupcommit_probe"


@pytest.fixture
def probe(engine: Engine) -> str:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR(64) PRIMARY KEY, n INTEGER)"
        )
    return uuid.uuid4().hex[:8]


def insert(name: str, n: int) -> Callable[[Connection], int]:
    def work(conn: Connection) -> int:
        conn.execute(
            text(f"INSERT INTO {TABLE} (name, n) VALUES (:name, :n)"), {"name": name, "n": n}
        )
        return n

    return work


def committed(engine: Engine, prefix: str) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT name, n FROM {TABLE} WHERE name LIKE :p"), {"p": f"{prefix}%"}
        )
        return {r.name: r.n for r in rows}


def test_answer_comes_after_the_commit(engine: Engine, probe: str) -> None:
    committer = GroupCommitter(engine)

    async def go() -> None:
        assert await committer.run(insert(f"{probe}a", 1)) == 1
        # Visible from another connection the moment the caller is answered.
        assert committed(engine, probe) == {f"{probe}a": 1}

    asyncio.run(go())


def test_concurrent_callers_share_transactions_and_all_commit(engine: Engine, probe: str) -> None:
    committer = GroupCommitter(engine, max_batch=16)

    async def go() -> list[int]:
        return await asyncio.gather(*(committer.run(insert(f"{probe}{i}", i)) for i in range(64)))

    assert asyncio.run(go()) == list(range(64))
    assert committed(engine, probe) == {f"{probe}{i}": i for i in range(64)}
    assert committer.items == 64
    assert committer.batches < 64  # callers that arrived together were committed together


def test_a_failing_item_fails_alone(engine: Engine, probe: str) -> None:
    committer = GroupCommitter(engine)

    def boom(conn: Connection) -> int:
        conn.execute(
            text(f"INSERT INTO {TABLE} (name, n) VALUES (:name, 0)"), {"name": probe + "x"}
        )
        raise ValueError("bad item")

    async def go() -> list[object]:
        calls = [committer.run(insert(f"{probe}{i}", i)) for i in range(10)]
        calls.insert(5, committer.run(boom))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(go())
    assert isinstance(results[5], ValueError)
    assert [r for i, r in enumerate(results) if i != 5] == list(range(10))
    # The failing item's own write was rolled back; everyone else's was committed.
    assert committed(engine, probe) == {f"{probe}{i}": i for i in range(10)}


def test_a_database_error_reaches_its_caller_only(engine: Engine, probe: str) -> None:
    committer = GroupCommitter(engine)

    async def go() -> list[object]:
        calls = [committer.run(insert(f"{probe}{i}", i)) for i in range(4)]
        calls.append(committer.run(insert(f"{probe}0", 99)))  # primary key clash
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(go())
    assert results[:4] == [0, 1, 2, 3]
    assert isinstance(results[4], Exception)
    assert committed(engine, probe) == {f"{probe}{i}": i for i in range(4)}


def test_writer_thread_stops_when_idle_and_restarts(engine: Engine, probe: str) -> None:
    committer = GroupCommitter(engine, idle_seconds=0.05)

    async def go() -> None:
        assert await committer.run(insert(f"{probe}a", 1)) == 1
        await asyncio.sleep(0.4)
        assert not committer._running
        assert await committer.run(insert(f"{probe}b", 2)) == 2

    asyncio.run(go())
    assert committed(engine, probe) == {f"{probe}a": 1, f"{probe}b": 2}


def test_a_batch_holds_works_weighing_at_most_max_batch(engine: Engine, probe: str) -> None:
    """A heavy work (a part of a big body: its legs) waits for the next batch rather than make
    this one heavier than `max_batch`; order is kept."""
    import threading

    batches: list[list[int]] = []
    started, release = threading.Event(), threading.Event()

    def finish(conn: Connection, results: list[int]) -> None:
        batches.append(list(results))

    def blocking(conn: Connection) -> int:
        started.set()
        release.wait(10)  # until every other work is queued
        return 0

    committer = GroupCommitter(engine, finish=finish, max_batch=4)
    weights = [3, 2, 1, 4, 1, 5]

    async def go() -> list[int]:
        first = asyncio.ensure_future(committer.run(blocking))
        while not started.is_set():  # the writer holds the first work alone
            await asyncio.sleep(0.01)
        rest = [
            asyncio.ensure_future(committer.run(insert(f"{probe}{i}", w), weight=w))
            for i, w in enumerate(weights)
        ]
        await asyncio.sleep(0)  # each task queues its work, in order
        release.set()
        return [await first, *[await r for r in rest]]

    assert asyncio.run(go()) == [0, *weights]
    assert batches == [[0], [3], [2, 1], [4], [1], [5]]
