"""A delivery's legs in parts, and what a delivery that could not be stored means.

Parts: a body may hold many CDRs (up to `max_cdrs_per_body`). Stored in one go, it would hold
the one writer for as long as that takes while every other sender waits for its ack. So each
writer stores a delivery's legs in parts of at most a batch's legs, each part in a batch of its
own, with other deliveries' parts between them; the delivery is answered only after its last
part has committed. A crash between parts is safe: nothing was acknowledged, Voicenter sends
the body again, and the legs already stored count as redeliveries.

Failures: a delivery that fails alone (its batch was stored again one delivery at a time) failed
either because of its data (a value the database refuses: retrying cannot fix it) or because of
storage (a lost connection, a full disk: retrying can). The first is quarantined and answered
Err 1; only the second is answered Err 2, so that Voicenter sends it again.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import StatementError

from cdrhub.ingest.messages import Delivery, Received
from cdrhub.store.legs import Incoming


@dataclass(frozen=True, slots=True)
class Part:
    """Some of a delivery's legs; its last part also keeps the body when part of it could not
    be read (an empty part, when no leg could)."""

    delivery: Delivery
    received: Received
    items: Sequence[Incoming]
    last: bool

    @property
    def weight(self) -> int:
        """What the part counts for in a batch of at most so many legs."""
        return max(1, len(self.items))


def parts_of(delivery: Delivery, received: Received, size: int) -> list[Part]:
    """The delivery's legs in parts of at most `size`, in order; at least one part."""
    items = received.items
    chunks = [items[start : start + size] for start in range(0, len(items), size)] or [[]]
    last = len(chunks) - 1
    return [Part(delivery, received, chunk, i == last) for i, chunk in enumerate(chunks)]


# Raised for a value, never for the storage holding it: a number or text the database (or its
# driver) refuses, a value that cannot be encoded (a lone surrogate), one nested too deeply.
_DATA_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.DataError,
    ValueError,  # UnicodeEncodeError among them
    TypeError,
    OverflowError,  # sqlite3: an integer beyond 64 bits
    RecursionError,
)


def _cause(error: BaseException) -> BaseException:
    """The driver's (or Python's) exception under SQLAlchemy's wrapper."""
    if isinstance(error, StatementError) and isinstance(error.orig, BaseException):
        return error.orig
    return error


def data_fault(error: BaseException) -> bool:
    """Whether a delivery failed to store because of its data rather than because of storage.
    Connection loss, a full disk, a missing table or a lock timeout are storage's (SQLAlchemy's
    OperationalError, ProgrammingError, IntegrityError, InterfaceError, OSError) and stay so."""
    # psycopg is imported on PostgreSQL only; without it, none of its errors can be raised.
    psycopg = sys.modules.get("psycopg")
    driver = (psycopg.DataError,) if psycopg is not None else ()
    return isinstance(_cause(error), (*_DATA_ERRORS, *driver))


def fault_reason(error: BaseException) -> str:
    """One line for the quarantine row and the ack: which kind of value was refused, not the
    exception's text (which may quote the value)."""
    return f"could not be stored: a value was refused ({type(_cause(error)).__name__})"
