"""The domains know no command line and no app: importing every module of analytics,
automations and crm in a fresh interpreter loads no cdrhub.cli, cdrhub.commands, cdrhub.web,
cdrhub.domains or typer. (Their HTTP routes, `api` and `widget`, are faces of their own and
import cdrhub.web: they are left out here.)"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import cdrhub.analytics
import cdrhub.automations
import cdrhub.crm

FACES = ("cdrhub.cli", "cdrhub.commands", "cdrhub.web", "cdrhub.domains", "typer")
ROUTES = ("api", "widget")


def _domain_modules() -> list[str]:
    names = []
    for package in (cdrhub.analytics, cdrhub.automations, cdrhub.crm):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.rsplit(".", 1)[1] not in ROUTES:
                names.append(info.name)
    return names


def _loaded_after(modules: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)


def _faces(loaded: list[str]) -> list[str]:
    return [m for m in loaded if m in FACES or m.startswith(tuple(f + "." for f in FACES))]


def test_the_named_domain_modules_load_no_face() -> None:
    loaded = _loaded_after(
        ["cdrhub.analytics.service", "cdrhub.automations.rules", "cdrhub.crm.contacts"]
    )
    assert "cdrhub.analytics.service" in loaded
    assert _faces(loaded) == []


def test_every_domain_module_loads_no_face() -> None:
    modules = _domain_modules()
    # the ones this change touched are among them
    for touched in (
        "cdrhub.analytics.importer",
        "cdrhub.analytics.service",
        "cdrhub.automations.config",
        "cdrhub.automations.report",
        "cdrhub.automations.hook",
        "cdrhub.crm.recordings.archive",
    ):
        assert touched in modules
    loaded = _loaded_after(modules)
    assert set(modules) <= set(loaded)
    assert _faces(loaded) == []


def test_the_callbacks_report_is_composed_not_registered() -> None:
    """Importing the automations' report adds nothing to analytics' reports;
    cdrhub.domains.reports() is where both meet."""
    code = (
        "import json\n"
        "import cdrhub.automations.report, cdrhub.automations.hook\n"
        "from cdrhub.analytics.reports import REPORTS\n"
        "from cdrhub import domains\n"
        "print(json.dumps([list(REPORTS), list(domains.reports())]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    own, composed = json.loads(out.stdout)
    names = ["agents", "countries", "peak-hours", "queues", "ivr", "overview", "repeat-callers"]
    assert own == [*names, "cost"]
    assert composed == [*names, "cost", "callbacks"]
