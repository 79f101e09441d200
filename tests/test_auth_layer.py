"""auth.py and httpapi.py stand below the domains: the domains' HTTP routes import them, and
neither the routes nor these two modules bring the web app or the command line with them.
Checked in a fresh interpreter, where nothing else has been imported yet."""

from __future__ import annotations

import subprocess
import sys


def _loaded_by(*modules: str) -> list[str]:
    code = (
        f"import sys, {', '.join(modules)}; "
        "print(sorted(m for m in sys.modules if m == 'cdrhub' or m.startswith('cdrhub.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a list literal printed by the child
    assert set(modules) <= set(loaded)
    return loaded


def _within(loaded: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in loaded if m in packages or m.startswith(tuple(p + "." for p in packages))]


def test_the_domains_routes_load_no_web_module() -> None:
    loaded = _loaded_by(
        "cdrhub.analytics.api", "cdrhub.automations.api", "cdrhub.crm.api", "cdrhub.crm.widget"
    )
    assert _within(loaded, ("cdrhub.web",)) == []
    assert {"cdrhub.auth", "cdrhub.httpapi"} <= set(loaded)


def test_auth_and_httpapi_load_no_app_cli_or_domain() -> None:
    loaded = _loaded_by("cdrhub.auth", "cdrhub.httpapi")
    above = (
        "cdrhub.web",
        "cdrhub.cli",
        "cdrhub.analytics",
        "cdrhub.automations",
        "cdrhub.crm",
        "cdrhub.ingest",
        "cdrhub.jobs",
        "cdrhub.domains",
        "cdrhub.commands",
    )
    assert _within(loaded, above) == []
