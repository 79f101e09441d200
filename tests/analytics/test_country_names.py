"""Country names in reports come from a table of their own (calls/country_names.py), not from
phonenumbers' geocoder: the same names, for every kind of number, as the geocoder gives."""

from __future__ import annotations

import runpy
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, geocoder

from cdrhub.analytics.facts import country_of_number
from cdrhub.calls.country_names import NAMES

ROOT = Path(__file__).resolve().parents[2]


def _numbers() -> list[str]:
    """Example numbers of every region and type, each also with its last digit changed (often
    invalid, or valid elsewhere in a shared country code), numbers of shared country codes
    (+1, +7, +44, +262, +590, +599), non-geographic ones, and text that is not a number."""
    found: set[str] = set()
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    for region in regions:
        for kind in vars(PhoneNumberType).values():
            if not isinstance(kind, int):
                continue
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
                found |= {e164, e164[:-1] + str((int(e164[-1]) + 1) % 10)}
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.add(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    found |= {
        "+972501234567",
        "+97235551234",
        "+12025550123",
        "+14165550123",
        "+18095550123",
        "+19999999999",
        "+74951234567",
        "+77011234567",
        "+447911123456",
        "+442071234567",
        "+441624123456",
        "+262692123456",
        "+590690123456",
        "+5999123456",
        "+80012345678",
        "+999123",
        "+1",
        "not a number",
        "",
    }
    return sorted(found)


def _geocoder_name(e164: str) -> str:
    if not e164:
        return ""
    try:
        return geocoder.country_name_for_number(phonenumbers.parse(e164, None), "en")
    except phonenumbers.NumberParseException:
        return ""


def test_same_names_as_the_geocoder() -> None:
    numbers = _numbers()
    assert len(numbers) > 1500
    ours = {e164: country_of_number(e164) for e164 in numbers}
    theirs = {e164: _geocoder_name(e164) for e164 in numbers}
    assert ours == theirs
    assert ours["+972501234567"] == "Israel"
    assert ours["+442071234567"] == "United Kingdom"
    assert ours["+447911123456"] == "Guernsey"  # +44 is shared: the region it is valid in
    assert ours["+14165550123"] == "Canada"
    assert ours["+77011234567"] == "Kazakhstan"
    assert ours["+19999999999"] == ""  # +1 valid in no region


def test_the_table_is_the_geocoders_english_names() -> None:
    """After a phonenumbers upgrade: scripts/country_names.py regenerates the table."""
    path = ROOT / "scripts" / "country_names.py"
    generated: dict[str, object] = {}
    exec(runpy.run_path(str(path))["module_text"](), generated)
    assert generated["NAMES"] == NAMES
    assert NAMES["IL"] == "Israel"
    assert NAMES["CI"] == "Côte d'Ivoire"
