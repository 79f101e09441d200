"""The Hebrew catalogue is complete: every string of the dashboard's templates and page modules
has its translation (so no page shows English inside Hebrew)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cdrhub import domains
from cdrhub.web import i18n
from cdrhub.web.pages import report_labels

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


def test_every_report_label_has_its_hebrew() -> None:
    """The reports' titles, filter and parameter names and their choices are all labelled, and
    each label has Hebrew with no Latin letter in it (IVR is said so in Hebrew too)."""
    say = report_labels.say_in("he")
    every = domains.reports().values()
    names = {n for r in every for n in (*r.filters, *r.params) if n not in ("from", "to")}
    assert sorted(names - set(report_labels.NAMES)) == []
    choices = {c for r in every for cs in r.choices.values() for c in cs}
    assert sorted(choices - set(report_labels.CHOICES)) == []
    assert sorted({r.name for r in every} - set(report_labels.TITLES)) == []
    shown = [report_labels.title(r.name, say) for r in every]
    shown += [report_labels.column(n, say) for n in report_labels.NAMES]
    shown += [report_labels.choice(c, say) for c in report_labels.CHOICES]
    shown += [report_labels.cell("weekday_name", d, say) for d in report_labels.WEEKDAYS]
    shown += [report_labels.column(n, say) for n in DYNAMIC]
    assert [s for s in shown if LATIN.search(s.replace("IVR", ""))] == []
    assert [report_labels.column(n, say) for n in DYNAMIC] == [
        "נענו בהמתנה של 0-10 שנ׳",
        "נטשו בהמתנה של 120+ שנ׳",
        "מקש 1",
        "ללא הקשה",
        "חזרנו תוך 2 שע׳",
        "שיעור החזרה תוך 24 שע׳",
    ]


DYNAMIC = (
    "wait_answered_0-10",
    "wait_abandoned_120+",
    "dtmf_1",
    "dtmf_none",
    "returned_within_2h",
    "ratio_returned_within_24h",
)
LATIN = re.compile("[A-Za-z]")


def test_number_filters_format_as_babel_does() -> None:
    """The pages' number and percent filters (locale and patterns parsed once) write what
    Babel's format_decimal and format_percent write, in both languages."""
    from babel.numbers import format_decimal, format_percent

    from cdrhub.web.pages.templating import environment

    en = environment("en").filters
    assert (en["number"](1234567.891), en["number"](-3.25, 1), en["percent"](0.9345)) == (
        "1,234,568",
        "-3.2",
        "93.4%",
    )
    for lang, locale in (("en", "en_IL"), ("he", "he_IL")):
        filters = environment(lang).filters
        for value in (0, 1, 0.5, 1234.5, 1234567.891, -3.25, 10**12):
            for digits in (0, 1, 2):
                pattern = f"#,##0.{'0' * digits}" if digits else "#,##0"
                expected = format_decimal(value, format=pattern, locale=locale)
                assert filters["number"](value, digits) == expected
            expected = format_percent(value, format="#,##0.0%", locale=locale)
            assert filters["percent"](value) == expected
