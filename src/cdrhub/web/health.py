"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cdrhub.web.auth import same_secret

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The database answers."""

    def ping() -> None:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await to_thread.run_sync(ping)
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "error": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ok"})


def _may_read_metrics(request: Request) -> bool:
    """Anyone, unless `metrics_token` is set: then `Authorization: Bearer <metrics_token>`."""
    token = request.app.state.settings.metrics_token
    if not token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and same_secret(given.strip(), token)


@router.get("/metrics")
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
