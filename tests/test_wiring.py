"""The wiring: cdrhub.domains is the one list of the domains, and the two faces are built from
it and from cdrhub.commands by loops, not by hand. Every router a domain defines is mounted on the
app, after the web app's own; every command module is attached to `cdrhub`; domains.py imports
no face; no module is named in a string."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from typer.main import get_command

import cdrhub.analytics
import cdrhub.automations
import cdrhub.commands
import cdrhub.crm
from cdrhub import cli, domains
from cdrhub.web import api_calls, api_unknowns, health, ingest

SRC = Path(__file__).resolve().parents[1] / "src" / "cdrhub"
FACES = ("cdrhub.web", "cdrhub.commands", "cdrhub.cli")


def _api_routes(routers: list[APIRouter]) -> list[APIRoute]:
    return [r for router in routers for r in router.routes if isinstance(r, APIRoute)]


def _routers_defined_in(package: Any) -> list[APIRouter]:
    """Every APIRouter at the top level of a module of `package`."""
    found = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        found += [v for v in vars(module).values() if isinstance(v, APIRouter)]
    return found


def test_the_domains_are_listed_once_in_the_order_their_hooks_run() -> None:
    assert [d.name for d in domains.DOMAINS] == ["analytics", "automations", "crm"]
    assert (domains.ANALYTICS, domains.AUTOMATIONS, domains.CRM) == domains.DOMAINS


def test_every_router_a_domain_defines_is_one_of_its_routers() -> None:
    packages = {"analytics": cdrhub.analytics, "automations": cdrhub.automations, "crm": cdrhub.crm}
    for domain in domains.DOMAINS:
        defined = _routers_defined_in(packages[domain.name])
        routers = domain.routers(domains.reports())
        if domain.name == "analytics":
            # its router is built from the reports it is given (one route per report)
            assert defined == [] and len(routers) == 1
            paths = {r.path for r in _api_routes(routers)}
            assert {f"/api/reports/{name}" for name in domains.reports()} <= paths
            continue
        assert defined  # every other domain has HTTP routes of its own
        assert {id(r) for r in routers} == {id(r) for r in defined}, domain.name


def test_the_app_mounts_its_own_routes_then_every_domains(app: FastAPI) -> None:
    """Read through the app's public face (its OpenAPI document, `url_path_for`): newer FastAPI
    keeps an included router as one opaque entry of `app.routes`."""
    own = _api_routes([health.router, ingest.router, api_calls.router, api_unknowns.router])
    mounted = _api_routes([r for d in domains.DOMAINS for r in d.routers(app.state.reports)])
    expected = own + mounted
    documented = [
        (r.path_format, m.lower()) for r in expected if r.include_in_schema for m in r.methods
    ]
    paths = app.openapi()["paths"]
    # exactly these, in this order: the web app's own routes, then each domain's
    assert list(paths) == list(dict.fromkeys(path for path, _ in documented))
    assert sorted((p, m) for p, ops in paths.items() for m in ops) == sorted(documented)
    # the routes kept out of the document (an unknown report's 404, the widget's) are mounted too
    hidden = [r for r in expected if not r.include_in_schema]
    assert [r.path for r in hidden] == [
        "/api/reports/{name}",
        "/embed/contacts/{phone}",
        "/embed/recordings/{ivruniqueid}",
    ]
    names = [r.name for r in expected]
    for route in hidden:
        assert names.count(route.name) == 1
        params = {name: "1" for name in route.param_convertors}
        assert app.url_path_for(route.name, **params) == route.url_path_for(route.name, **params)
    assert {"/api/reports/{name}", "/api/callbacks", "/embed/contacts/{phone}"} <= {
        r.path for r in mounted
    }


def _names(app: typer.Typer) -> list[str]:
    """The names `app` lists in its --help, in order."""
    group: Any = get_command(app)
    return list(group.list_commands(None))


def _alone(commands: typer.Typer) -> typer.Typer:
    """`commands` merged into a Typer of their own, as cli.py merges them into `cdrhub`."""
    app = typer.Typer()
    app.add_typer(commands)
    return app


def test_every_command_module_is_attached_to_cdrhub_in_order() -> None:
    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(cdrhub.commands.__path__, "cdrhub.commands.")
        if info.name not in ("cdrhub.commands.common", "cdrhub.commands.progress")
    ]
    by_name = {m.__name__.rsplit(".", 1)[1]: m.COMMANDS for m in modules}
    order = ("core", "analytics", "automations", "crm", "config", "people")
    assert tuple(by_name[n] for n in order) == cli.PARTS
    assert len(cli.PARTS) == len(modules)
    commands = [
        name
        for part in cli.PARTS
        if part.commands is not None
        for name in _names(_alone(part.commands))
    ]
    groups = [name for part in cli.PARTS for name in part.groups]
    assert _names(cli.app) == commands + groups
    assert commands == ["serve", "report", "import", "demo", "worker", "embed-link"]


def _imported_names(path: Path) -> list[str]:
    """Every module an `import` or `from ... import` names, at any depth of the file."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def test_domains_py_imports_no_face() -> None:
    names = _imported_names(SRC / "domains.py")
    assert "cdrhub.ingest.pipeline" in names
    assert [n for n in names if n.startswith(FACES)] == []


def test_importing_domains_loads_no_face_no_route_and_no_report() -> None:
    """The ingest writer process imports cdrhub.domains for its hooks: it loads no face, and
    neither the domains' HTTP routes nor their reports (loaded when the app asks for them)."""
    code = "import json, sys, cdrhub.domains; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(out.stdout)
    assert "cdrhub.domains" in loaded
    lazy = (
        "cdrhub.analytics.reports",
        "cdrhub.automations.report",
        "cdrhub.analytics.api",
        "cdrhub.automations.api",
        "cdrhub.crm.api",
        "cdrhub.crm.widget",
    )
    assert [m for m in loaded if m.startswith(FACES) or m in lazy] == []


def test_no_module_is_named_in_a_string() -> None:
    """The composition imports what it wires: no "cdrhub.x.y" or "cdrhub.x:attr" string for
    something to import by name later."""
    files = [SRC / "domains.py", SRC / "cli.py", SRC / "web" / "app.py"]
    files += sorted((SRC / "commands").glob("*.py"))
    dotted = re.compile(r"cdrhub(\.\w+)+(:\w+)?")
    found = [
        (path.name, node.value)
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and dotted.fullmatch(node.value)
    ]
    assert found == []


def test_the_ground_loads_nothing_above_it() -> None:
    """docs/architecture.md, "Layer rules" 1: the ground imports only the ground."""
    ground = (
        "cdrhub.config",
        "cdrhub.timefmt",
        "cdrhub.longlived",
        "cdrhub.inputs",
        "cdrhub.timerange",
        "cdrhub.redact",
        "cdrhub.calls",
    )
    calls = ", ".join(f"cdrhub.calls.{p.stem}" for p in sorted((SRC / "calls").glob("[!_]*.py")))
    code = (
        f"import json, sys, {', '.join(ground)}, {calls}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('cdrhub'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(out.stdout)
    assert "cdrhub.calls.stitch" in loaded
    above = [m for m in loaded if m != "cdrhub" and not m.startswith(ground)]
    assert above == []
