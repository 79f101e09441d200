"""Where the domains are composed: the one module that names them all, for the faces (web/app.py,
the command line) and for whoever runs the CDR path. Nothing here registers anything on import;
add a domain by adding it to the functions below.

ingest/ and jobs/ import no domain: the pipeline's runners (the web app, the ingest writer
process, `cdrhub quarantine replay`, `cdrhub import`) get the hooks from here and hand them in,
and every Worker is handed the job handlers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cdrhub.automations import jobs as automations_jobs
from cdrhub.config import CORE_ENVIRONMENT, CORE_KEYS, ConfigError, Settings
from cdrhub.crm import jobs as crm_jobs
from cdrhub.ingest.pipeline import LegHook
from cdrhub.jobs.registry import Handlers

if TYPE_CHECKING:
    from cdrhub.analytics.reports import Report
    from cdrhub.settings_keys import Schema


def hooks(settings: Settings) -> list[LegHook]:
    """The hooks every ingest runs, in order: rollups, automations, CRM pushes. A function at
    module level, so that the ingest writer process can be handed it by reference."""
    from cdrhub.analytics.hook import rollup_hook
    from cdrhub.automations.hook import make_hook as automations_hook
    from cdrhub.crm.hook import make_crm_hook

    return [rollup_hook(settings), automations_hook(settings), make_crm_hook(settings)]


def job_handlers() -> Handlers:
    """Every domain's job handlers, for a Worker (a kind handled twice raises ValueError)."""
    return Handlers.combine(
        Handlers(automations_jobs.HANDLERS, on_dead=automations_jobs.ON_DEAD),
        Handlers(crm_jobs.HANDLERS),
    )


def reports() -> dict[str, Report]:
    """Every report by name, for `/api/reports` and `cdrhub report`: analytics' own, then the
    automations' `callbacks` report."""
    from cdrhub.analytics.reports import REPORTS
    from cdrhub.automations import report as callbacks

    combined = dict(REPORTS)
    spec = callbacks.spec()
    combined.setdefault(spec.name, spec)  # analytics' own report wins a clash of names
    return combined


def settings_keys() -> Schema:
    """Every key the settings file may hold: the core settings at the top level, each domain's
    sections, and `[worker]`."""
    from cdrhub.analytics.config import SETTINGS_KEYS as analytics
    from cdrhub.automations.config import SETTINGS_KEYS as automations
    from cdrhub.crm.settings import SETTINGS_KEYS as crm
    from cdrhub.jobs.worker import WorkerConfig
    from cdrhub.web.pages.tiles import SETTINGS_KEYS as dashboard

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
