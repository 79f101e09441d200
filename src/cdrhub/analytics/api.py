"""`GET /api/reports/{name}`: every report as JSON, behind the API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from cdrhub.analytics.service import UnknownReport, run_report
from cdrhub.auth import require_api_key
from cdrhub.httpapi import API_ERRORS, responses
from cdrhub.inputs import MAX_INT

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


@router.get(
    "/{name}", response_model=None, responses={200: {"model": ReportAnswer}, **responses(404)}
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
) -> dict[str, Any]:
    # The declared parameters document and check; the report reads them by name.
    params = dict(request.query_params)
    try:
        return await run_in_threadpool(
            run_report,
            request.app.state.engine,
            request.app.state.settings,
            name,
            params,
            reports=request.app.state.reports,
        )
    except UnknownReport as exc:
        raise HTTPException(404, f"no report named {name!r}; see /api/reports") from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
