"""`cdrhub` without the domains' ingest hooks (rollups, automations, CRM): the launcher of
`run.py --core-only`, to tell the cost of storing a leg from the cost of what the domains do
with it. Diagnostic only.

    python bench/ingest/core_only.py serve --port 8000

The hooks are removed before cdrhub is imported, in the server and in the ingest writer
process too: multiprocessing's spawn imports this file again in the writer (as `__mp_main__`),
so the patch below runs there before the writer builds its hooks.
"""

import cdrhub.domains


def no_hooks(settings: object) -> list:
    """At module level: the app hands it to the writer process by reference."""
    return []


cdrhub.domains.hooks = no_hooks

if __name__ == "__main__":
    from cdrhub.cli import app

    app()
