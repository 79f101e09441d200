"""The domains, listed once for the faces (web/app.py, the command line) to compose: for now
the job handlers each domain hands to the worker. Nothing here registers anything on import;
add a domain by adding it to the lists below."""

from __future__ import annotations

from cdrhub.automations import jobs as automations_jobs
from cdrhub.crm import jobs as crm_jobs
from cdrhub.jobs.registry import Handlers


def job_handlers() -> Handlers:
    """Every domain's job handlers, for a Worker (a kind handled twice raises ValueError)."""
    return Handlers.combine(
        Handlers(automations_jobs.HANDLERS, on_dead=automations_jobs.ON_DEAD),
        Handlers(crm_jobs.HANDLERS),
    )
