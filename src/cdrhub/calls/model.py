"""CallLeg: one normalized CDR, the unit everything after decoding works with."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class IvrStep:
    layer_id: int | str | None
    layer_name: str | None
    layer_number: int | None
    dtmf: str | None
    order: int


@dataclass(frozen=True, slots=True)
class CallLeg:
    """A Voicenter CDR after normalization.

    Times: `started_at` is a naive UTC datetime, `started_at_local` the naive wall-clock reading
    in the account's time zone. Phone numbers are kept as received and as E.164 (None when the
    value is an extension code or not a phone number).
    """

    ivruniqueid: str
    type: str  # as received ("" when missing)
    type_key: str | None  # canonical name from voicenter.vocab, None when unknown
    type_id: int | None
    direction: str  # in | out | leg1 | transfer | conference | unknown
    status: str  # upper-cased as received ("" when missing)
    status_known: bool
    leg1_status: str | None
    started_at: datetime | None
    started_at_local: datetime | None
    time_raw: int | None
    time_mismatch_seconds: int | None  # |start - id prefix|, None when either is missing
    caller: str | None
    caller_e164: str | None
    target: str | None
    target_e164: str | None
    did: str | None
    did_e164: str | None
    caller_extension: str | None
    caller_extension_name: str | None
    target_extension: str | None
    target_extension_name: str | None
    duration: int | None
    dialtime: int | None
    wait_seconds: int | None
    queue_id: int | None
    queue_name: str | None
    agent_code: str | None  # representative code, else the extension
    agent_name: str | None
    representative_code: str | None
    representative_name: str | None
    department_id: int | None
    department_name: str | None
    top_department_id: int | None
    top_department_name: str | None
    price_agorot: float | None
    record_url: str | None
    caller_country: str | None
    target_country: str | None
    original_ivruniqueid: str | None
    ivr: tuple[IvrStep, ...] = ()
    ivr_raw: str | None = None  # an IVR value that could not be parsed, kept verbatim
    ai_data: Any = None
    custom_data: dict[str, Any] | None = None
    unknown_fields: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)  # the wire fields exactly as received

    @property
    def customer_number(self) -> str | None:
        """E.164 of the outside party: the caller on incoming legs, the target otherwise."""
        if self.direction == "in":
            return self.caller_e164
        if self.direction == "out":
            return self.target_e164
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
