"""The Reports pages: the list with formulas, a report with its filters in the URL and the
previous period beside it, the scope of a manager, drill-down links listing exactly the legs
behind a figure, and the CSV and XLSX exports equal to the API's rows."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import unquote_plus

import openpyxl
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cdrhub.config import Settings
from tests.crm.conftest import leg, sample, store
from tests.pages.helpers import add_user as _user
from tests.pages.helpers import signed_in as _signed_in
from tests.pages.test_calls import _legs

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
SALES = {"queueid": 1234567, "queuename": "Sales Queue"}
SUPPORT = {"queueid": 7654321, "queuename": "Support Queue"}
# Voicenter's `time` reads as the account's wall clock (docs/voicenter.md); 2023-11-15 is a Wednesday
WED_8 = 1700035200  # 2023-11-15 08:00 local
WED_12 = 1700050000  # 12:06:40 local
PREV = 1699948800  # 2023-11-14 08:00 local, Tuesday (the previous day)


def _incoming(ident: str, at: int, status: str, queue: dict[str, Any], **kw: Any) -> dict:
    return {
        **sample("queue-abandoned.json"),
        "ivruniqueid": ident,
        "time": at,
        "status": status,
        "duration": 30 if status == "ANSWER" else 0,
        **queue,
        **kw,
    }


def _data(settings: Settings, engine: Engine) -> None:
    agent = {"representative_code": "9996", "representative_name": "Walter Melon"}
    store(
        settings,
        engine,
        _incoming("in-a", WED_8, "ANSWER", SALES, **agent),
        _incoming("in-b", WED_8 + 600, "ABANDONE", SALES),
        _incoming("in-c", WED_8 + 900, "ANSWER", SUPPORT, **agent),
        _incoming("in-d", WED_12, "ABANDONE", SALES),
        _incoming("in-prev", PREV, "ANSWER", SALES, **agent),
        leg(ivruniqueid="out-il", time=WED_8 + 60),
        leg(ivruniqueid="out-uk1", time=WED_8 + 120, target="442071838750", target_country=""),
        leg(
            ivruniqueid="out-uk2",
            time=WED_12 + 60,
            target="442071838751",
            target_country="",
            status="NOANSWER",
            duration=0,
        ),
    )


RANGE = {"from": "2023-11-15", "to": "2023-11-15"}


def _api(client: TestClient, name: str, **params: str) -> dict[str, Any]:
    answer = client.get(f"/api/reports/{name}", params={**RANGE, **params}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _drills(html: str) -> list[str]:
    return [
        unquote_plus(h).replace("&amp;", "&") for h in re.findall(r'href="(/calls\?[^"]+)"', html)
    ]


def _count(web: TestClient, link: str) -> list[str]:
    path, _, query = link.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    return sorted(_legs(web.get(path, params=params).text))


def test_the_list_shows_every_report_with_its_formula(
    app: FastAPI, settings: Settings, engine: Engine
) -> None:
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    html = web.get("/reports").text
    for report in app.state.reports.values():
        assert f'href="/reports/{report.name}"' in html
    assert "outgoing attempts by target_country (else from the number)" in html
    assert '<a href="/reports">Reports</a>' in html


def test_a_report_with_its_filters_and_the_previous_period(
    app: FastAPI, settings: Settings, engine: Engine, client: TestClient
) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    answer = web.get("/reports/queues", params=RANGE)
    assert answer.status_code == 200
    html = answer.text
    assert 'value="2023-11-15"' in html and 'hx-push-url="true"' in html
    tables = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)
    cells = [re.findall(r"<bdi>([^<]*)</bdi>", t) for t in tables if "<bdi>" in t]
    # this period: Sales 3 offered (1 answered, 2 abandoned), Support 1; the day before: Sales 1
    assert cells[0][:5] == ["1234567", "Sales Queue", "3", "1", "2"]
    assert cells[0][5:7] == ["0", "66.7 %"]  # no short abandon (20 s waits)
    assert cells[1][:5] == ["1234567", "Sales Queue", "1", "1", "0"]
    assert "2023-11-14 – 2023-11-14" in html
    assert 'href="/reports/queues.csv?from=2023-11-15&amp;to=2023-11-15"' in html
    bad = web.get("/reports/queues", params={"from": "yesterday"})
    assert bad.status_code == 422 and "`from`" in bad.text
    assert web.get("/reports/nothing").status_code == 404


def test_a_chart_block_and_the_heatmap(app: FastAPI, settings: Settings, engine: Engine) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    html = web.get("/reports/countries", params=RANGE).text
    block = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    assert block is not None
    assert block.group(1) == (
        '{"datasets": [{"data": [50.0, 100.0], "label": "Answer ratio %"}], '
        '"labels": ["United Kingdom", "Israel"], "type": "bar"}'
    )
    peak = web.get("/reports/peak-hours", params=RANGE).text
    # Wednesday (3) at 8: in-a, in-b, in-c; at 12: in-d
    assert re.findall(r'<td class="heat-(\d)"><a href="[^"]+">(\d+)</a>', peak) == [
        ("5", "3"),
        ("2", "1"),
    ]


def test_drill_down_lists_exactly_the_legs_behind_each_figure(
    app: FastAPI, settings: Settings, engine: Engine, client: TestClient
) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    checked = {}
    for name, figure in (("queues", "offered"), ("countries", "attempts")):
        rows = _api(client, name)["rows"]
        links = _drills(web.get(f"/reports/{name}", params=RANGE).text)
        # this period's first, then the previous one's (its own dates)
        assert all("2023-11-14" in link for link in links[len(rows) :])
        for row, link in zip(rows, links[: len(rows)], strict=True):
            checked[link] = _count(web, link)
            assert len(checked[link]) == row[figure], (name, row, link)
    assert checked["/calls?country=United Kingdom&contact=out&from=2023-11-15&to=2023-11-15"] == [
        "out-uk1",
        "out-uk2",
    ]
    assert checked[
        "/calls?queue_id=1234567&contact=in&direction=in&from=2023-11-15&to=2023-11-15"
    ] == [
        "in-a",
        "in-b",
        "in-d",
    ]
    agents = _api(client, "agents")["rows"]
    links = _drills(web.get("/reports/agents", params=RANGE).text)
    assert [r["incoming_offered"] for r in agents] == [2]
    assert _count(web, links[0]) == ["in-a", "in-c"]
    outgoing = _drills(web.get("/reports/agents", params={**RANGE, "sort": "outgoing"}).text)
    assert [r["outgoing_attempts"] for r in agents] == [3]
    assert _count(web, outgoing[0]) == ["out-il", "out-uk1", "out-uk2"]
    peak = [r for r in _api(client, "peak-hours")["rows"] if r["offered"]]
    links = _drills(web.get("/reports/peak-hours", params=RANGE).text)
    assert [len(_count(web, link)) for link in links[: len(peak)]] == [r["offered"] for r in peak]
    assert _count(web, links[0]) == ["in-a", "in-b", "in-c"]
    # the same filters on the API
    api = client.get(
        "/api/calls",
        params={**RANGE, "contact": "in", "weekday": "3", "hour": "8", "missed": "true"},
        headers=AUTH,
    )
    assert [c["ivruniqueid"] for c in api.json()["calls"]] == ["in-b"]
    assert client.get("/api/calls", params={"hour": "24"}, headers=AUTH).status_code == 422


def test_a_manager_sees_only_their_scope(app: FastAPI, settings: Settings, engine: Engine) -> None:
    _data(settings, engine)
    _user(engine, "support@example.com", "manager", queues=["Support Queue"])
    web = _signed_in(app, "support@example.com")
    for asked in ({}, {"queue": "Sales Queue"}):
        html = web.get("/reports/queues", params={**RANGE, **asked}).text
        assert "Support Queue" in html and "Sales Queue" not in html


def test_csv_and_xlsx_rows_equal_the_api_rows(
    app: FastAPI, settings: Settings, engine: Engine, client: TestClient
) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    for name in ("queues", "countries", "agents", "overview"):
        api_csv = client.get(
            f"/api/reports/{name}", params={**RANGE, "format": "csv"}, headers=AUTH
        )
        page_csv = web.get(f"/reports/{name}.csv", params=RANGE)
        assert page_csv.status_code == 200
        assert page_csv.content.startswith(b"\xef\xbb\xbf")
        assert page_csv.text == api_csv.text
    rows = _api(client, "countries")["rows"]
    xlsx = web.get("/reports/countries.xlsx", params=RANGE)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.active
    assert sheet is not None
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0] == ["country", "attempts", "answered", "answer_ratio", "acd_seconds", "cost"]
    assert got[1:] == [
        [r["country"], r["attempts"], r["answered"], r["answer_ratio"], r["acd_seconds"],
         r["cost_agorot"] / 100]
        for r in rows
    ]  # fmt: skip
    assert sheet["D2"].number_format == "0.0%"
    assert not sheet.sheet_view.rightToLeft
    # a user with no language chosen gets the browser's: Hebrew here
    hebrew = TestClient(app, cookies=web.cookies, headers={"Accept-Language": "he"})
    sheet_he = openpyxl.load_workbook(
        io.BytesIO(hebrew.get("/reports/countries.xlsx", params=RANGE).content)
    ).active
    assert sheet_he is not None and sheet_he.sheet_view.rightToLeft


def test_the_callbacks_page_filters_by_agent_and_refuses_a_type(
    app: FastAPI, settings: Settings, engine: Engine
) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    page = web.get("/reports/callbacks", params={"agent": "Walter Melon"})
    assert page.status_code == 200
    assert '<input name="agent" value="Walter Melon" dir="auto">' in page.text
    assert 'name="type"' not in page.text
    refused = web.get("/reports/callbacks", params={"type": "Queue"})
    assert refused.status_code == 422
    assert (
        "the callbacks report cannot be filtered by type "
        "(its filters: from, to, department, queue, agent)" in refused.text
    )


def test_queues_by_day_a_line_chart_table_and_drill_down(
    app: FastAPI, settings: Settings, engine: Engine, client: TestClient
) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    days = {"from": "2023-11-14", "to": "2023-11-16", "by": "day"}
    rows = _api(client, "queues", **days)["rows"]
    # the 14th: in-prev answered (20 s: within the target); the 15th: Sales 3 and Support 1
    assert [(r["day"], r["offered"], r["answered"], r["abandoned"]) for r in rows] == [
        ("2023-11-14", 1, 1, 0),
        ("2023-11-15", 4, 2, 2),
        ("2023-11-16", 0, 0, 0),
    ]
    assert [(r["service_level"], r["abandon_rate"]) for r in rows] == [
        (1.0, 0.0),
        (0.5, 0.5),
        (None, None),
    ]
    # a day's figures are the queues report's of that day alone
    alone = _api(client, "queues", **RANGE)["rows"]
    assert sum(q["offered"] for q in alone) == rows[1]["offered"]
    assert sum(q["abandoned"] for q in alone) / sum(q["offered"] for q in alone) == 0.5
    html = web.get("/reports/queues", params=days).text
    block = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    assert block is not None
    assert block.group(1) == (
        '{"datasets": [{"data": [100.0, 50.0, null], "label": "Service level %"}, '
        '{"data": [0.0, 50.0, null], "label": "Abandon rate %"}], '
        '"labels": ["2023-11-14", "2023-11-15", "2023-11-16"], "type": "line"}'
    )
    assert '<option value="day" selected>Day</option>' in html
    links = _drills(html)[: len(rows)]
    assert links[1] == "/calls?queued=true&contact=in&direction=in&from=2023-11-15&to=2023-11-15"
    assert _count(web, links[0]) == ["in-prev"]
    assert _count(web, links[1]) == ["in-a", "in-b", "in-c", "in-d"]
    assert _count(web, links[2]) == []
    one = _drills(web.get("/reports/queues", params={**days, "queue": "Support Queue"}).text)
    assert one[1] == (
        "/calls?queued=true&contact=in&direction=in&queue_id=Support Queue"
        "&from=2023-11-15&to=2023-11-15"
    )
    assert _count(web, one[1]) == ["in-c"]
    csv_page = web.get("/reports/queues.csv", params=days)
    api_csv = client.get("/api/reports/queues", params={**days, "format": "csv"}, headers=AUTH)
    assert csv_page.text == api_csv.text
    assert csv_page.text.splitlines()[2] == "2023-11-15,4,2,2,0,50.0 %,50.0 %,50.0 %,20.0"
    sheet = openpyxl.load_workbook(
        io.BytesIO(web.get("/reports/queues.xlsx", params=days).content)
    ).active
    assert sheet is not None
    assert [c.value for c in sheet[3]] == ["2023-11-15", 4, 2, 2, 0, 0.5, 0.5, 0.5, 20]
    schema = client.get("/openapi.json").json()
    by = next(
        p for p in schema["paths"]["/api/reports/queues"]["get"]["parameters"] if p["name"] == "by"
    )
    assert by["schema"]["anyOf"][0]["enum"] == ["queue", "day"]


# +1 is the code of the United States, Canada and others: a number counts under the one it is
# valid in; the Canadian and American legs alternate in time, so a page of one skips the other
NANP = (
    ("out-us1", WED_8 + 60, "+12025550123"),
    ("out-ca1", WED_8 + 120, "+14165550123"),
    ("out-us2", WED_8 + 180, "+12125551234"),
    ("out-ca2", WED_8 + 240, "+16135550188"),
    ("out-us3", WED_8 + 300, "+16502530000"),
    ("out-none", WED_8 + 360, "+11234567890"),  # area code 123: valid nowhere, so Unknown
)


def test_country_drill_down_of_a_shared_calling_code(
    app: FastAPI, settings: Settings, engine: Engine, client: TestClient
) -> None:
    store(
        settings,
        engine,
        *(leg(ivruniqueid=i, time=t, target=n, target_country="") for i, t, n in NANP),
    )
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    figures = {r["country"]: r["attempts"] for r in _api(client, "countries")["rows"]}
    assert figures == {"United States": 3, "Canada": 2, "Unknown": 1}
    links = dict(
        zip(figures, _drills(web.get("/reports/countries", params=RANGE).text), strict=False)
    )
    assert _count(web, links["United States"]) == ["out-us1", "out-us2", "out-us3"]
    assert _count(web, links["Canada"]) == ["out-ca1", "out-ca2"]
    assert _count(web, links["Unknown"]) == ["out-none"]
    # a page at a time, the keyset cursor carried past the other country's legs
    for country, expected in (
        ("United States", ["out-us3", "out-us2", "out-us1"]),
        ("Canada", ["out-ca2", "out-ca1"]),
    ):
        seen, cursor = [], None
        for _ in range(5):
            params = {**RANGE, "country": country, "contact": "out", "limit": "1"}
            page = client.get(
                "/api/calls",
                params={**params, **({"cursor": cursor} if cursor else {})},
                headers=AUTH,
            ).json()
            seen += [c["ivruniqueid"] for c in page["calls"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
        assert len(seen) == figures[country]


def _hebrew_labels(html: str) -> list[str]:
    """What a report page labels: its title, column headings, the overview's figure names and
    periods, filter names, choices and chart legends."""
    shown = re.findall(r"<h1>[^<]*<bdi>([^<]*)</bdi>", html)
    shown += re.findall(r'<th scope="col"><bdi>([^<]*)</bdi></th>', html)
    shown += re.findall(r"<label><bdi>([^<]*)</bdi>", html)
    shown += [o for o in re.findall(r'<option value="[^"]+"[^>]*>([^<]*)</option>', html)]
    block = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    if block:
        shown += [d["label"] for d in json.loads(block.group(1))["datasets"]]
    if "<td><bdi>" in html and "/reports/overview" in html:
        shown += re.findall(r"<tr><td><bdi>([^<]*)</bdi></td>", html)
    return shown


def test_hebrew_report_pages_show_no_english_label(
    app: FastAPI, settings: Settings, engine: Engine
) -> None:
    _data(settings, engine)
    _user(engine, "boss@example.com", "admin")
    web = _signed_in(app, "boss@example.com")
    hebrew = TestClient(app, cookies=web.cookies, headers={"Accept-Language": "he"})
    html = hebrew.get("/reports/queues", params=RANGE).text
    heads = re.findall(r'<th scope="col"><bdi>([^<]*)</bdi></th>', html)
    assert heads[:11] == [
        "מזהה תור", "שם תור", "נכנסו", "נענו", "נטשו", "נטישות קצרות", "שיעור נטישה",
        "שיעור נטישה ללא נטישות קצרות", "רמת שירות", "זמן מענה ממוצע (שנ׳)",
        "נענו בהמתנה של 0-10 שנ׳",
    ]  # fmt: skip
    assert "<h1>דוחות: <bdi>תורים</bdi></h1>" in html
    days = hebrew.get("/reports/queues", params={**RANGE, "by": "day"}).text
    assert re.findall(r'<th scope="col"><bdi>([^<]*)</bdi></th>', days)[:1] == ["יום"]
    block = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', days)
    assert block is not None
    legends = [d["label"] for d in json.loads(block.group(1))["datasets"]]
    assert legends == ["רמת שירות %", "שיעור נטישה %"]
    assert '<option value="day" selected>יום</option>' in days
    overview = hebrew.get("/reports/overview", params=RANGE).text
    assert re.findall(r"<tr><td><bdi>([^<]*)</bdi></td>", overview)[:3] == [
        "נכנסו",
        "נענו",
        "תא קולי",
    ]
    for report in app.state.reports.values():
        chosen = [{p: c} for p, values in report.choices.items() for c in values]
        for params in ({**RANGE}, *({**RANGE, **c} for c in chosen)):
            page = hebrew.get(f"/reports/{report.name}", params=params).text
            shown = _hebrew_labels(page)
            assert shown, report.name
            english = [s for s in shown if re.search("[A-Za-z]", s.replace("IVR", ""))]
            assert english == [], (report.name, english)
    listing = hebrew.get("/reports").text
    assert "<bdi>שיעור מענה לפי מדינה</bdi>" in listing
