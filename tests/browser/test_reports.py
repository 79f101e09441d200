"""The Reports pages in Chromium: a report in Hebrew and English with its chart drawn in the
page's direction, the filters swapped in by htmx with the URL to share, and a drill-down link
listing the legs behind a figure."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import add_user, post_cdr, shot, sign_in
from tests.conftest import sample_bytes
from tests.serverproc import ServerProcess

REPORT = "/reports/countries?from=2023-11-15&to=2023-11-15"


def test_a_report_charts_and_drills_down_in_both_languages(
    chromium: Any, serve: ServerProcess
) -> None:
    post_cdr(serve, sample_bytes("outgoing-answered.json"))
    add_user(serve, "boss@example.com", "admin")
    for locale, direction, heading in (("he-IL", "rtl", "דוחות"), ("en-US", "ltr", "Reports")):
        page = sign_in(chromium, serve, "boss@example.com", locale)
        errors: list[str] = []
        page.on(
            "console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None
        )
        page.goto(REPORT)
        assert page.locator("h1").inner_text().startswith(heading)
        assert page.evaluate("getComputedStyle(document.body).direction") == direction
        canvas = page.locator("canvas#report-chart")
        assert canvas.count() == 1
        page.wait_for_function(
            "Chart.getChart(document.getElementById('report-chart')) !== undefined"
        )
        assert canvas.get_attribute("dir") == direction
        assert page.evaluate(
            "Chart.getChart(document.getElementById('report-chart')).data.labels"
        ) == ["Israel"]
        assert errors == []
        shot(page, f"report-countries-{locale[:2]}")
        # the filters, swapped in by htmx, put the view in the URL
        page.fill('input[name="from"]', "2023-11-16")
        page.fill('input[name="to"]', "2023-11-16")
        page.click("#report-filters button")
        page.wait_for_url("**/reports/countries?from=2023-11-16&to=2023-11-16")
        assert page.locator("canvas#report-chart").count() == 0
        page.fill('input[name="from"]', "2023-11-15")
        page.fill('input[name="to"]', "2023-11-15")
        page.click("#report-filters button")
        page.wait_for_url(f"**{REPORT}")
        page.wait_for_function(  # drawn again after the swap
            "Chart.getChart(document.getElementById('report-chart')) !== undefined"
        )
        page.click("a.drill")
        page.wait_for_url("**/calls?country=Israel&contact=out&from=2023-11-15&to=2023-11-15")
        assert page.locator("tr[data-leg]").evaluate_all(
            "rows => rows.map(r => r.dataset.leg)"
        ) == ["20231115092000abcd1234"]
        page.context.close()
