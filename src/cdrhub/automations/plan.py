"""What the rules would do for one leg (pure): the jobs to enqueue, with their rendered messages.

Used by the ingest hook (which enqueues the jobs) and by `cdrhub rules test` (which prints
them). A planned step that a guard stops carries its reason in `skipped` and no job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cdrhub.automations import guards, templates
from cdrhub.automations.config import AutomationConfig
from cdrhub.automations.rules import CUSTOMER_ACTIONS, CUSTOMER_ALIASES, Action, Rule, matches
from cdrhub.automations.sms import count_segments
from cdrhub.calls.model import CallLeg
from cdrhub.jobs.hosts import host_of
from cdrhub.jobs.outbox import idempotency_key
from cdrhub.timefmt import iso_wall, json_times

JOB_PREFIX = "automations."


@dataclass(frozen=True, slots=True)
class Step:
    rule: str
    action: int
    do: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    run_at: datetime | None = None  # held by quiet hours until then
    skipped: str | None = None
    host: str | None = None  # the outside host of a bulk job (per-host backoff)

    @property
    def job_kind(self) -> str:
        return JOB_PREFIX + self.do

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.key)


def job_key(rule: str, ivruniqueid: str, action: int) -> str:
    key = f"rule:{rule}:{ivruniqueid}:{action}"
    if len(key) <= 255:
        return key
    return "rule:" + hashlib.sha256(key.encode()).hexdigest()


def leg_data(leg: CallLeg) -> dict[str, Any]:
    """The leg as JSON (webhook bodies, notification data)."""
    data = leg.as_dict()
    data.pop("raw", None)
    data["customer_number"] = leg.customer_number
    # times with their zone: the instant in UTC, the local reading with its offset
    data["started_at_local"] = iso_wall(leg.started_at_local, leg.started_at)
    return json.loads(json.dumps(json_times(data), default=str, ensure_ascii=False))


def customer_raw(leg: CallLeg) -> str | None:
    if leg.direction == "in":
        return leg.caller
    if leg.direction == "out":
        return leg.target
    return None


def _recipient(leg: CallLeg, to: Any, config: AutomationConfig) -> tuple[str | None, str | None]:
    internal = set(config.missed.internal_numbers)
    if leg.did_e164:
        internal.add(leg.did_e164)
    raw = customer_raw(leg) if to is None or to in CUSTOMER_ALIASES else str(to)
    return guards.recipient_problem(raw, internal, config.region)


def _render(source: str | None, values: dict[str, Any]) -> str | None:
    return None if source is None else templates.render(source, values)


def _step(
    rule: Rule, action: Action, leg: CallLeg, config: AutomationConfig, now: datetime
) -> Step:
    key = job_key(rule.name, leg.ivruniqueid, action.index)
    opts = action.options
    values = templates.context(leg, rule.name)
    payload: dict[str, Any] = {
        "rule": rule.name,
        "action": action.index,
        "ivruniqueid": leg.ivruniqueid,
        "via": opts.get("via"),
    }
    customer = action.do in CUSTOMER_ACTIONS
    if customer:
        number, problem = _recipient(leg, opts.get("to"), config)
        if problem:
            return Step(rule.name, action.index, action.do, key, payload, skipped=problem)
        payload["to"] = number
        payload["customer"] = True
    if action.do in ("sms", "whatsapp", "slack", "email", "notify"):
        payload["text"] = _render(opts.get("text"), values)
    if action.do == "sms" and payload["text"] is not None:
        count = count_segments(payload["text"])
        payload["segments"] = {
            "encoding": count.encoding,
            "units": count.units,
            "count": count.segments,
        }
    if action.do == "whatsapp":
        for name in ("template", "language", "content_sid"):
            if name in opts:
                payload[name] = opts[name]
        payload["params"] = [templates.render(p, values) for p in opts.get("params", [])]
    if action.do == "email":
        to = opts["to"]
        payload["to"] = to if isinstance(to, list) else [to]
        payload["subject"] = _render(opts.get("subject"), values) or f"cdrhub: {rule.name}"
    host = None
    if action.do == "webhook":
        payload["event"] = opts.get("event", "rule.matched")
        payload["data"] = {"rule": rule.name, "leg": leg_data(leg)}
        channel = config.channels.get(opts.get("via", ""))
        host = host_of(channel.options.get("url")) if channel else None
    if action.do == "click2call":
        agent = opts["agent"]
        if agent == "agent":
            agent = leg.target_extension or leg.caller_extension or leg.agent_code
        if not agent:
            return Step(rule.name, action.index, action.do, key, payload, skipped="no agent phone")
        payload["agent"] = agent
    if action.do == "notify":
        title = _render(opts.get("title"), values) or _default_title(rule, leg)
        payload["title"] = title[:255]
        payload["text"] = payload["text"] or _default_text(leg)
        payload["level"] = opts.get("level", "info")
        payload["data"] = leg_data(leg)
    if action.do == "callback":
        payload["assign"] = opts.get("assign")
    if "max_attempts" in opts:
        payload["max_attempts"] = opts["max_attempts"]
    quiet = opts.get("quiet_hours", customer)
    payload["quiet_hours"] = bool(quiet)
    run_at = guards.next_open(now, config.quiet_hours, config.tz) if quiet else None
    return Step(rule.name, action.index, action.do, key, payload, run_at=run_at, host=host)


def _default_title(rule: Rule, leg: CallLeg) -> str:
    return f"{rule.name}: {leg.customer_number or leg.caller or 'unknown'}"


def _default_text(leg: CallLeg) -> str:
    parts = [leg.type or "call", leg.status]
    if leg.queue_name:
        parts.append(f"queue {leg.queue_name}")
    if leg.wait_seconds:
        parts.append(f"waited {leg.wait_seconds}s")
    if leg.started_at_local:
        parts.append(leg.started_at_local.strftime("%d/%m %H:%M"))
    return ", ".join(p for p in parts if p)


def max_age_seconds(rule: Rule, config: AutomationConfig) -> float:
    return config.max_age_seconds if rule.max_age is None else rule.max_age


def plan(leg: CallLeg, config: AutomationConfig, now: datetime) -> list[Step]:
    """Every step of every rule that matches the leg, in rule and action order.

    A call older than the rule's max age skips every action but `callback`: a text or an alert
    about an old call helps nobody, while the callback item keeps the missed call in the
    callbacks report (and is still open if nobody called the customer back)."""
    steps = []
    for rule in config.rules:
        if not matches(rule, leg, config.missed):
            continue
        old = guards.too_old(leg, now, max_age_seconds(rule, config))
        for action in rule.actions:
            try:
                step = _step(rule, action, leg, config, now)
            except templates.TemplateError as exc:
                key = job_key(rule.name, leg.ivruniqueid, action.index)
                step = Step(rule.name, action.index, action.do, key, skipped=str(exc))
            if old and action.do != "callback" and not step.skipped:
                # with its payload: `cdrhub jobs retry` can still send it on purpose
                step = replace(step, skipped=old, run_at=None)
            steps.append(step)
    return steps
