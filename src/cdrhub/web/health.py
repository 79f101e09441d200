"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import logging

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("cdrhub.web")
router = APIRouter(tags=["health"])


class Status(BaseModel):
    status: str


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_class=JSONResponse,
    responses={200: {"model": Status}, 503: {"model": Status, "description": "no database"}},
)
async def readyz(request: Request) -> JSONResponse:
    """The database answers."""

    def ping() -> None:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await to_thread.run_sync(ping)
    except SQLAlchemyError as exc:
        # the error's text (host names, statements) goes to the log, not to whoever asks
        log.error("readiness: the database does not answer: %s", exc)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
