"""The one path every CDR takes into the database, whatever brought it (webhook, quarantine
replay, `cdrhub import`, backfill): read the bytes into legs (`receive`), store the legs, keep
what could not be read in quarantine, and let each domain react, in one transaction.

A hook sees the legs of one transaction that are new or whose content changed (never a plain
redelivery), in arrival order, all at once: a hook that can merge its writes (rollups) does so
once per transaction, and the webhook's writers put many deliveries in one transaction under
load. Hooks run in the legs' transaction: rollups, outbox jobs and callback items commit with
the leg or not at all. Hooks must be idempotent for a given (leg, content) and must not commit.

The hooks are handed in by the caller (`cdrhub.domains.hooks(settings)` composes them): this
module imports no domain.

Reading is the body's fault, never storage's: whatever goes wrong decoding or normalizing
becomes a reason to quarantine the body (one plain line, no exception text), so that no body
is answered Err 2 and sent again forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from cdrhub.calls.model import CallLeg
from cdrhub.config import Settings
from cdrhub.ingest.messages import Delivery, Received
from cdrhub.ingest.parts import Part
from cdrhub.logs import printable
from cdrhub.store import legs as legs_repo
from cdrhub.store import quarantine
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.decode import Decoded, DecodeError, decode, encoding_for
from cdrhub.voicenter.normalize import NormalizeError, normalize

log = logging.getLogger("cdrhub.ingest")

# Defined with the legs repository, which saves the one and returns the other; every domain's
# hook imports them from here, with LegHook.
Incoming = legs_repo.Incoming
StoredLeg = legs_repo.StoredLeg
SaveKind = legs_repo.SaveKind

LegHook = Callable[[Connection, Sequence[StoredLeg]], None]


def receive(
    body: bytes,
    content_type: str | None,
    query: str,
    settings: Settings,
    received_at: datetime,
    max_records: int | None = None,
) -> Received:
    """Decode and normalize a request's CDRs, without the database. With `max_records`, a body
    holding more CDRs than that is refused (`Received.refused`)."""
    try:
        decoded = decode(body, content_type, query)
    except DecodeError as exc:
        return Received(exc.encoding, errors=[str(exc)])
    except Exception as exc:  # a decoder bug must still quarantine, never lose the body
        log.warning("decoding a body failed unexpectedly (%s)", type(exc).__name__)
        return Received(encoding_for(content_type, body), errors=["the body could not be read"])
    count = len(decoded.records)
    if max_records is not None and count > max_records:
        reason = f"the body holds {count} CDRs, more than {max_records}: send at most that many"
        return Received(decoded.encoding, refused=reason)
    items: list[Incoming] = []
    errors: list[str] = []
    many = count > 1
    debug = log.isEnabledFor(logging.DEBUG)
    for index, record in enumerate(decoded.records):
        try:
            leg = normalize(
                record,
                tz=settings.tz,
                time_mode=settings.time_mode,
                region=settings.default_region,
                received_at=received_at,
            )
        except NormalizeError as exc:
            errors.append(f"CDR {index}: {exc}" if many else str(exc))
            continue
        except Exception as exc:
            log.warning("normalizing CDR %d failed unexpectedly (%s)", index, type(exc).__name__)
            errors.append(f"CDR {index} could not be read" if many else "the CDR could not be read")
            continue
        items.append(Incoming(leg, decoded.encoding, _own_bytes(decoded, index, body), received_at))
        if debug:  # the numbers: only ever at debug (docs/deploy.md, "Logs")
            _log_numbers(leg)
    return Received(decoded.encoding, items, errors)


def _log_numbers(leg: CallLeg) -> None:
    fields = {
        "id": leg.ivruniqueid,
        "caller": leg.caller,
        "target": leg.target,
        "did": leg.did,
    }
    text = " ".join(f"{k}={printable(v)}" for k, v in fields.items() if v is not None)
    log.debug("CDR read %s", text, extra={"fields": fields})


def _own_bytes(decoded: Decoded, index: int, body: bytes) -> bytes | None:
    """The bytes a leg keeps as `raw_body`: its own part of a JSON array, else the body, kept
    with the first CDR only when several share it (each leg holding the whole body made a
    body of n CDRs cost n times its size)."""
    if decoded.parts is not None:
        return decoded.parts[index]
    return body if index == 0 else None


def read(delivery: Delivery, settings: Settings) -> Received:
    """A webhook delivery's legs, refused whole past `max_cdrs_per_body`."""
    return receive(
        delivery.body,
        delivery.content_type,
        delivery.query,
        settings,
        delivery.received_at,
        max_records=settings.max_cdrs_per_body,
    )


def run_hooks(conn: Connection, hooks: Sequence[LegHook], stored: Iterable[StoredLeg]) -> None:
    """Let each domain react, once, to the legs of this transaction that are new or changed."""
    changed = [s for s in stored if s.kind != "duplicate"]
    if changed:
        for hook in hooks:
            hook(conn, changed)


def store_parts(conn: Connection, parts: Sequence[Part]) -> list[list[StoredLeg]]:
    """In the caller's transaction, without hooks: the parts' legs in one save (each leg keeps
    its own delivery's time), and the body of each delivery that had a part that could not be
    read, with its last part. The legs of each part, in order."""
    items = [item for part in parts for item in part.items]
    stored = iter(legs_repo.save_legs(conn, items, parts[0].delivery.received_at))
    out = [[next(stored) for _item in part.items] for part in parts]
    for part in parts:
        if part.last and part.received.errors:
            keep_body(conn, part.delivery, "; ".join(part.received.errors))
    return out


def store_batch(
    conn: Connection, parts: Sequence[Part], hooks: Sequence[LegHook]
) -> list[list[StoredLeg]]:
    """In the caller's transaction: the parts' legs, the quarantined bodies, then the hooks
    once over every leg of the batch. The legs of each part, in order."""
    out = store_parts(conn, parts)
    run_hooks(conn, hooks, (leg for legs in out for leg in legs))
    return out


def hooks_after(hooks: Sequence[LegHook]) -> Callable[[Connection, list[Any]], None]:
    """The hooks as a group commit's `finish`: run once over the legs of every `store_parts`
    work of its batch (a work that stored no leg, `keep_body`, returns an empty list)."""

    def finish(conn: Connection, results: list[list[list[StoredLeg]]]) -> None:
        run_hooks(conn, hooks, (leg for work in results for each in work for leg in each))

    return finish


def keep_body(conn: Connection, delivery: Delivery, reason: str) -> list[list[StoredLeg]]:
    """Quarantine the delivery's body (stores no leg)."""
    quarantine.keep(
        conn,
        body=delivery.body,
        reason=reason,
        method=delivery.method,
        content_type=delivery.content_type,
        query=delivery.query,
        headers=delivery.headers,
        source=delivery.source,
        received_at=delivery.received_at,
        secrets=delivery.credentials,
    )
    return []


def store_legs(
    conn: Connection, items: Iterable[Incoming], hooks: Sequence[LegHook], received_at: datetime
) -> list[StoredLeg]:
    """Legs that came without a delivery (import, backfill, replay): stored, then the hooks, in
    the caller's transaction."""
    stored = legs_repo.save_legs(conn, list(items), received_at)
    run_hooks(conn, hooks, stored)
    return stored


def store_bulk(
    conn: Connection,
    items: Iterable[Incoming],
    hooks: Sequence[LegHook],
    received_at: datetime,
    *,
    new_hooks: Sequence[LegHook],
) -> list[StoredLeg]:
    """`store_legs` for a history of many legs (`cdrhub import`, the Call Log backfill): the
    same save in its bulk mode (`save_legs(bulk=True)`: the ids looked up first, so a file
    imported again costs no insert; many legs go in by COPY on PostgreSQL), then `new_hooks` once
    over the new legs and `hooks` once over the revised ones, in the caller's transaction.
    Importing history counts its new legs in the rollups without firing automations on them:
    its caller hands in the rollups' hook alone as `new_hooks`."""
    stored = legs_repo.save_legs(conn, list(items), received_at, bulk=True)
    new = [s for s in stored if s.kind == "new"]
    if new:
        for hook in new_hooks:
            hook(conn, new)
    run_hooks(conn, hooks, (s for s in stored if s.kind == "revised"))
    return stored


def ingest(
    engine: Engine, items: Iterable[Incoming], hooks: Sequence[LegHook], received_at: datetime
) -> list[StoredLeg]:
    """`store_legs` in one committed transaction of its own; returns only after the commit."""
    with write_transaction(engine) as conn:
        return store_legs(conn, items, hooks, received_at)
