"""Where the domains are composed: the one module that names them all. Each domain hands over one
`Domain`: its ingest hook, its job handlers, its reports and its HTTP routers; `DOMAINS` lists
them in the order they run. The faces and the runners are built from it: web/app.py mounts every
domain's routers, the ingest runners get `hooks(settings)`, every Worker gets `job_handlers()`,
`/api/reports` and `cdrhub report` get `reports()`. Nothing registers itself on import; add a
domain by adding its `Domain` to `DOMAINS`.

ingest/ and jobs/ import no domain: the pipeline's runners (the web app, the ingest writer
process, `cdrhub quarantine replay`, `cdrhub import`) get the hooks from here and hand them in.
The command line is a face of its own (cdrhub.commands, one module per domain, put together in
cli.py): this module imports no cdrhub.web, cdrhub.commands or cdrhub.cli module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdrhub.analytics.hook import rollup_hook
from cdrhub.automations import jobs as automations_jobs
from cdrhub.automations.hook import make_hook as automations_hook
from cdrhub.config import Settings
from cdrhub.crm import jobs as crm_jobs
from cdrhub.crm.hook import make_crm_hook
from cdrhub.ingest.pipeline import LegHook
from cdrhub.jobs.registry import Handlers

if TYPE_CHECKING:
    from fastapi import APIRouter

    from cdrhub.analytics.reports import Report


@dataclass(frozen=True)
class Domain:
    """What one domain contributes. `reports` and `routers` import what they return when called,
    so that the ingest writer process, which imports this module for its hooks, loads neither
    the reports nor the HTTP routes."""

    name: str
    hook: Callable[[Settings], LegHook] | None  # builds the domain's ingest hook
    handlers: Handlers | None  # the outbox job kinds it runs
    reports: Callable[[], dict[str, Report]] | None  # its reports by name
    routers: Callable[[], list[APIRouter]]  # its HTTP routes, mounted on the app


def _analytics_routers() -> list[APIRouter]:
    from cdrhub.analytics.api import router

    return [router]


def _automations_routers() -> list[APIRouter]:
    from cdrhub.automations.api import ROUTERS

    return list(ROUTERS)


def _crm_routers() -> list[APIRouter]:
    from cdrhub.crm import api, widget

    return [api.router, widget.router]


def _analytics_reports() -> dict[str, Report]:
    from cdrhub.analytics.reports import REPORTS

    return dict(REPORTS)


def _callbacks_reports() -> dict[str, Report]:
    from cdrhub.automations import report

    spec = report.spec()
    return {spec.name: spec}


ANALYTICS = Domain(
    name="analytics",
    hook=rollup_hook,
    handlers=None,
    reports=_analytics_reports,
    routers=_analytics_routers,
)
AUTOMATIONS = Domain(
    name="automations",
    hook=automations_hook,
    handlers=Handlers(automations_jobs.HANDLERS, on_dead=automations_jobs.ON_DEAD),
    reports=_callbacks_reports,
    routers=_automations_routers,
)
CRM = Domain(
    name="crm",
    hook=make_crm_hook,
    handlers=Handlers(crm_jobs.HANDLERS),
    reports=None,
    routers=_crm_routers,
)

# The order the hooks run in (rollups, automations, CRM pushes) and reports are listed in.
DOMAINS: tuple[Domain, ...] = (ANALYTICS, AUTOMATIONS, CRM)


def hooks(settings: Settings) -> list[LegHook]:
    """The hooks every ingest runs, in the order of DOMAINS. A function at module level, so that
    the ingest writer process can be handed it by reference."""
    return [d.hook(settings) for d in DOMAINS if d.hook is not None]


def job_handlers() -> Handlers:
    """Every domain's job handlers, for a Worker (a kind handled twice raises ValueError)."""
    return Handlers.combine(*(d.handlers for d in DOMAINS if d.handlers is not None))


def reports() -> dict[str, Report]:
    """Every report by name, for `/api/reports` and `cdrhub report`, in the order of DOMAINS
    (analytics' own, then the automations' `callbacks` report); on a clash of names the earlier
    domain's report wins."""
    combined: dict[str, Report] = {}
    for d in DOMAINS:
        for name, report in (d.reports() if d.reports is not None else {}).items():
            combined.setdefault(name, report)
    return combined
