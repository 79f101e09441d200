"""`GET /api/reports/{name}`: every report as JSON, behind the API key.

Each report has a route of its own, so that OpenAPI lists exactly the filters and parameters
it takes (`reports_router`, built from the reports the app is composed with).
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from cdrhub.analytics.render import as_csv
from cdrhub.analytics.reports import FILTERS, Report
from cdrhub.analytics.service import ReportError, run_report
from cdrhub.auth import require_api_key
from cdrhub.httpapi import API_ERRORS, responses
from cdrhub.inputs import MAX_INT, InputError


class ReportInfo(BaseModel):
    name: str
    formula: str
    params: list[str]


class ReportList(BaseModel):
    reports: list[ReportInfo]


class ReportAnswer(BaseModel):
    """Every report answers this envelope; the fields of `rows` are the report's own (see its
    formula and docs/analytics.md)."""

    report: str
    filters: dict[str, Any]
    settings: dict[str, Any]
    formula: str
    rows: list[dict[str, Any]]


def list_reports(request: Request) -> dict[str, Any]:
    # the reports the app was composed with (`app.state.reports`, from cdrhub.domains.reports)
    return {
        "reports": [
            {"name": r.name, "formula": r.formula, "params": list(r.params)}
            for r in request.app.state.reports.values()
        ]
    }


LIST = "one value or several, comma-separated (at most 100)"

# How each parameter is declared to OpenAPI and checked by FastAPI, by name; a report's
# parameter missing here is declared as optional text.
PARAMETERS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "from": (str | None, "local date (its start) or ISO datetime", {}),
    "to": (str | None, "local date (inclusive: the whole day) or ISO datetime (exclusive)", {}),
    "department": (str | None, f"department id or name: {LIST}", {}),
    "queue": (str | None, f"queue id or name: {LIST}", {}),
    "agent": (str | None, f"agent code, extension or name: {LIST}", {}),
    "type": (str | None, f"call type: {LIST}", {}),
    "sort": (str | None, "which answered calls order the rows (default: the first)", {}),
    "by": (str | None, "how rows are grouped (default: the first)", {}),
    "min_calls": (
        int | None,
        "incoming contacts on one local day (default 2)",
        {"ge": 1, "le": MAX_INT},
    ),
    "within_hours": (str | None, "hours, comma-separated (default 2,24)", {}),
}


def _python_name(name: str) -> str:
    plain = name.replace("-", "_")
    return f"{plain}_" if keyword.iskeyword(plain) or not plain.isidentifier() else plain


def _query(report: Report, name: str) -> inspect.Parameter:
    annotation, description, bounds = PARAMETERS.get(name, (str | None, name, {}))
    choices = report.choices.get(name)
    if choices:
        annotation = Literal[choices] | None
    query = Query(None, alias=name, description=description, **bounds)
    return inspect.Parameter(
        _python_name(name), inspect.Parameter.KEYWORD_ONLY, default=query, annotation=annotation
    )


CSV_TYPE = "text/csv; charset=utf-8"
CSV_ANSWER = {
    "description": "with `format=csv`: the rows for people (shekels, percentages, nested "
    "figures as columns), after a UTF-8 byte order mark",
    "schema": {"type": "string"},
}
FORMAT = inspect.Parameter(
    "format",
    inspect.Parameter.KEYWORD_ONLY,
    default=Query(
        "json",
        description="json: exact values (money in integer agorot, ratios 0..1); csv: the "
        "same rows for people (₪ 12.34, 56.7 %), UTF-8 with a byte order mark for Excel",
    ),
    annotation=Literal["json", "csv"],
)


def _endpoint(report: Report) -> Callable[..., Awaitable[dict[str, Any] | Response]]:
    """The route of one report: its filters and parameters, each a declared query parameter,
    and `format` (json or csv)."""
    names = (*report.filters, *report.params)

    async def endpoint(
        request: Request, format: str = "json", **_declared: Any
    ) -> dict[str, Any] | Response:
        # The declared parameters document and check; the report reads them by name. A filter
        # of another report goes along too, so that run_report refuses it instead of ignoring.
        params = {k: v for k, v in request.query_params.items() if k in names or k in FILTERS}
        try:
            answer = await run_in_threadpool(
                run_report,
                request.app.state.engine,
                request.app.state.settings,
                report.name,
                params,
                reports={report.name: report},
            )
        except (InputError, ReportError) as exc:  # our own one-line messages, never Python's
            raise HTTPException(422, str(exc)) from exc
        if format == "csv":
            disposition = f'attachment; filename="{report.name}.csv"'
            return Response(
                as_csv(answer), media_type=CSV_TYPE, headers={"Content-Disposition": disposition}
            )
        return answer

    request = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
    )
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [request, *(_query(report, name) for name in names), FORMAT]
    )
    endpoint.__name__ = f"report_{_python_name(report.name)}"
    return endpoint


def unknown_report(name: str) -> None:
    raise HTTPException(404, f"no report named {name!r}; see /api/reports")


def reports_router(reports: Mapping[str, Report]) -> APIRouter:
    """`/api/reports` and a route per report (`GET /api/reports/{its name}`)."""
    router = APIRouter(
        prefix="/api/reports",
        tags=["reports"],
        dependencies=[Depends(require_api_key)],
        responses=API_ERRORS,
    )
    router.add_api_route(
        "", list_reports, response_model=None, responses={200: {"model": ReportList}}
    )
    for report in reports.values():
        router.add_api_route(
            f"/{report.name}",
            _endpoint(report),
            methods=["GET"],
            response_model=None,
            responses={200: {"model": ReportAnswer, "content": {"text/csv": CSV_ANSWER}}},
            summary=f"The {report.name} report",
            description=report.formula,
            operation_id=f"report_{_python_name(report.name)}",
        )
    router.add_api_route(
        "/{name}", unknown_report, include_in_schema=False, responses=responses(404)
    )
    return router
