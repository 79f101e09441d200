"""Phone numbers: E.164 for matching, and telling numbers from extension codes."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_DIGITS = re.compile(r"\d+")
_PHONE_CHARS = re.compile(r"^[+\d\s().\-/]+$")
# Longer than anyone writes a phone number (E.164 has at most 15 digits): not one, and not
# worth a cache entry. Keeps the caches below small whatever they are given.
MAX_PHONE_CHARS = 40


def looks_like_phone(value: str) -> bool:
    """Extension codes (`SIPSIP`, `EXT101`, short internal numbers) are not phone numbers."""
    if not _PHONE_CHARS.match(value):
        return False
    digits = "".join(_DIGITS.findall(value))
    return len(digits) >= 7


def to_e164(value: str | None, region: str = "IL") -> str | None:
    """E.164 form of a number as Voicenter writes it, or None when it is no valid number.

    Voicenter sends local numbers (`0501234567`) and international ones without the plus
    (`972501234567`, `4915112345678`); both are accepted, as are `+972-50-123-4567` and `00972...`.
    Cached: the same numbers come back on many CDRs.
    """
    if not value or len(value) > MAX_PHONE_CHARS:
        return None
    return _cached_e164(value, region)


def parse_e164(value: str, region: str = "IL") -> str | None:
    """`to_e164` without its cache, for input nobody vouches for yet (a widget link's number
    before its signature is known good)."""
    if len(value) > MAX_PHONE_CHARS:
        return None
    value = value.strip()
    if not looks_like_phone(value):
        return None
    digits = "".join(_DIGITS.findall(value))
    candidates: list[tuple[str, str | None]] = []
    if value.startswith("+"):
        candidates.append(("+" + digits, None))
    elif digits.startswith("00"):
        candidates.append(("+" + digits[2:], None))
    elif digits.startswith("0"):
        candidates.append((digits, region))
    else:
        # International without the plus is how Voicenter writes targets; a national number
        # without its trunk zero is the fallback.
        candidates.append(("+" + digits, None))
        candidates.append((digits, region))
    # Prefer a number in an allocated range; phonenumbers' allocation data lags real life
    # (050-123xxxx reads as unallocated), so a number of possible length is the fallback.
    possible = None
    for text, reg in candidates:
        try:
            parsed = phonenumbers.parse(text, reg)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if possible is None and phonenumbers.is_possible_number(parsed):
            possible = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return possible


_cached_e164 = lru_cache(maxsize=65536)(parse_e164)


def country_of(e164: str | None) -> str | None:
    """ISO 3166 region code of an E.164 number (`IL`, `DE`), None when unknown."""
    if not e164 or len(e164) > MAX_PHONE_CHARS:
        return None
    return _cached_country(e164)


@lru_cache(maxsize=4096)
def _cached_country(e164: str) -> str | None:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or None
    except phonenumbers.NumberParseException:
        return None


def display_number(e164: str, region: str = "IL") -> str:
    """A number as people of `region` write it: national (`050-123-4567`) when it is of that
    region, international (`+49 1511 2345678`) otherwise; as given when it is no number."""
    if len(e164) > MAX_PHONE_CHARS:
        return e164
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_possible_number(parsed):
        return e164
    # by country code: numbers in ranges phonenumbers does not know yet are still local
    local = parsed.country_code == phonenumbers.country_code_for_region(region.upper())
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if local
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)
