"""`cdrhub import` and the webhook store legs the one same way (`save_legs`, through the
pipeline): an imported leg redelivered or revised through the webhook, and a webhook leg
imported again, give the rows, revisions and rollups the webhook alone gives, on both engines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from cdrhub import domains
from cdrhub.analytics.importer import import_legs, store_wires
from cdrhub.config import Settings
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import leg_versions, legs, metadata
from cdrhub.voicenter.normalize import normalize
from tests.conftest import _truncate_all, sample

URL = "/voicenter/cdr/test-ingest-token-0123456789"
# How a leg came in and when: not what it says, so not compared across the two ways.
_HOW = {"id", "encoding", "raw_body", "first_received_at", "last_received_at", "received_at",
        "replaced_at"}  # fmt: skip


def _versions(name: str, count: int) -> list[dict[str, Any]]:
    """`count` legs of one sample with their own ids, and each one's revised content."""
    wire = sample(name)
    first = [{**wire, "ivruniqueid": f"{wire['ivruniqueid']}-{i}"} for i in range(count)]
    return first + [{**w, "duration": w["duration"] + 30, "price": 9} for w in first]


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = [legs, leg_versions] + [t for t in metadata.sorted_tables if t.name.startswith("an_")]
    out = {}
    with engine.connect() as conn:
        for table in tables:
            columns = [c for c in table.c if c.name not in _HOW]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def _webhook(client: TestClient, wire: dict[str, Any]) -> None:
    response = client.post(URL, json=wire)
    assert response.json() == {"Err": 0, "Errdesc": "OK"}


def _import(engine: Engine, settings: Settings, wires: list[dict[str, Any]]) -> None:
    report = store_wires(engine, settings, [("line 1", w) for w in wires], domains.hooks(settings))
    assert report.rejected == 0


@pytest.mark.slow
def test_import_and_webhook_redeliver_and_revise_each_others_legs(
    engine: Engine, settings: Settings, client: TestClient
) -> None:
    # the first half of the ids: v1, v1, v2, v2, v1; the second: v1, v2
    v1_v2 = _versions("outgoing-answered.json", 4)
    v1, v2 = v1_v2[:4], v1_v2[4:]
    steps = [v1, v1, v2, v2[:2], v1[:2]]
    # each step's way in: imported, then by the webhook, and the other way round
    ways = [
        ["import", "webhook", "webhook", "import", "import"],
        ["webhook", "import", "import", "webhook", "webhook"],
    ]
    snapshots = []
    for plan in [*ways, ["webhook"] * 5]:
        _truncate_all(engine)
        for way, wires in zip(plan, steps, strict=True):
            if way == "import":
                _import(engine, settings, wires)
            else:
                for wire in wires:
                    _webhook(client, wire)
        snapshots.append(_snapshot(engine))
    webhook_alone = snapshots[-1]
    assert snapshots[0] == webhook_alone
    assert snapshots[1] == webhook_alone
    with engine.connect() as conn:
        got = conn.execute(
            select(legs.c.ivruniqueid, legs.c.revision, legs.c.deliveries).order_by("ivruniqueid")
        ).all()
    base = v1[0]["ivruniqueid"][:-2]
    assert [tuple(r) for r in got] == [
        (f"{base}-0", 3, 5), (f"{base}-1", 3, 5), (f"{base}-2", 2, 3), (f"{base}-3", 2, 3),
    ]  # fmt: skip
    assert any(webhook_alone[name] for name in webhook_alone if name.startswith("an_"))


def test_one_import_batch_counts_as_the_webhook_would(engine: Engine, settings: Settings) -> None:
    """Within one batch: a leg repeated is a redelivery, changed a revision, in batch order;
    new legs count in the rollups once."""
    v1_v2 = _versions("queue-abandoned.json", 2)
    at = datetime(2030, 1, 1)
    batch = [normalize(w, tz=settings.tz, received_at=at) for w in [*v1_v2, v1_v2[0]]]
    with write_transaction(engine) as conn:
        counts = import_legs(
            conn, batch, settings, domains.hooks(settings), encoding="import", received_at=at
        )
    assert (counts.new, counts.revised, counts.duplicate) == (2, 3, 0)
    with engine.connect() as conn:
        got = conn.execute(
            select(legs.c.revision, legs.c.deliveries, legs.c.encoding).order_by("ivruniqueid")
        ).all()
    assert [tuple(r) for r in got] == [(3, 3, "import"), (2, 2, "import")]
