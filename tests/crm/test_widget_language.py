"""The widget speaks the account's language (`[crm.embed] language`): `lang` and `dir` on the
page, its words, every value isolated so that Hebrew mixed with numbers reads in order, times
in local time (callbacks like calls) and numbers as the region writes them, E.164 in the
title."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from cdrhub.automations.tables import callback_items
from cdrhub.calls.phones import display_number
from cdrhub.config import ConfigError, Settings
from cdrhub.crm.embed import embed_path
from cdrhub.crm.settings import load_crm_settings
from cdrhub.crm.widget import local_time
from cdrhub.store.engine import write_transaction
from tests.crm.conftest import API, make_client, samples, store, with_crm

SECRET = "s3cret-for-tests"
PHONE = "+972546666666"


def _page(settings: Settings, engine: Engine, language: str | None) -> str:
    wire = {**samples("incoming-ivr-as-string")[0], "queueid": 77, "queuename": "תור 2 מכירות"}
    store(settings, engine, wire)
    opened = datetime(2023, 11, 15, 10, 6, 40)  # UTC: 12:06:40 in Israel
    with write_transaction(engine) as conn:
        conn.execute(callback_items.delete())
        conn.execute(
            callback_items.insert().values(
                customer_number=PHONE,
                status="open",
                opened_at=opened,
                last_missed_at=opened,
                missed_count=3,
                first_ivruniqueid="x1",
                last_ivruniqueid="x1",
                assigned_to="Dana 2",
                created_at=opened,
                updated_at=opened,
            )
        )
    embed = {"secret": SECRET} | ({"language": language} if language else {})
    with make_client(with_crm(settings, embed=embed)) as client:
        body = {"name": "משה 3", "company": "Acme 2000 בע״מ", "phones": ["0546666666"]}
        assert client.post("/api/contacts", json=body, headers=API).status_code == 201
        page = client.get(embed_path(SECRET, PHONE, int(time.time()) + 600))
    assert page.status_code == 200
    return page.text


def _fragments(html: str) -> list[str]:
    """The page's lines that carry words and values (the style and the player left out)."""
    keep = ("<html", "<title>", "<h1>", '<div class="who">', '<div class="callback">',
            '<span class="when">', "<span>", '<span class="badge', "<bdi>", "Queue", "תור",
            "talk", "שיחה", "· ")  # fmt: skip
    return [line.strip() for line in html.splitlines() if line.strip().startswith(keep)]


def test_hebrew_account(settings: Settings, engine: Engine) -> None:
    assert _fragments(_page(settings, engine, "he")) == [
        '<html lang="he" dir="rtl">',
        "<title>שיחות עם &#x2068;054-666-6666&#x2069;</title>",
        '<h1><bdi title="+972546666666">054-666-6666</bdi></h1>',
        '<div class="who"><bdi>משה 3</bdi> · <bdi>Acme 2000 בע״מ</bdi></div>',
        '<div class="callback">חזרה ללקוח פתוחה מאז <bdi title="2023-11-15T10:06:40Z">'
        "2023-11-15 12:06:40</bdi> (<bdi>3</bdi> שלא נענו), באחריות <bdi>Dana 2</bdi></div>",
        '<span class="when"><bdi title="2023-11-15T12:53:20Z">2023-11-15 14:53:20</bdi></span>',
        "<span>&#8601; נכנסת</span>",
        '<span class="badge answered">נענתה</span>',
        "<bdi>דנה כהן</bdi>",
        "תור <bdi>תור 2 מכירות</bdi> ·",
        "שיחה <bdi>0:38</bdi>",
        "· נתב <bdi>תפריט ראשי</bdi> (<bdi>3</bdi>) › <bdi>שירות לקוחות</bdi> (<bdi>0</bdi>)",
    ]


def test_english_account(settings: Settings, engine: Engine) -> None:
    assert _fragments(_page(settings, engine, None)) == [
        '<html lang="en" dir="ltr">',
        "<title>Calls with &#x2068;054-666-6666&#x2069;</title>",
        '<h1><bdi title="+972546666666">054-666-6666</bdi></h1>',
        '<div class="who"><bdi>משה 3</bdi> · <bdi>Acme 2000 בע״מ</bdi></div>',
        '<div class="callback">Callback open since <bdi title="2023-11-15T10:06:40Z">'
        "2023-11-15 12:06:40</bdi> (<bdi>3</bdi> missed), assigned to <bdi>Dana 2</bdi></div>",
        '<span class="when"><bdi title="2023-11-15T12:53:20Z">2023-11-15 14:53:20</bdi></span>',
        "<span>&#8601; in</span>",
        '<span class="badge answered">answered</span>',
        "<bdi>דנה כהן</bdi>",
        "Queue <bdi>תור 2 מכירות</bdi> ·",
        "talk <bdi>0:38</bdi>",
        "· IVR <bdi>תפריט ראשי</bdi> (<bdi>3</bdi>) › <bdi>שירות לקוחות</bdi> (<bdi>0</bdi>)",
    ]


@pytest.mark.parametrize(
    ("e164", "region", "shown"),
    [
        ("+972546666666", "IL", "054-666-6666"),
        ("+97231234567", "IL", "03-123-4567"),
        ("+4915112345678", "IL", "+49 1511 2345678"),  # another country's: international
        ("+972546666666", "DE", "+972 54-666-6666"),
        ("+12015550123", "US", "(201) 555-0123"),
        ("+9725012", "IL", "+9725012"),  # no possible number: as given
        ("EXT101", "IL", "EXT101"),
    ],
)
def test_numbers_as_the_region_writes_them(e164: str, region: str, shown: str) -> None:
    assert display_number(e164, region) == shown


def test_an_unknown_language_is_a_configuration_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match=r"^\[crm.embed\] language must be one of en, he$"):
        load_crm_settings(with_crm(settings, embed={"language": "klingon"}), env={})


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2023-11-15T10:06:40Z", "2023-11-15 12:06:40"),  # UTC: converted
        ("2023-11-15T14:53:20+02:00", "2023-11-15 14:53:20"),  # a reading with its offset
        ("2023-11-15T14:53:20", "2023-11-15 14:53:20"),  # a wall-clock reading already
        ("2024-07-01T09:00:00Z", "2024-07-01 12:00:00"),  # summer time
        (None, ""),
        ("soon", "soon"),
    ],
)
def test_times_on_the_accounts_wall_clock(given: str | None, shown: str) -> None:
    assert local_time(given, ZoneInfo("Asia/Jerusalem")) == shown
