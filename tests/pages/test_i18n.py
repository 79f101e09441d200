"""The Hebrew catalogue is complete: every string of the dashboard's templates and page modules
has its translation (so no page shows English inside Hebrew)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cdrhub.web import i18n

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("**/pages/**.py", "python"), ("**/templates/pages/**.html", "jinja2")]


def _strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src" / "cdrhub" / "web"), METHODS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_dashboard_has_strings_to_translate() -> None:
    strings = _strings()
    assert "Sign in" in strings and "Wrong e-mail address or password." in strings


def test_every_string_has_a_hebrew_translation() -> None:
    with i18n.catalogue_path("he").open("rb") as po:
        catalog = read_po(po, locale="he")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(_strings() - translated) == []


def test_the_hebrew_catalogue_is_used() -> None:
    assert i18n.translations("he").gettext("Sign in") == "כניסה"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


def test_the_language_follows_the_choice_then_the_browser() -> None:
    assert i18n.pick("en", "he") == "en"
    assert i18n.pick(None, "xx", accept_language="fr-FR,en;q=0.8") == "en"
    assert i18n.pick(None, accept_language="iw") == "he"
    assert i18n.pick(None, accept_language="fr") == "he"
