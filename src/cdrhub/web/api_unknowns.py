"""The names behind /metrics' unknown counters (bearer API key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from cdrhub.auth import require_api_key
from cdrhub.httpapi import API_ERRORS
from cdrhub.store.unknowns import unknown_names

router = APIRouter(
    prefix="/api", tags=["calls"], dependencies=[Depends(require_api_key)], responses=API_ERRORS
)


@router.get("/unknowns")
def list_unknowns(
    request: Request, limit: int = Query(100, ge=1, le=1000)
) -> dict[str, list[dict[str, Any]]]:
    """Call types, statuses and field names that CDRs carried and cdrhub does not know, each
    with how many legs carry it and when such a leg was first and last received; at most
    `limit` of each kind, those on the most legs first."""
    with request.app.state.engine.connect() as conn:
        return unknown_names(conn, limit)
