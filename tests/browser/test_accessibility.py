"""axe-core (vendored under tests/browser/vendor, never shipped) finds no serious or critical
accessibility violation on any dashboard page, in Hebrew and in English: every page of
test_every_page, the sign-in and set-up pages, the Live page with a pop-up, and the wallboard's read-only
screen link."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import add_user, live_cdr, post_cdr, setup_link, shot, sign_in
from tests.browser.test_every_page import PAGES
from tests.serverproc import ServerProcess

# The pages' Content-Security-Policy allows no injected script: the contexts bypass it.
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# Each violation as "rule (impact): help — up to three offending elements".
RUN = """async () => {
  const result = await axe.run(document);
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found: list[str] = page.evaluate(RUN)
    return found


@pytest.mark.slow
def test_no_serious_or_critical_violation_on_any_page(chromium: Any, serve: ServerProcess) -> None:
    found: dict[str, list[str]] = {}
    link = setup_link(serve)
    for locale, lang in (("he-IL", "he"), ("en-US", "en")):
        context = chromium.new_context(locale=locale, base_url=serve.base_url, bypass_csp=True)
        page = context.new_page()
        for name, path in (("setup", link), ("login", "/login")):
            page.goto(path)
            found[f"{name}-{lang}"] = violations(page)
        context.close()
    add_user(serve, "boss@example.com", "admin", "--extension", "201")
    body = live_cdr()
    post_cdr(serve, body)
    post_cdr(serve, live_cdr("incoming-ivr-as-string.json", 30))
    leg = json.loads(body)["ivruniqueid"]
    for locale, lang in (("he-IL", "he"), ("en-US", "en")):
        page = sign_in(chromium, serve, "boss@example.com", locale, bypass_csp=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        # the Live page with a missed call's pop-up (the stream inserts it)
        page.wait_for_function("document.getElementById('stream-state').textContent !== ''")
        number = "0521112222" if lang == "he" else "0523334444"
        post_cdr(serve, live_cdr(ivruniqueid=f"20261205120000a11y{lang}", caller=number))
        page.locator(".popup").first.wait_for(timeout=5000)
        found[f"live-popup-{lang}"] = violations(page)
        shot(page, f"live-popup-{lang}-1280")
        for name, path in PAGES.items():
            answer = page.goto(path.format(leg=leg))
            assert answer is not None and answer.status == 200, name
            found[f"{name}-{lang}"] = violations(page)
        page.goto("/wall")
        page.locator("form[action='/wall/link'] button").click()
        screen = page.locator("#wall-link").inner_text()
        found[f"wall-with-link-{lang}"] = violations(page)
        page.goto(screen)
        assert page.locator("#wall-link").count() == 0
        found[f"screen-{lang}"] = violations(page)
        page.context.close()
    assert len(found) == 2 * (len(PAGES) + 5)
    bad = {name: lines for name, lines in found.items() if lines}
    assert bad == {}, "\n".join(f"{n}: {line}" for n, lines in bad.items() for line in lines)
