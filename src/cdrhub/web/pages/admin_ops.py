"""Admin: outbox jobs (dead letters retried), quarantined deliveries (viewed, replayed), and the
rules and channels as configured, secrets masked, with `rules check`'s verdict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cdrhub.jobs import outbox
from cdrhub.people import audit
from cdrhub.people.sessions import Session
from cdrhub.redact import redact_settings
from cdrhub.store import quarantine
from cdrhub.store.engine import write_transaction
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import local_time, page, redirect

router = APIRouter(include_in_schema=False)
ADMIN = guard.role("admin")
MAX_SHOWN_BODY = 20_000


def _page(request: Request, session: Session, name: str, **context: Any) -> Response:
    return page(
        request,
        guard.lang_of(request),
        name,
        user=session.user,
        csrf=session.csrf,
        tz=request.app.state.settings.tz,
        local_time=local_time,
        **context,
    )


@router.get("/admin/jobs")
def jobs_page(
    request: Request, status: str = "dead", session: Session = Depends(ADMIN)
) -> Response:
    status = status if status in ("pending", "running", "done", "dead", "skipped") else "dead"
    with request.app.state.engine.connect() as conn:
        counts = outbox.count_jobs(conn)
        jobs = outbox.list_jobs(conn, status=status, limit=200)
    return _page(request, session, "admin_jobs.html", counts=counts, jobs=jobs, status=status)


@router.post("/admin/jobs/{job_id}/retry")
def retry_job(
    request: Request,
    job_id: int,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    guard.check_form(request, fields, session)
    with write_transaction(request.app.state.engine) as conn:
        if outbox.retry_job(conn, job_id):
            audit.record(
                conn, session.user.email, "job.retry", f"job:{job_id}", user_id=session.user.id
            )
    return redirect("/admin/jobs")


@router.post("/admin/jobs/retry-dead")
def retry_dead(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    guard.check_form(request, fields, session)
    with write_transaction(request.app.state.engine) as conn:
        count = outbox.retry_dead(conn)
        audit.record(
            conn,
            session.user.email,
            "job.retry-dead",
            None,
            user_id=session.user.id,
            detail={"count": count},
        )
    return redirect("/admin/jobs")


@router.get("/admin/quarantine")
def quarantine_page(
    request: Request, show: int | None = None, session: Session = Depends(ADMIN)
) -> Response:
    with request.app.state.engine.connect() as conn:
        rows, _more = quarantine.page(conn, limit=200, include_replayed=True)
        shown = quarantine.get(conn, show) if show is not None else None
    body = None
    if shown is not None:
        body = shown["body"][:MAX_SHOWN_BODY].decode("utf-8", errors="replace")
    return _page(request, session, "admin_quarantine.html", rows=rows, shown=shown, body=body)


@router.post("/admin/quarantine/replay")
def replay(
    request: Request,
    fields: dict[str, str] = Depends(guard.form),
    session: Session = Depends(ADMIN),
) -> Response:
    from cdrhub.ingest.replay import replay as replay_all

    guard.check_form(request, fields, session)
    engine = request.app.state.engine
    results = replay_all(engine, request.app.state.settings, request.app.state.hooks)
    with write_transaction(engine) as conn:
        audit.record(
            conn,
            session.user.email,
            "quarantine.replay",
            None,
            user_id=session.user.id,
            detail={"replayed": len(results), "failing": sum(1 for r in results if r.error)},
        )
    return redirect("/admin/quarantine")


def _config_path() -> Path | None:
    value = os.environ.get("CDRHUB_CONFIG")
    return Path(value) if value else None


@router.get("/admin/rules")
def rules_page(request: Request, session: Session = Depends(ADMIN)) -> Response:
    from cdrhub.automations.config import check_file

    settings = request.app.state.settings
    path = _config_path()
    problems: list[str] = []
    config = None
    if path is not None:
        config, problems = check_file(path)
    channels = {
        name: redact_settings(value)
        for name, value in (settings.section("channels") or {}).items()
        if isinstance(value, dict)
    }
    return _page(
        request,
        session,
        "admin_rules.html",
        path=str(path) if path else None,
        problems=problems,
        config=config,
        channels=channels,
    )
