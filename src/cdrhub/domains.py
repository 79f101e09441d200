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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdrhub.analytics.hook import rollup_hook
from cdrhub.automations import jobs as automations_jobs
from cdrhub.automations.hook import make_hook as automations_hook
from cdrhub.config import CORE_ENVIRONMENT, CORE_KEYS, ConfigError, Settings
from cdrhub.crm import jobs as crm_jobs
from cdrhub.crm.hook import make_crm_hook
from cdrhub.ingest.pipeline import LegHook
from cdrhub.jobs.registry import Handlers

if TYPE_CHECKING:
    from fastapi import APIRouter

    from cdrhub.analytics.reports import Report
    from cdrhub.settings_keys import Schema


@dataclass(frozen=True)
class Domain:
    """What one domain contributes. `reports` and `routers` import what they return when called,
    so that the ingest writer process, which imports this module for its hooks, loads neither
    the reports nor the HTTP routes."""

    name: str
    hook: Callable[[Settings], LegHook] | None  # builds the domain's ingest hook
    handlers: Handlers | None  # the outbox job kinds it runs
    reports: Callable[[], dict[str, Report]] | None  # its reports by name
    # its HTTP routes, mounted on the app, given every domain's reports (the report routes)
    routers: Callable[[Mapping[str, Report]], list[APIRouter]]


def _analytics_routers(reports: Mapping[str, Report]) -> list[APIRouter]:
    from cdrhub.analytics.api import reports_router

    return [reports_router(reports)]


def _automations_routers(reports: Mapping[str, Report]) -> list[APIRouter]:
    from cdrhub.automations.api import ROUTERS

    return list(ROUTERS)


def _crm_routers(reports: Mapping[str, Report]) -> list[APIRouter]:
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


def local_hooks(settings: Settings) -> list[LegHook]:
    """The hooks whose effects stay in the database, for generated traffic (`cdrhub demo`):
    rollups and callback items; no rule runs and no CRM hook, so nothing is enqueued to go out
    whatever the settings say."""
    return [rollup_hook(settings), automations_hook(settings, rules=False)]


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


def settings_keys() -> Schema:
    """Every key the settings file may hold: the core settings at the top level, each domain's
    sections, and `[worker]`."""
    from cdrhub.analytics.config import SETTINGS_KEYS as analytics
    from cdrhub.automations.config import SETTINGS_KEYS as automations
    from cdrhub.crm.settings import SETTINGS_KEYS as crm
    from cdrhub.jobs.worker import WorkerConfig
    from cdrhub.thresholds import SETTINGS_KEYS as dashboard

    worker: Schema = {name: None for name in WorkerConfig.__dataclass_fields__}
    return {**CORE_KEYS, **analytics, **automations, **crm, **dashboard, "worker": worker}


def environment_names() -> frozenset[str]:
    """Every `CDRHUB_*` variable cdrhub reads."""
    from cdrhub.crm.settings import ENVIRONMENT as crm

    return CORE_ENVIRONMENT | crm


def settings_problems(settings: Settings) -> list[str]:
    """Every problem of the settings, one line each: unknown keys of the file (`file:line`,
    with the nearest known key) and its rules and channels (`cdrhub rules check`); when those
    are clean, the values each domain reads (CRM, analytics, worker)."""
    from cdrhub.analytics.config import analytics_settings
    from cdrhub.automations.config import check_text
    from cdrhub.crm.settings import load_crm_settings
    from cdrhub.jobs.worker import WorkerConfig
    from cdrhub.settings_keys import check_keys

    problems: list[str] = []
    name = settings.file_path
    if name:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            return [f"{name}: cannot read: {exc.strerror or exc}"]
        problems = check_keys(text, settings.file, settings_keys(), filename=name)
        problems += [p for p in check_text(text, filename=name)[1] if p not in problems]
    if problems:
        return problems
    try:
        load_crm_settings(settings)
        analytics_settings(settings)
    except ConfigError as exc:
        problems.append(f"configuration error: {exc}")
    try:
        WorkerConfig.from_section(settings.section("worker"))
    except (TypeError, ValueError) as exc:
        problems.append(f"configuration error: [worker]: {exc}")
    return problems
