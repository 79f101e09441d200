"""Wire dict (any encoding, any spelling) -> CallLeg. Pure: no I/O, no clock but the argument.

Liberal by design: key case and spacing variants, numbers as strings, empty strings as
"none", `0` as a real value, and an IVR that is not valid JSON are all accepted; every field is
kept in `raw` and fields we do not know are listed in `unknown_fields`.

Bounded by design too: every value that reaches a column fits it (see `docs/ingest.md`,
Hostile values). An `ivruniqueid` longer than its column cannot be stored under its own key, so
that CDR is refused (quarantined); any other value that does not fit its column is left out of
it (text NULL, a number NULL) or, where the column cannot be NULL, cut, and stays in `raw`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String

from cdrhub.calls.model import CallLeg, IvrStep
from cdrhub.calls.phones import to_e164
from cdrhub.calls.values import clean_text, json_safe, json_text
from cdrhub.store.schema import legs as _legs
from cdrhub.voicenter import vocab

EPOCH = datetime(1970, 1, 1)
_SQUASH = re.compile(r"[\s_\-]+")
_ID_PREFIX = re.compile(r"^([0-9]{14})")
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
INT32 = 2**31 - 1  # an Integer column
INT64 = 2**63 - 1  # a BigInteger column, and any integer kept in JSON
# Characters each text column of a leg holds (the database refuses more, or would cut it).
LENGTHS = {c.name: c.type.length for c in _legs.c if isinstance(c.type, String) and c.type.length}
# Wall-clock readings outside these are no call's start (and the rollups' periods, a year
# later, must still be a date).
EARLIEST, LATEST = datetime(1970, 1, 1), datetime(3000, 1, 1)

KNOWN_FIELDS = frozenset(
    {
        "caller",
        "target",
        "time",
        "duration",
        "ivruniqueid",
        "type",
        "status",
        "leg1dialstatusname",
        "targetextension",
        "targetextensionname",
        "callerextension",
        "callerextensionname",
        "did",
        "queueid",
        "queuename",
        "record",
        "price",
        "dialtime",
        "representativename",
        "representativecode",
        "targetcountry",
        "callercountry",
        "secondswaitinginqueue",
        "originalivruniqueid",
        "departmentname",
        "departmentid",
        "topdepartmentname",
        "topdepartmentid",
        "ivr",
        "aidata",
        "customdata",
        "direction",
        "isanswer",
        "actualcallduration",
        "actualcalldialtime",
    }
)


class NormalizeError(ValueError):
    """The fields cannot make a leg (no `ivruniqueid`)."""


def _squash(key: str) -> str:
    return _SQUASH.sub("", key).lower()


_squash_cached = lru_cache(maxsize=4096)(_squash)


def squash_key(key: str) -> str:
    """`Seconds_Waiting_In_ Queue` -> `secondswaitinginqueue` (cached: the same few dozen
    names arrive on every CDR; a name longer than any of ours is not, so that the cache stays
    small whatever the CDRs carry)."""
    return _squash_cached(key) if len(key) <= 64 else _squash(key)


class _Fields:
    """Case- and spacing-insensitive view of the wire dict; empty strings read as None."""

    def __init__(self, wire: Mapping[str, Any]) -> None:
        self.by_key: dict[str, Any] = {}
        for key, value in wire.items():
            self.by_key.setdefault(squash_key(str(key)), value)

    def get(self, key: str) -> Any:
        value = self.by_key.get(key)
        if isinstance(value, str):
            value = clean_text(value).strip()
            return value or None
        return value

    def text(self, key: str) -> str | None:
        value = self.get(key)
        if value is None or isinstance(value, (dict, list)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)

    def number(self, key: str) -> float | None:
        value = self._number(key)
        return value if value is None or math.isfinite(value) else None

    def _number(self, key: str) -> float | None:
        value = self.get(key)
        if isinstance(value, (int, float)):  # bool too
            try:
                return float(value)
            except OverflowError:  # an integer beyond any float
                return None
        # ASCII only: float() also reads other scripts' digits ("٣"), which Voicenter never
        # sends; such a value is no number and stays in `raw`.
        if isinstance(value, str) and value.isascii():
            try:
                return float(value.replace(",", "."))
            except ValueError:
                return None
        return None

    def integer(self, key: str, limit: int = INT64) -> int | None:
        """An integer, exact when it arrives as one; None when it is none or beyond `limit`
        (its column's range)."""
        value = self.get(key)
        if type(value) is int:
            exact = value
        elif isinstance(value, str) and _INTEGER.fullmatch(value):
            exact = int(value)
        else:
            number = self.number(key)
            if number is None:
                return None
            exact = round(number)
        return exact if -limit <= exact <= limit else None

    def fitted(self, key: str, column: str) -> str | None:
        """Text for a nullable column: None when it is longer than the column holds."""
        value = self.text(key)
        return value if value is None or len(value) <= LENGTHS[column] else None


# A price beyond this (ten billion shekels) is garbage, not a call's cost: it is kept in `raw`
# but not summed into reports, where it would overflow every counter.
MAX_PRICE_AGOROT = 1e12


def _plausible(value: float | None, limit: float) -> float | None:
    return value if value is None or -limit <= value <= limit else None


def _id_or_none(value: int | None) -> int | None:
    """Queue and department ids: `0` means none."""
    return value or None


def parse_json_text(value: Any) -> Any:
    """A nested value that may arrive as a JSON string; returns the string when it is not JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to read
            return value
    return value


_PAIR = re.compile(r'"?(\w+)"?\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^,}\]]+))')


def _salvage_objects(text: str) -> list[dict[str, Any]]:
    """Recover key/value pairs from an IVR string that is almost JSON (the seed's example)."""
    objects = []
    for chunk in re.findall(r"\{[^{}]*\}?", text):
        pairs = {
            m.group(1): m.group(2) if m.group(2) is not None else m.group(3).strip()
            for m in _PAIR.finditer(chunk)
        }
        if pairs:
            objects.append(pairs)
    return objects


def parse_ivr(value: Any) -> tuple[tuple[IvrStep, ...], str | None]:
    """IVR steps in order, and the verbatim value when it was a string that is not JSON."""
    if value is None or value == "":
        return (), None
    raw_text = None
    parsed = parse_json_text(value)
    if isinstance(parsed, str):
        raw_text = parsed
        parsed = _salvage_objects(parsed)
    if isinstance(parsed, dict):
        if all(isinstance(v, Mapping) for v in parsed.values()):
            # bracketed form keys decode to {"0": {...}, "1": {...}}
            parsed = [parsed[k] for k in sorted(parsed, key=lambda k: (len(str(k)), str(k)))]
        else:  # a single step sent as an object
            parsed = [parsed]
    if not isinstance(parsed, list):
        return (), raw_text if raw_text is not None else json_text(value)
    steps = []
    for index, item in enumerate(parsed):
        if not isinstance(item, Mapping):
            continue
        f = _Fields(item)
        layer_id: int | str | None = f.integer("layerid")
        if layer_id is None:
            layer_id = f.text("layerid")
        steps.append(
            IvrStep(
                layer_id=layer_id,
                layer_name=f.text("layername"),
                layer_number=f.integer("layernumber"),
                dtmf=f.text("dtmf"),
                order=f.integer("dtmforder") or index + 1,
            )
        )
    steps.sort(key=lambda s: s.order)
    return tuple(steps), raw_text


def id_prefix_time(ivruniqueid: str) -> datetime | None:
    """The local wall-clock start that begins every `ivruniqueid` (YYYYMMDDhhmmss)."""
    match = _ID_PREFIX.match(ivruniqueid)
    if not match:
        return None
    d = match.group(1)
    try:  # slicing, not strptime: this runs for every CDR
        found = datetime(
            int(d[:4]), int(d[4:6]), int(d[6:8]), int(d[8:10]), int(d[10:12]), int(d[12:])
        )
    except ValueError:
        return None
    return found if EARLIEST <= found < LATEST else None


def _to_utc(local: datetime, tz: ZoneInfo, received_at: datetime | None) -> datetime:
    """UTC instant of a naive wall-clock reading, DST aware.

    In the repeated autumn hour both readings are possible; the one that is not after the
    moment we received the CDR, and closest to it, is the start.
    """
    early = local.replace(tzinfo=tz, fold=0).astimezone(UTC).replace(tzinfo=None)
    late = local.replace(tzinfo=tz, fold=1).astimezone(UTC).replace(tzinfo=None)
    if early == late or received_at is None:
        return early
    candidates = [c for c in (late, early) if c <= received_at]
    return candidates[0] if candidates else early


def _start_times(
    time_raw: int | None,
    ivruniqueid: str,
    tz: ZoneInfo,
    time_mode: str,
    received_at: datetime | None,
) -> tuple[datetime | None, datetime | None, int | None]:
    """(UTC start, local start, seconds between start and the id prefix)."""
    prefix = id_prefix_time(ivruniqueid)
    if time_raw is None:
        if prefix is None:  # no clock on the CDR at all: the moment it reached us
            if received_at is None:
                return None, None, None
            local = received_at.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
            return received_at, local, None
        return _to_utc(prefix, tz, received_at), prefix, None
    try:
        reading = EPOCH + timedelta(seconds=time_raw)
    except OverflowError:
        reading = EPOCH - timedelta(days=1)  # out of range: read as no time below
    if not EARLIEST <= reading < LATEST:
        return _start_times(None, ivruniqueid, tz, time_mode, received_at)
    if time_mode == "utc":
        utc = reading
        local = utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    else:
        local = reading
        utc = _to_utc(local, tz, received_at)
    mismatch = min(abs(int((local - prefix).total_seconds())), INT32) if prefix else None
    return utc, local, mismatch


def _custom_data(f: _Fields) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    custom = parse_json_text(f.get("customdata"))
    if isinstance(custom, dict):
        data.update(custom)
    elif custom is not None:
        data["value"] = custom
    for key, value in f.by_key.items():
        if key.startswith("var") and len(key) > 3:
            data.setdefault(key, value)
    return data or None


def normalize(
    wire: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    time_mode: str = "local",
    region: str = "IL",
    received_at: datetime | None = None,
) -> CallLeg:
    """Build a CallLeg from one CDR's fields. `received_at` is naive UTC, used only to settle
    the repeated autumn hour."""
    if not isinstance(wire, Mapping):
        raise NormalizeError(f"a CDR is a set of fields, not {type(wire).__name__}")
    f = _Fields(wire)
    ivruniqueid = f.text("ivruniqueid")
    if not ivruniqueid:
        raise NormalizeError("no ivruniqueid: the CDR cannot be stored idempotently")
    if len(ivruniqueid) > LENGTHS["ivruniqueid"]:
        raise NormalizeError(
            f"ivruniqueid longer than {LENGTHS['ivruniqueid']} characters: the CDR cannot be"
            " stored under its own key"
        )

    type_raw = f.text("type") or ""
    known_type = vocab.call_type(type_raw)
    direction = known_type.direction if known_type else _guess_direction(f)
    status = (f.text("status") or "").upper()

    time_raw = f.integer("time")
    started_at, started_local, mismatch = _start_times(
        time_raw, ivruniqueid, tz, time_mode, received_at
    )
    caller, target, did = (
        f.fitted("caller", "caller"),
        f.fitted("target", "target"),
        f.fitted("did", "did"),
    )
    caller_ext = f.fitted("callerextension", "caller_extension")
    target_ext = f.fitted("targetextension", "target_extension")
    caller_ext_name = f.fitted("callerextensionname", "caller_extension_name")
    target_ext_name = f.fitted("targetextensionname", "target_extension_name")
    rep_code = f.fitted("representativecode", "representative_code")
    rep_name = f.fitted("representativename", "representative_name")
    if direction == "out":
        ext, ext_name = caller_ext, caller_ext_name
    else:
        ext, ext_name = target_ext or caller_ext, target_ext_name or caller_ext_name
    ivr, ivr_raw = parse_ivr(f.get("ivr"))
    leg1_status = (f.text("leg1dialstatusname") or "").upper() or None  # "ß".upper() is "SS"
    if leg1_status is not None and len(leg1_status) > LENGTHS["leg1_status"]:
        leg1_status = None
    raw = json_safe(wire if type(wire) is dict else dict(wire))

    return CallLeg(
        ivruniqueid=ivruniqueid,
        # never NULL: an over-long type or status is cut (it is no known one either way)
        type=type_raw[: LENGTHS["type"]],
        type_key=known_type.name if known_type else None,
        type_id=known_type.id if known_type else None,
        direction=direction,
        status=status[: LENGTHS["status"]],
        status_known=status in vocab.KNOWN_STATUSES,
        leg1_status=leg1_status,
        started_at=started_at,
        started_at_local=started_local,
        time_raw=time_raw,
        time_mismatch_seconds=mismatch,
        caller=caller,
        caller_e164=to_e164(caller, region),
        target=target,
        target_e164=to_e164(target, region),
        did=did,
        did_e164=to_e164(did, region),
        caller_extension=caller_ext,
        caller_extension_name=caller_ext_name,
        target_extension=target_ext,
        target_extension_name=target_ext_name,
        duration=f.integer("duration", INT32),
        dialtime=f.integer("dialtime", INT32),
        wait_seconds=f.integer("secondswaitinginqueue", INT32),
        queue_id=_id_or_none(f.integer("queueid")),
        queue_name=f.fitted("queuename", "queue_name"),
        agent_code=rep_code or ext,
        agent_name=rep_name or ext_name,
        representative_code=rep_code,
        representative_name=rep_name,
        department_id=_id_or_none(f.integer("departmentid")),
        department_name=f.fitted("departmentname", "department_name"),
        top_department_id=_id_or_none(f.integer("topdepartmentid")),
        top_department_name=f.fitted("topdepartmentname", "top_department_name"),
        price_agorot=_plausible(f.number("price"), MAX_PRICE_AGOROT),
        record_url=f.text("record"),
        caller_country=f.fitted("callercountry", "caller_country"),
        target_country=f.fitted("targetcountry", "target_country"),
        # a link is no link when cut: an over-long one is left out
        original_ivruniqueid=f.fitted("originalivruniqueid", "original_ivruniqueid"),
        ivr=ivr,
        ivr_raw=ivr_raw,
        ai_data=json_safe(parse_json_text(f.get("aidata"))),
        custom_data=json_safe(_custom_data(f)),
        unknown_fields=tuple(k for k in raw if _unknown(squash_key(k))),
        raw=raw,
    )


def _unknown(key: str) -> bool:
    return key not in KNOWN_FIELDS and not key.startswith("var")


def _guess_direction(f: _Fields) -> str:
    """For a type we do not know: trust a `direction` field, else the presence of a DID."""
    hint = (f.text("direction") or "").lower()
    if hint.startswith("in"):
        return "in"
    if hint.startswith("out"):
        return "out"
    return "in" if f.text("did") else "unknown"
