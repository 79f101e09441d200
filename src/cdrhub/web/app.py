"""The app factory: one FastAPI app per Settings, everything it needs set up eagerly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cdrhub import __version__
from cdrhub.analytics.api import router as reports_router
from cdrhub.automations.api import ROUTERS as automation_routers
from cdrhub.automations.worker import Worker
from cdrhub.config import Settings
from cdrhub.crm import api as crm_api
from cdrhub.crm import widget as crm_widget
from cdrhub.pipeline import build_hooks
from cdrhub.store.engine import make_engine
from cdrhub.store.migrate import upgrade
from cdrhub.store.state import get_or_create_secret
from cdrhub.web import api_calls, errors, health, ingest
from cdrhub.web.ingest_writer import ProcessWriter, make_writer
from cdrhub.web.metrics import Metrics


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Background services (the outbox worker) start here, so that tests that build an app
        # without entering its lifespan run none.
        worker = None
        if settings.run_worker:
            worker = Worker(engine, settings)
            worker.start()
        if isinstance(app.state.ingest_writer, ProcessWriter):
            app.state.ingest_writer.start()  # else the first CDR waits for it to start
        yield
        if worker is not None:
            worker.stop()
        app.state.ingest_writer.close()
        engine.dispose()

    app = FastAPI(
        title="cdrhub",
        version=__version__,
        description="Receives, keeps and puts to use Voicenter call detail records.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.ingest_token = settings.ingest_token or get_or_create_secret(engine, "ingest_token")
    app.state.api_key = settings.api_key or get_or_create_secret(engine, "api_key")
    app.state.hooks = build_hooks(settings)
    app.state.ingest_writer = make_writer(settings, engine, app.state.hooks)
    app.state.metrics = Metrics.create()
    errors.install(app)

    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(api_calls.router)
    app.include_router(reports_router)
    for router in automation_routers:
        app.include_router(router)
    app.include_router(crm_api.router)
    app.include_router(crm_widget.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of `cdrhub serve --workers N`: settings from the environment, as `serve` read
    them; the schema is migrated already."""
    from cdrhub import longlived
    from cdrhub.config import load_settings

    application = create_app(load_settings(), migrate=False)
    longlived.settle()
    return application
