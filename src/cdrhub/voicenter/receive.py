"""Bytes of one request -> legs ready to store. The part of ingest that needs no database,
shared by the webhook and by quarantine replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cdrhub.config import Settings
from cdrhub.pipeline import Incoming
from cdrhub.voicenter.decode import DecodeError, decode, encoding_for
from cdrhub.voicenter.normalize import NormalizeError, normalize


@dataclass(frozen=True, slots=True)
class Received:
    encoding: str
    items: list[Incoming] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # why (part of) the body was not a CDR


def receive(
    body: bytes, content_type: str | None, query: str, settings: Settings, received_at: datetime
) -> Received:
    try:
        decoded = decode(body, content_type, query)
    except DecodeError as exc:
        return Received(exc.encoding, errors=[str(exc)])
    except Exception as exc:  # a decoder bug must still quarantine, never lose the body
        return Received(encoding_for(content_type, body), errors=[f"decoder failed: {exc!r}"])
    items: list[Incoming] = []
    errors: list[str] = []
    many = len(decoded.records) > 1
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
            errors.append(f"CDR {index}: normalize failed: {exc!r}")
            continue
        items.append(Incoming(leg, decoded.encoding, body, received_at))
    return Received(decoded.encoding, items, errors)
