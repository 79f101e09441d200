"""Bytes of one request -> legs ready to store. The part of ingest that needs no database,
shared by the webhook and by quarantine replay.

Whatever goes wrong here is the body's fault, never storage's: every exception becomes a reason
to quarantine the body (one plain line, no exception text), so that no body is answered Err 2
and sent again forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from cdrhub.config import Settings
from cdrhub.pipeline import Incoming
from cdrhub.voicenter.decode import Decoded, DecodeError, decode, encoding_for
from cdrhub.voicenter.normalize import NormalizeError, normalize

log = logging.getLogger("cdrhub.ingest")


@dataclass(frozen=True, slots=True)
class Received:
    encoding: str
    items: list[Incoming] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # why (part of) the body was not a CDR
    # Set when the body was refused whole (more CDRs than one body may hold): nothing of it is
    # stored or quarantined.
    refused: str | None = None


def receive(
    body: bytes,
    content_type: str | None,
    query: str,
    settings: Settings,
    received_at: datetime,
    max_records: int | None = None,
) -> Received:
    """Decode and normalize a request's CDRs. With `max_records`, a body holding more CDRs
    than that is refused (`Received.refused`)."""
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
    return Received(decoded.encoding, items, errors)


def _own_bytes(decoded: Decoded, index: int, body: bytes) -> bytes | None:
    """The bytes a leg keeps as `raw_body`: its own part of a JSON array, else the body, kept
    with the first CDR only when several share it (each leg holding the whole body made a
    body of n CDRs cost n times its size)."""
    if decoded.parts is not None:
        return decoded.parts[index]
    return body if index == 0 else None
