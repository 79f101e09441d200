"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from cdrhub.auth import same_secret
from cdrhub.ingest.writer import IngestWriter, StorageUnavailable
from cdrhub.store.heartbeat import disk_problem

log = logging.getLogger("cdrhub.health")
router = APIRouter(tags=["health"])


class Status(BaseModel):
    status: str
    reason: str | None = None


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_class=JSONResponse,
    responses={
        200: {"model": Status},
        503: {"model": Status, "description": "CDRs cannot be stored now"},
    },
)
async def readyz(request: Request) -> JSONResponse:
    """CDRs can be stored now: within `ready_timeout_seconds` the ingest writer (the process
    itself, when it is one) has committed a heartbeat row, and a SQLite database's disk has room.
    Otherwise 503 with one line of reason (the details go to the log)."""
    writer: IngestWriter = request.app.state.ingest_writer
    seconds = request.app.state.settings.ready_timeout_seconds
    try:
        free = await asyncio.wait_for(writer.check(), seconds)
        reason = disk_problem(free)
    except TimeoutError:
        reason = f"the ingest writer did not commit a heartbeat within {seconds:g} s"
    except StorageUnavailable as exc:
        # the error's text (host names, statements) goes to the log, not to whoever asks
        log.error("readiness: the heartbeat failed: %s", exc)
        reason = "the database did not take a write"
    if reason is not None:
        log.warning("not ready: %s", reason)
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok"})


def _may_read_metrics(request: Request) -> bool:
    """Anyone, unless `metrics_token` is set: then `Authorization: Bearer <metrics_token>`."""
    token = request.app.state.settings.metrics_token
    if not token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and same_secret(given.strip(), token)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        401: {
            "description": "metrics_token is set and was not given",
            "content": {"text/plain": {}},
        },
    },
)
def metrics(request: Request) -> Response:
    if not _may_read_metrics(request):
        return PlainTextResponse(
            "missing or wrong metrics token\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
