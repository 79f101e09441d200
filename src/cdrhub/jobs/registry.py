"""The job handlers a worker runs: job kind -> handler, built explicitly from what each domain
hands over (`cdrhub.domains.job_handlers()`); nothing registers itself on import.

A domain exports its handlers as a plain dict (`HANDLERS: dict[str, Handler]`), and may export
listeners told when a job gives up for good (`on_dead`: automations tells the managers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from cdrhub.config import Settings
from cdrhub.jobs.outbox import ClaimedJob, PermanentFailure, idempotency_key, utcnow


@dataclass(frozen=True, slots=True)
class JobContext:
    id: int
    kind: str
    key: str
    payload: Mapping[str, Any]
    attempt: int  # 1 on the first run
    max_attempts: int
    settings: Settings
    engine: Engine
    now: datetime = field(default_factory=utcnow)

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.key)


Handler = Callable[[JobContext], Any]
# Told, in the transaction that records it, that a job gave up: (conn, job, reason, now).
DeadListener = Callable[[Connection, ClaimedJob, str, datetime], None]


class Handlers:
    """Job kind -> handler, and the listeners of jobs that gave up. Immutable once built."""

    def __init__(
        self, handlers: Mapping[str, Handler] | None = None, on_dead: Iterable[DeadListener] = ()
    ) -> None:
        self._handlers = dict(handlers or {})
        self.on_dead = tuple(on_dead)

    @classmethod
    def combine(cls, *parts: Handlers) -> Handlers:
        """One Handlers of several (each domain's); a kind handled twice is a wiring error."""
        handlers: dict[str, Handler] = {}
        for part in parts:
            for kind in part.kinds():
                if kind in handlers:
                    raise ValueError(f"job kind {kind!r} has two handlers")
                handlers[kind] = part._handlers[kind]
        return cls(handlers, [listener for part in parts for listener in part.on_dead])

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def handler_for(self, kind: str) -> Handler:
        """The handler of `kind`; PermanentFailure naming the kind when there is none."""
        handler = self._handlers.get(kind)
        if handler is None:
            raise PermanentFailure(f"no handler for job kind {kind!r}")
        return handler

    def kinds(self) -> list[str]:
        return sorted(self._handlers)
