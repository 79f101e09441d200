"""What crosses between the webhook's route, the writers and the pipeline, and the plain tuples
they travel as through the writer process's pipe (unpickling a slotted dataclass costs far
more than a tuple: bench/README.md, Analytics, session 4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cdrhub.store.legs import Incoming, StoredLeg


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook request, as much of it as storing and quarantining need."""

    body: bytes
    content_type: str | None
    query: str
    method: str
    headers: dict[str, str]
    source: str | None
    received_at: datetime
    # the credential the request authenticated with: stripped from whatever is quarantined
    credentials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Received:
    """A request's bytes read: the legs to store, and why (part of) the body was not a CDR."""

    encoding: str
    items: list[Incoming] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # why (part of) the body was not a CDR
    # Set when the body was refused whole (more CDRs than one body may hold): nothing of it is
    # stored or quarantined.
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class LegNote:
    """What the server's metrics and its per-CDR log line need of one stored leg."""

    kind: str  # new | revised | duplicate
    unknown_type: str | None
    unknown_status: str | None
    unknown_fields: tuple[str, ...]
    time_mismatch_seconds: int | None
    ivruniqueid: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A committed delivery: its encoding, the legs stored, and why any part was quarantined;
    or a delivery refused whole (`refused`: more CDRs than a body may hold), nothing stored."""

    encoding: str
    legs: tuple[LegNote, ...]
    errors: tuple[str, ...]
    refused: str | None = None


def outcome(received: Received, stored: list[StoredLeg], failure: str | None = None) -> Outcome:
    """What the server answers from: `failure`, when the delivery's data could not be stored
    and its body was quarantined for it."""
    notes = tuple(
        LegNote(
            kind=s.kind,
            unknown_type=s.leg.type if s.leg.type_key is None else None,
            unknown_status=None if s.leg.status_known else s.leg.status,
            unknown_fields=s.leg.unknown_fields,
            time_mismatch_seconds=s.leg.time_mismatch_seconds,
            ivruniqueid=s.leg.ivruniqueid,
        )
        for s in stored
    )
    errors = (*received.errors, failure) if failure else tuple(received.errors)
    return Outcome(received.encoding, notes, errors, received.refused)


def delivery_tuple(d: Delivery) -> tuple[Any, ...]:
    return (
        d.body,
        d.content_type,
        d.query,
        d.method,
        d.headers,
        d.source,
        d.received_at,
        d.credentials,
    )


def outcome_tuple(o: Outcome) -> tuple[Any, ...]:
    return (o.encoding, [_note_tuple(n) for n in o.legs], o.errors, o.refused)


def _note_tuple(n: LegNote) -> tuple[Any, ...]:
    return (
        n.kind,
        n.unknown_type,
        n.unknown_status,
        n.unknown_fields,
        n.time_mismatch_seconds,
        n.ivruniqueid,
    )


def outcome_from_tuple(t: tuple[Any, ...]) -> Outcome:
    encoding, notes, errors, refused = t
    return Outcome(encoding, tuple(LegNote(*n) for n in notes), errors, refused)
