"""Building CDRs by hand and storing them through the real pipeline."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from cdrhub import domains
from cdrhub.analytics.service import run_report
from cdrhub.config import Settings
from cdrhub.ingest.pipeline import Incoming, ingest
from cdrhub.voicenter.normalize import normalize

RECEIVED = datetime(2030, 1, 1)
_serial = itertools.count(1)


def wire(local: str, kind: str = "Queue", status: str = "ANSWER", **fields: Any) -> dict[str, Any]:
    """A CDR that started at `local` (Israel wall clock, "YYYY-MM-DD HH:MM:SS")."""
    start = datetime.fromisoformat(local)
    body: dict[str, Any] = {
        "ivruniqueid": f"{start:%Y%m%d%H%M%S}t{next(_serial):06d}",
        "time": calendar.timegm(start.timetuple()),
        "type": kind,
        "status": status,
        "caller": "0501234567",
        "target": "",
        "did": "0722776772",
        "duration": 0,
        "price": 0,
    }
    body.update(fields)
    return body


def answered_in_queue(
    local: str, queue: int, agent: str, wait: int, talk: int, **fields: Any
) -> dict[str, Any]:
    return wire(local, "Queue", "ANSWER", queueid=queue, queuename=f"Q{queue}",
                representative_code=agent, representative_name=f"Agent {agent}",
                seconds_waiting_in_queue=wait, duration=talk, **fields)  # fmt: skip


def outgoing(local: str, agent: str, target: str, status: str = "ANSWER", **fields: Any) -> dict:
    return wire(local, "Extension Outgoing", status, caller="0722776772", target=target, did="",
                callerextension=f"EXT{agent}", representative_code=agent,
                representative_name=f"Agent {agent}", **fields)  # fmt: skip


def store(
    engine: Engine, settings: Settings, wires: Iterable[dict[str, Any]],
    received_at: datetime = RECEIVED,
) -> list:  # fmt: skip
    items = [Incoming(normalize(w, tz=settings.tz, received_at=received_at), "json") for w in wires]
    return ingest(engine, items, domains.hooks(settings), received_at)


def report(engine: Engine, settings: Settings, name: str, **params: Any) -> dict[str, Any]:
    clean = {k.rstrip("_"): (None if v is None else str(v)) for k, v in params.items()}
    return run_report(engine, settings, name, clean)


def rows(engine: Engine, settings: Settings, name: str, **params: Any) -> list[dict[str, Any]]:
    return report(engine, settings, name, **params)["rows"]


def by(rows_: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows_}
