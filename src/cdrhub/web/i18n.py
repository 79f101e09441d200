"""The dashboard's languages: Hebrew (right to left) and English, through Babel.

English is the source language. The Hebrew catalogue is a gettext .po file in the package,
read at start (no compiled .mo to build or commit); tests/web/test_i18n.py fails on any string
of a template or page module that it does not translate.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGS = ("he", "en")
DEFAULT_LANG = "he"
DIRECTION = {"he": "rtl", "en": "ltr"}
LOCALE_DIR = Path(__file__).with_name("locale")


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The gettext translations of `lang` (English: the source strings as they are)."""
    path = catalogue_path(lang)
    if lang == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first supported language among `candidates` (the user's choice, a cookie), then
    the browser's Accept-Language, then the default."""
    for lang in candidates:
        if lang in LANGS:
            return lang
    for part in (accept_language or "").split(",")[:16]:
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
        if code == "iw":  # Hebrew's old code, still sent by some systems
            return "he"
    return DEFAULT_LANG
