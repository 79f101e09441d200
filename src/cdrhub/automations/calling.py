"""Calling a customer back: a Voicenter Click2Call job for a callback item, through the outbox
(the worker sends it on the urgent lane). One request id gives one job, so a double click or a
resent form rings the agent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from cdrhub.automations import callbacks
from cdrhub.automations.hook import config_from_settings
from cdrhub.config import Settings
from cdrhub.jobs import outbox

KIND = "automations.click2call"


class NoVoicenterChannel(LookupError):
    """No Voicenter channel is configured (or not the one asked for)."""


class NoSuchItem(LookupError):
    pass


@dataclass(frozen=True)
class CallRequest:
    queued: bool
    key: str
    job_id: int | None


def voicenter_channel(settings: Settings, via: str | None = None) -> str:
    """The Voicenter channel to call through: `via`, else the first one configured."""
    config = config_from_settings(settings)
    names = [c.name for c in config.channels.values() if c.type == "voicenter"]
    chosen = via or (names[0] if names else None)
    if chosen not in names:
        raise NoVoicenterChannel("no Voicenter channel: add [channels.voicenter] with its code")
    return chosen


def request_call(
    conn: Connection,
    via: str,
    item_id: int,
    agent: str,
    request_id: str,
    now: datetime,
    *,
    assign_to: str | None = None,
    agent_code: str | None = None,
) -> CallRequest:
    """Queue the call (in the caller's transaction); an item not yet assigned is assigned to
    `assign_to` (default: the agent), whose agent code is `agent_code`."""
    item = callbacks.get_item(conn, item_id, now)
    if item is None:
        raise NoSuchItem(f"no callback item {item_id}")
    key = f"callback:{item_id}:call:{agent}:{request_id}"[:255]
    payload = {
        "via": via,
        "to": item["customer_number"],
        "agent": agent,
        "customer": True,
        "callback_item": item_id,
    }
    job_id = outbox.enqueue(conn, KIND, key, payload)
    if job_id is not None and not item["assigned_to"]:
        callbacks.assign(conn, item_id, assign_to or agent, now, agent_code=agent_code)
    return CallRequest(queued=job_id is not None, key=key, job_id=job_id)
