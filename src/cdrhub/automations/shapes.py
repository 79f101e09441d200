"""What the automations API answers, for OpenAPI (the routes return plain dicts; FastAPI does
not filter them through these). Times are naive UTC in ISO form (`2024-01-10T09:00:00`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Job(BaseModel):
    id: int
    kind: str
    key: str
    payload: Any
    status: str
    attempts: int
    max_attempts: int
    run_at: str
    locked_until: str | None
    locked_by: str | None
    last_error: str | None
    result: Any
    leg_id: int | None
    lane: str
    host: str | None
    created_at: str
    updated_at: str
    finished_at: str | None


class JobList(BaseModel):
    jobs: list[Job]
    counts: dict[str, int]  # jobs per status


class Retried(BaseModel):
    retried: int


class CallbackItem(BaseModel):
    id: int
    customer_number: str
    status: str
    opened_at: str
    last_missed_at: str
    last_missed_until: str | None
    missed_count: int
    first_ivruniqueid: str
    last_ivruniqueid: str
    queue_name: str | None
    department_id: int | None
    rule: str | None
    assigned_to: str | None
    assigned_at: str | None
    closed_at: str | None
    closed_by_ivruniqueid: str | None
    closed_by_agent: str | None
    # whose call reached the customer, else the assignee's agent code (the report's `agent`)
    agent_code: str | None
    note: str | None
    created_at: str
    updated_at: str
    wait_seconds: int  # until now, or until closed


class CallbackList(BaseModel):
    items: list[CallbackItem]
    open: int  # open items in all


class CallQueued(BaseModel):
    queued: bool
    key: str
    job_id: int | None = None  # when queued
    reason: str | None = None  # when not


class OptOut(BaseModel):
    number: str
    reason: str | None
    created_at: str


class OptOutList(BaseModel):
    optouts: list[OptOut]


class OptOutAdded(BaseModel):
    number: str
    added: bool


class OptOutRemoved(BaseModel):
    number: str
    removed: bool


class Notification(BaseModel):
    id: int
    key: str
    level: str
    title: str
    text: str
    data: Any
    created_at: str


class NotificationList(BaseModel):
    notifications: list[Notification]
