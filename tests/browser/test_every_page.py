"""Every page in both languages, from a phone's 360 px to a TV: the direction the language
needs, nothing wider than the screen (wide tables scroll inside their frame), and a screenshot
of each (build/screenshots)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import add_user, live_cdr, post_cdr, shot, sign_in
from tests.serverproc import ServerProcess

PAGES = {
    "live": "/",
    "callbacks": "/callbacks",
    "calls": "/calls",
    "call": "/calls/{leg}",
    "contact": "/contacts/0501234567",
    "wall": "/wall",
    "reports": "/reports",
    "report": "/reports/agents",
    "admin-setup": "/admin/setup",
    "admin-users": "/admin/users",
    "admin-audit": "/admin/audit",
    "admin-jobs": "/admin/jobs",
    "admin-quarantine": "/admin/quarantine",
    "admin-rules": "/admin/rules",
    "password": "/account/password",
}
WIDTHS = (360, 1920)
# What sticks out of the screen (for the failure message).
WIDE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((e) => !e.closest(".table-wrap"))
    .filter((e) => { const r = e.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
    .slice(0, 5)
    .map((e) => e.tagName + "." + e.className + ": " + e.textContent.slice(0, 40));
}"""


@pytest.mark.slow
def test_every_page_in_both_languages_fits_the_screen(chromium: Any, serve: ServerProcess) -> None:
    import json

    add_user(serve, "boss@example.com", "admin", "--extension", "201")
    body = live_cdr()
    post_cdr(serve, body)
    post_cdr(serve, live_cdr("incoming-ivr-as-string.json", 30))
    leg = json.loads(body)["ivruniqueid"]
    for locale, lang, direction in (("he-IL", "he", "rtl"), ("en-US", "en", "ltr")):
        page = sign_in(chromium, serve, "boss@example.com", locale)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in PAGES.items():
                answer = page.goto(path.format(leg=leg))
                assert answer is not None and answer.status == 200, (name, answer and answer.status)
                assert page.evaluate("document.documentElement.lang") == lang
                assert page.evaluate("getComputedStyle(document.body).direction") == direction
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, (name, width, overflow, page.evaluate(WIDE))
                if width == WIDTHS[0] or name in ("live", "calls", "wall", "admin-users"):
                    shot(page, f"{name}-{lang}-{width}")
        page.context.close()
