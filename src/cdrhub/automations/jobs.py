"""Job handlers of the automation kinds (`automations.sms`, ...): `HANDLERS`, handed to the
worker by `cdrhub.domains`, and `job_dead`, which tells the managers when any job gives up.

Each re-checks the guards at send time (quiet hours; for texts the opt-out list and one text per
number per period), then calls its channel client with the job's idempotency key. The channel
clients, and httpx under them, are imported by the first job that sends: a start loads none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cdrhub.automations import guards, notifications, suppression
from cdrhub.automations.config import AutomationConfig, Channel, load_config
from cdrhub.automations.plan import JOB_PREFIX
from cdrhub.jobs.outbox import ClaimedJob, PermanentFailure, Reschedule, Skip
from cdrhub.jobs.registry import DeadListener, Handler, JobContext
from cdrhub.store.engine import write_transaction

TEXT_KINDS = ("sms", "whatsapp")


def _config(ctx: JobContext) -> AutomationConfig:
    s = ctx.settings
    return load_config(s.file, timezone=s.timezone, region=s.default_region)


def _channel(config: AutomationConfig, ctx: JobContext) -> Channel:
    via = ctx.payload.get("via")
    channel = config.channels.get(via) if via else None
    if channel is None:
        raise PermanentFailure(f"no [channels.{via}] in the settings")
    return channel


def _guarded(send: Callable[[JobContext, Channel, AutomationConfig], Any], kind: str) -> Handler:
    def handler(ctx: JobContext) -> Any:
        config = _config(ctx)
        channel = _channel(config, ctx)
        p = ctx.payload
        if p.get("quiet_hours"):
            until = guards.next_open(ctx.now, config.quiet_hours, config.tz)
            if until is not None:
                raise Reschedule(until, f"quiet hours until {until:%Y-%m-%d %H:%M} UTC")
        number = p.get("to") if p.get("customer") else None
        reserved = False
        if number and kind in TEXT_KINDS:
            with write_transaction(ctx.engine) as conn:
                if suppression.is_opted_out(conn, number):
                    raise Skip(f"{number} opted out")
                period = config.text_once_per_seconds
                if not suppression.reserve_text(conn, number, ctx.key, ctx.now, period):
                    raise Skip(f"{number} was already texted in the last {period / 3600:g} h")
                reserved = period > 0
        try:
            return send(ctx, channel, config)
        except PermanentFailure as exc:
            with write_transaction(ctx.engine) as conn:
                if reserved and number:
                    suppression.release_text(conn, number, ctx.key)
                from cdrhub.automations.channels.base import RecipientOptedOut

                if isinstance(exc, RecipientOptedOut) and number:
                    suppression.add_opt_out(conn, number, ctx.now, exc.reason)
            raise

    return handler


def _sms(ctx: JobContext, channel: Channel, config: AutomationConfig) -> Any:
    from cdrhub.automations.channels import twilio

    p = ctx.payload
    return twilio.send_message(
        channel.options, to=p["to"], body=p["text"], idempotency_key=ctx.idempotency_key
    )


def _whatsapp(ctx: JobContext, channel: Channel, config: AutomationConfig) -> Any:
    from cdrhub.automations.channels import meta_whatsapp, twilio

    p = ctx.payload
    if channel.type == "meta":
        return meta_whatsapp.send_template(
            channel.options,
            to=p["to"],
            template=p["template"],
            language=p.get("language"),
            params=p.get("params", []),
            idempotency_key=ctx.idempotency_key,
        )
    variables = {str(i + 1): v for i, v in enumerate(p.get("params", []))}
    return twilio.send_message(
        channel.options,
        to=p["to"],
        body=p.get("text"),
        idempotency_key=ctx.idempotency_key,
        whatsapp=True,
        content_sid=p.get("content_sid"),
        content_variables=variables or None,
    )


def _email(ctx: JobContext, channel: Channel, config: AutomationConfig) -> Any:
    from cdrhub.automations.channels import smtp_email

    p = ctx.payload
    return smtp_email.send_email(
        channel.options,
        to=p["to"],
        subject=p["subject"],
        text=p["text"],
        idempotency_key=ctx.idempotency_key,
    )


def _slack(ctx: JobContext, channel: Channel, config: AutomationConfig) -> Any:
    from cdrhub.automations.channels import slack

    return slack.post(
        channel.options, text=ctx.payload["text"], idempotency_key=ctx.idempotency_key
    )


def _webhook(ctx: JobContext, channel: Channel, config: AutomationConfig) -> Any:
    from cdrhub.automations.channels import webhook

    p = ctx.payload
    return webhook.deliver(
        channel.options, event=p["event"], data=p["data"], idempotency_key=ctx.idempotency_key
    )


def _click2call(ctx: JobContext, channel: Channel, config: AutomationConfig) -> Any:
    from cdrhub.automations.channels import click2call

    p = ctx.payload
    return click2call.call(
        channel.options,
        agent=p["agent"],
        to=p["to"],
        idempotency_key=ctx.idempotency_key,
        region=config.region,
    )


def notify(ctx: JobContext) -> Any:
    """A `notify` step is written with its leg, not queued; it becomes a job only when a guard
    skipped it (max age) and someone retries it on purpose (`cdrhub jobs retry`)."""
    p = ctx.payload
    with write_transaction(ctx.engine) as conn:
        created = notifications.add(
            conn,
            ctx.key,
            title=p["title"],
            text=p["text"],
            level=p.get("level", "info"),
            data=p.get("data"),
            now=ctx.now,
        )
    return {"notification": created}


def job_dead(conn: Connection, job: ClaimedJob, reason: str, now: datetime) -> None:
    """Tell the managers' stream that a job gave up (it waits in /api/jobs?status=dead)."""
    notifications.add(
        conn,
        f"job-dead:{job.id}:{job.lease}",
        title=f"{job.kind} failed for good"[:255],
        text=f"job {job.id} ({job.key}) after {job.attempt} attempt(s): {reason}"[:2000],
        level="warning",
        data={"job_id": job.id, "kind": job.kind, "key": job.key},
        now=now,
    )


_SENDERS = {
    "sms": _sms,
    "whatsapp": _whatsapp,
    "email": _email,
    "slack": _slack,
    "webhook": _webhook,
    "click2call": _click2call,
}
HANDLERS: dict[str, Handler] = {
    **{JOB_PREFIX + kind: _guarded(send, kind) for kind, send in _SENDERS.items()},
    JOB_PREFIX + "notify": notify,
}
ON_DEAD: tuple[DeadListener, ...] = (job_dead,)
