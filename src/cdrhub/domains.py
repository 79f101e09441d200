"""Where the domains are composed: the one module that names them all for the CDR path.

ingest/ imports no domain; whoever runs the pipeline (the web app, the ingest writer process,
`cdrhub quarantine replay`, `cdrhub import`) gets the hooks from here and hands them in.
"""

from __future__ import annotations

from cdrhub.config import Settings
from cdrhub.ingest.pipeline import LegHook


def hooks(settings: Settings) -> list[LegHook]:
    """The hooks every ingest runs, in order: rollups, automations, CRM pushes. A function at
    module level, so that the ingest writer process can be handed it by reference."""
    from cdrhub.analytics.hook import rollup_hook
    from cdrhub.automations.hook import make_hook as automations_hook
    from cdrhub.crm.hook import make_crm_hook

    return [rollup_hook(settings), automations_hook(settings), make_crm_hook(settings)]
