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


DAYS = "/reports/queues?from=2023-11-14&to=2023-11-15&by=day"


def test_service_level_and_abandon_rate_by_day_as_a_line_in_hebrew(
    chromium: Any, serve: ServerProcess
) -> None:
    post_cdr(serve, sample_bytes("queue-abandoned.json"))  # 2023-11-15, Sales Queue, abandoned
    add_user(serve, "boss@example.com", "admin")
    page = sign_in(chromium, serve, "boss@example.com", "he-IL")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(DAYS)
    page.wait_for_function("Chart.getChart(document.getElementById('report-chart')) !== undefined")
    drawn = page.evaluate(
        "(() => { const c = Chart.getChart(document.getElementById('report-chart'));"
        " return {type: c.config.type, labels: c.data.labels,"
        " sets: c.data.datasets.map(d => [d.label, d.data])}; })()"
    )
    assert drawn == {
        "type": "line",
        "labels": ["2023-11-14", "2023-11-15"],
        "sets": [["רמת שירות %", [None, 0]], ["שיעור נטישה %", [None, 100]]],
    }
    heads = page.locator("section").first.locator("thead th").all_inner_texts()
    assert heads[:3] == ["יום", "נכנסו", "נענו"]
    assert errors == []
    shot(page, "report-queues-by-day-he")
    page.locator("section").first.locator("a.drill").nth(1).click()
    page.wait_for_url("**/calls?queued=true&contact=in&direction=in&from=2023-11-15&to=2023-11-15")
    assert page.locator("tr[data-leg]").evaluate_all("rows => rows.map(r => r.dataset.leg)") == [
        "20231115120640qwer5678"
    ]
    page.context.close()
