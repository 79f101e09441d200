"""`GET /api/reports/{name}`: every report as JSON, behind the API key."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from cdrhub.analytics.render import as_csv
from cdrhub.analytics.service import ReportError, UnknownReport, run_report
from cdrhub.auth import require_api_key
from cdrhub.httpapi import API_ERRORS, responses
from cdrhub.inputs import MAX_INT, InputError

router = APIRouter(
    prefix="/api/reports",
    tags=["reports"],
    dependencies=[Depends(require_api_key)],
    responses=API_ERRORS,
)


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


@router.get("", response_model=None, responses={200: {"model": ReportList}})
def list_reports(request: Request) -> dict[str, Any]:
    # the reports the app was composed with (`app.state.reports`, from cdrhub.domains.reports)
    return {
        "reports": [
            {"name": r.name, "formula": r.formula, "params": list(r.params)}
            for r in request.app.state.reports.values()
        ]
    }


LIST = "one value or several, comma-separated (at most 100)"


CSV_TYPE = "text/csv; charset=utf-8"
CSV_ANSWER = {
    "description": "with `format=csv`: the rows for people (shekels, percentages, nested "
    "figures as columns), after a UTF-8 byte order mark",
    "schema": {"type": "string"},
}


@router.get(
    "/{name}",
    response_model=None,
    responses={
        200: {"model": ReportAnswer, "content": {"text/csv": CSV_ANSWER}},
        **responses(404),
    },
)
async def get_report(
    name: str,
    request: Request,
    from_: str | None = Query(
        None, alias="from", description="local date (its start) or ISO datetime"
    ),
    to: str | None = Query(
        None, description="local date (inclusive: the whole day) or ISO datetime (exclusive)"
    ),
    department: str | None = Query(None, description=f"department id or name: {LIST}"),
    queue: str | None = Query(None, description=f"queue id or name: {LIST}"),
    agent: str | None = Query(None, description=f"agent code, extension or name: {LIST}"),
    type: str | None = Query(None, description=f"call type: {LIST}"),
    sort: str | None = Query(None, description="agents: incoming | outgoing"),
    by: str | None = Query(None, description="cost, callbacks: how rows are grouped"),
    min_calls: int | None = Query(None, ge=1, le=MAX_INT, description="repeat-callers"),
    within_hours: str | None = Query(None, description="callbacks: hours, comma-separated"),
    format: Literal["json", "csv"] = Query(
        "json",
        description="json: exact values (money in integer agorot, ratios 0..1); csv: the "
        "same rows for people (₪ 12.34, 56.7 %), UTF-8 with a byte order mark for Excel",
    ),
) -> dict[str, Any] | Response:
    # The declared parameters document and check; the report reads them by name.
    params = dict(request.query_params)
    try:
        answer = await run_in_threadpool(
            run_report,
            request.app.state.engine,
            request.app.state.settings,
            name,
            params,
            reports=request.app.state.reports,
        )
    except UnknownReport as exc:
        raise HTTPException(404, f"no report named {name!r}; see /api/reports") from exc
    except (InputError, ReportError) as exc:  # our own one-line messages, never Python's
        raise HTTPException(422, str(exc)) from exc
    if format == "csv":
        disposition = f'attachment; filename="{answer["report"]}.csv"'
        return Response(
            as_csv(answer), media_type=CSV_TYPE, headers={"Content-Disposition": disposition}
        )
    return answer
