"""Print src/cdrhub/calls/country_names.py: the English name of each region, as phonenumbers'
geocoder gives it, so that reports name countries without loading the geocoder's data.

    .venv/bin/python scripts/country_names.py > src/cdrhub/calls/country_names.py

Run it after upgrading phonenumbers; tests/calls/test_country_names.py fails until it is.
"""

from __future__ import annotations

import json
from importlib.metadata import version

from phonenumbers.geocoder import _region_display_name
from phonenumbers.geodata.locale import LOCALE_DATA


def module_text() -> str:
    names = {code: _region_display_name(code, "en") for code in sorted(LOCALE_DATA)}
    lines = [
        '"""English names of regions (ISO 3166 codes), as the geocoder of phonenumbers gives them.',
        "",
        f"Generated from phonenumbers {version('phonenumbers')} by scripts/country_names.py: do",
        "not edit. The geocoder holds the place names of every prefix (~100 MB once",
        'imported); this table is all reports need of it."""',
        "",
        "NAMES: dict[str, str] = {",
        *(
            f"    {json.dumps(code)}: {json.dumps(name, ensure_ascii=False)},"
            for code, name in names.items()
            if name
        ),
        "}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(module_text(), end="")
