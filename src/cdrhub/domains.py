"""Where the domains are composed: the one module that names them all, for the faces (web/app.py,
the command line) and for whoever runs the CDR path. Nothing here registers anything on import;
add a domain by adding it to the functions below.

ingest/ and jobs/ import no domain: the pipeline's runners (the web app, the ingest writer
process, `cdrhub quarantine replay`, `cdrhub import`) get the hooks from here and hand them in,
and every Worker is handed the job handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdrhub.automations import jobs as automations_jobs
from cdrhub.config import Settings
from cdrhub.crm import jobs as crm_jobs
from cdrhub.ingest.pipeline import LegHook
from cdrhub.jobs.registry import Handlers

if TYPE_CHECKING:
    from cdrhub.analytics.reports import Report


def hooks(settings: Settings) -> list[LegHook]:
    """The hooks every ingest runs, in order: rollups, automations, CRM pushes. A function at
    module level, so that the ingest writer process can be handed it by reference."""
    from cdrhub.analytics.hook import rollup_hook
    from cdrhub.automations.hook import make_hook as automations_hook
    from cdrhub.crm.hook import make_crm_hook

    return [rollup_hook(settings), automations_hook(settings), make_crm_hook(settings)]


def local_hooks(settings: Settings) -> list[LegHook]:
    """The hooks whose effects stay in the database, for generated traffic (`cdrhub demo`):
    rollups and callback items; no rule runs and no CRM hook, so nothing is enqueued to go out
    whatever the settings say."""
    from cdrhub.analytics.hook import rollup_hook
    from cdrhub.automations.hook import make_hook as automations_hook

    return [rollup_hook(settings), automations_hook(settings, rules=False)]


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
