"""`GET /api/reports/{name}`: every report as JSON, behind the API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from cdrhub.analytics.reports import REPORTS
from cdrhub.analytics.service import UnknownReport, run_report
from cdrhub.web.auth import require_api_key

router = APIRouter(prefix="/api/reports", tags=["reports"], dependencies=[Depends(require_api_key)])


@router.get("")
def list_reports() -> dict[str, Any]:
    return {
        "reports": [
            {"name": r.name, "formula": r.formula, "params": list(r.params)}
            for r in REPORTS.values()
        ]
    }


@router.get("/{name}")
async def get_report(name: str, request: Request) -> dict[str, Any]:
    params = dict(request.query_params)
    try:
        return await run_in_threadpool(
            run_report, request.app.state.engine, request.app.state.settings, name, params
        )
    except UnknownReport as exc:
        raise HTTPException(404, f"no report named {name!r}; see /api/reports") from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
