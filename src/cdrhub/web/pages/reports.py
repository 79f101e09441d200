"""The Reports pages: every report of the registry (`/reports`), one report with its filters in
the URL (`/reports/<name>?from=...`), the previous period of the same length beside it, a chart,
drill-down links to the legs behind a figure (`/calls?...`), and its rows as CSV and XLSX.
A manager's or agent's scope becomes the report's queue/department filter; the URL can narrow
it, never widen it."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from cdrhub.analytics.render import (
    MONEY_SUFFIX,
    VERTICAL,
    as_csv,
    flat_rows,
    heading,
    is_ratio,
    people_rows,
    vertical,
)
from cdrhub.analytics.reports import FILTERS, Report
from cdrhub.analytics.service import ReportError, run_report
from cdrhub.inputs import InputError
from cdrhub.people.sessions import Session
from cdrhub.people.users import User
from cdrhub.timerange import parse_range
from cdrhub.web.drill import DIMENSIONS
from cdrhub.web.pages import guard
from cdrhub.web.pages import report_labels as labels
from cdrhub.web.pages.templating import HEADERS, page

router = APIRouter(include_in_schema=False)


def _report(request: Request, name: str) -> Report:
    report = request.app.state.reports.get(name)
    if report is None:
        raise HTTPException(404, "no such report")
    return report


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def scoped(user: User, report: Report, asked: Mapping[str, str]) -> dict[str, str]:
    """The report's parameters from the URL, within the user's scope: their queues and
    departments become the filters (a narrower choice of the URL's is kept)."""
    # every filter's name is kept: one the report cannot apply is refused by run_report
    params = {k: v for k, v in asked.items() if k in (*FILTERS, *report.params) and v}
    if user.role == "admin" or user.scope.everything:
        return params
    for key, allowed in (("queue", user.scope.queues), ("department", user.scope.departments)):
        if allowed is None or key not in report.filters:
            continue
        inside = [v for v in _split(params.get(key)) if v in allowed]
        params[key] = ",".join(inside or sorted(allowed))
    return params


def previous(params: Mapping[str, str], request: Request) -> dict[str, str] | None:
    """The same parameters over the period of the same length just before, or None."""
    span = parse_range(params.get("from"), params.get("to"), request.app.state.settings.tz)
    if span.start is None or span.end is None:
        return None
    days = span.whole_days
    if days is not None:
        first = date.fromisoformat(span.start.text)
        before = {"from": (first - timedelta(days=days)).isoformat()}
        before["to"] = (first - timedelta(days=1)).isoformat()
    else:
        length = span.end.utc - span.start.utc
        before = {
            "from": (span.start.utc - length).isoformat() + "+00:00",
            "to": span.start.utc.isoformat() + "+00:00",
        }
    return {**params, **before}


def _run(request: Request, report: Report, params: Mapping[str, str]) -> dict[str, Any]:
    return run_report(
        request.app.state.engine,
        request.app.state.settings,
        report.name,
        params,
        reports={report.name: report},
    )


# each dimension filter of a report by the Calls page's parameter applying it as reports do
CARRIED = {dim: name for name, dim in DIMENSIONS.items()}


def drill_link(report: str, row: Mapping[str, Any], params: Mapping[str, str]) -> str | None:
    """The Calls page listing the legs behind a row's main figure: the row's own values and
    every dimension filter of the report (a row's value is within the report's filter)."""
    span = {k: params[k] for k in ("from", "to") if params.get(k)}
    if report == "agents" and row.get("agent_code"):
        contact = "out" if params.get("sort") == "outgoing" else "in"
        found = {"agent_code": row["agent_code"], "contact": contact}
    elif report == "countries" and row.get("country"):
        found = {"country": row["country"], "contact": "out"}
    elif report == "peak-hours":
        found = {"contact": "in", "weekday": str(row["weekday"]), "hour": str(row["hour"])}
    elif report == "queues" and row.get("queue_id"):
        found = {"queue_id": str(row["queue_id"]), "contact": "in", "direction": "in"}
    elif report == "queues" and row.get("day"):
        # the day's contacts of every queue (of those the report's `queue` names, if any)
        found = {"queued": "true", "contact": "in", "direction": "in"}
        span = {"from": row["day"], "to": row["day"]}
    else:
        return None
    dims = {name: params[dim] for dim, name in CARRIED.items() if params.get(dim)}
    return "/calls?" + urlencode(
        {**found, **{k: v for k, v in dims.items() if k not in found}, **span}
    )


def _table(answer: Mapping[str, Any], params: Mapping[str, str], say: labels.Say) -> dict[str, Any]:
    """The rows as the page shows them: headings (and the overview's figure names) in the
    page's language, cells as the CSV has them, and each row's drill-down link."""
    rows = answer["rows"]
    if answer["report"] in VERTICAL:
        head, cells = vertical(rows)
        head = [labels.column(h, say) for h in head]
        lines = [[labels.column(c[0], say), *c[1:]] for c in cells]
        return {"head": head, "rows": [{"cells": c, "link": None} for c in lines]}
    head, cells = people_rows(rows)
    cells = [[labels.cell(h, v, say) for h, v in zip(head, c, strict=True)] for c in cells]
    links = [drill_link(answer["report"], r, params) for r in rows]
    return {
        "head": [labels.column(h, say) for h in head],
        "rows": [{"cells": c, "link": link} for c, link in zip(cells, links, strict=True)],
    }


# What each report draws: (label column, [figure columns]); ratios are drawn as percentages.
CHARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "agents": ("agent_code", ("incoming_answered", "outgoing_answered")),
    "countries": ("country", ("answer_ratio",)),
    "queues": ("queue_id", ("service_level", "abandon_rate")),
    "ivr": ("layer_id", ("reached",)),
    "repeat-callers": ("number", ("contacts",)),
    "callbacks": ("key", ("median_seconds_to_callback", "p90_seconds_to_callback")),
}


# Reports (and their `by`) drawn as lines over time rather than bars; every row is a point.
LINES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("queues", "day"): ("day", ("service_level", "abandon_rate")),
}
MAX_POINTS = 400


def chart(answer: Mapping[str, Any], say: labels.Say = str) -> dict[str, Any] | None:
    """Chart.js's `type` and `data` of an answer (None: nothing to draw)."""
    line = LINES.get((answer["report"], str(answer["filters"].get("by") or "")))
    spec = line or CHARTS.get(answer["report"])
    if spec is None or not answer["rows"]:
        return None
    label, figures = spec
    rows = answer["rows"][:MAX_POINTS] if line else answer["rows"][:30]
    named = {"agent_code": "agent_name", "queue_id": "queue_name", "layer_id": "layer_name"}
    points = [str(r.get(named.get(label, ""), None) or r.get(label, "")) for r in rows]
    sets = []
    for column in figures:
        ratio = is_ratio(column)
        values = [
            None if r.get(column) is None else round(r[column] * 100, 1) if ratio else r[column]
            for r in rows
        ]
        name = labels.column(heading(column), say)
        sets.append({"label": name + (" %" if ratio else ""), "data": values})
    return {"type": "line" if line else "bar", "labels": points, "datasets": sets}


def heatmap(answer: Mapping[str, Any], params: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """peak-hours as a weekday x hour grid: each cell's offered count, its shade 0..5 and link."""
    if answer["report"] != "peak-hours":
        return None
    rows = answer["rows"]
    top = max((r["offered"] for r in rows), default=0)
    grid = []
    for weekday in range(7):
        cells = [r for r in rows if r["weekday"] == weekday]
        grid.append(
            {
                "weekday": weekday,
                "cells": [
                    {
                        "hour": r["hour"],
                        "offered": r["offered"],
                        "shade": -(-5 * r["offered"] // top) if top else 0,
                        "link": drill_link("peak-hours", r, params),
                    }
                    for r in cells
                ],
            }
        )
    return grid


@router.get("/reports")
def reports_list(request: Request, session: Session = Depends(guard.signed_in)) -> Response:
    reports = list(request.app.state.reports.values())
    lang = guard.lang_of(request)
    say = labels.say_in(lang)
    return page(
        request,
        lang,
        "reports.html",
        user=session.user,
        csrf=session.csrf,
        reports=reports,
        titles={r.name: labels.title(r.name, say) for r in reports},
    )


def _answer(request: Request, session: Session, name: str) -> tuple[Report, dict[str, Any]]:
    report = _report(request, name)
    params = scoped(session.user, report, dict(request.query_params))
    try:
        return report, _run(request, report, params)
    except (InputError, ReportError) as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/reports/{name}.csv")
def report_csv(
    request: Request, name: str, session: Session = Depends(guard.signed_in)
) -> Response:
    _, answer = _answer(request, session, name)
    disposition = f'attachment; filename="{name}.csv"'
    headers = {**HEADERS, "Content-Disposition": disposition}
    return Response(as_csv(answer), media_type="text/csv; charset=utf-8", headers=headers)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def as_xlsx(answer: Mapping[str, Any], right_to_left: bool) -> bytes:
    """The rows of the answer as a sheet: numbers as numbers, money in shekels (₪ format),
    ratios with a % format, the formula in the first line."""
    import xlsxwriter  # type: ignore[import-untyped]  # no stubs; here: only a download needs it

    columns, rows = flat_rows(answer["rows"])
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(answer["report"][:31])
    if right_to_left:
        sheet.right_to_left()
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": '"₪" #,##0.00'})
    share = book.add_format({"num_format": "0.0%"})
    sheet.write_row(0, 0, [heading(c) for c in columns], bold)
    for y, row in enumerate(rows, start=1):
        for x, column in enumerate(columns):
            value = row.get(column)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                sheet.write_string(y, x, value if isinstance(value, str) else str(value))
            elif column.endswith(MONEY_SUFFIX):
                sheet.write_number(y, x, value / 100, money)
            elif is_ratio(column):
                sheet.write_number(y, x, value, share)
            else:
                sheet.write_number(y, x, value)
    book.close()
    return buffer.getvalue()


@router.get("/reports/{name}.xlsx")
def report_xlsx(
    request: Request, name: str, session: Session = Depends(guard.signed_in)
) -> Response:
    _, answer = _answer(request, session, name)
    body = as_xlsx(answer, guard.lang_of(request) == "he")
    disposition = f'attachment; filename="{name}.xlsx"'
    return Response(body, media_type=XLSX, headers={**HEADERS, "Content-Disposition": disposition})


@router.get("/reports/{name}")
def report_page(
    request: Request, name: str, session: Session = Depends(guard.signed_in)
) -> Response:
    report = _report(request, name)
    lang = guard.lang_of(request)
    params = scoped(session.user, report, dict(request.query_params))
    error = None
    answer = before = None
    try:
        answer = _run(request, report, params)
        earlier = previous(params, request)
        if earlier is not None and report.name != "overview":  # overview has its own
            before = _run(request, report, earlier)
    except (InputError, ReportError) as exc:
        error = str(exc)
    query = urlencode(params)
    say = labels.say_in(lang)
    return page(
        request,
        lang,
        "report.html",
        422 if error else 200,
        user=session.user,
        csrf=session.csrf,
        report=report,
        params=params,
        query=query,
        error=error,
        answer=answer,
        table=_table(answer, params, say) if answer else None,
        before=_table(before, earlier or {}, say) if before else None,
        before_filters=before["filters"] if before else None,
        chart=chart(answer, say) if answer else None,
        heatmap=heatmap(answer, params) if answer else None,
        choices=report.choices,
        title=labels.title(report.name, say),
        names={n: labels.column(n, say) for n in (*report.filters, *report.params)},
        choice_names={c: labels.choice(c, say) for cs in report.choices.values() for c in cs},
    )
