"""The layers of the CDR path, checked in a fresh interpreter: ingest/ loads no domain, web or
CLI module; voicenter/ loads no store or ingest module; store/ loads no ingest, domain or web
module. A module imported "just for a type" would show up here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DOMAINS_AND_EDGES = ("cdrhub.analytics", "cdrhub.automations", "cdrhub.crm", "cdrhub.web")


def loaded_after(*modules: str) -> list[str]:
    """The cdrhub modules a fresh interpreter has loaded after importing `modules`."""
    code = (
        f"import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        f"    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith('cdrhub'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def under(loaded: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in loaded if m in packages or m.startswith(tuple(p + "." for p in packages))]


def test_ingest_loads_no_domain_web_or_cli() -> None:
    loaded = loaded_after(
        "cdrhub.ingest.pipeline",
        "cdrhub.ingest.process_writer",
        "cdrhub.ingest.thread_writer",
        "cdrhub.ingest.replay",
    )
    assert "cdrhub.ingest.pipeline" in loaded
    assert under(loaded, DOMAINS_AND_EDGES) == []
    assert "cdrhub.cli" not in loaded
    assert "cdrhub.domains" not in loaded


@pytest.mark.parametrize("module", ["decode", "normalize", "ack", "vocab"])
def test_voicenter_is_pure(module: str) -> None:
    loaded = loaded_after(f"cdrhub.voicenter.{module}")
    assert f"cdrhub.voicenter.{module}" in loaded
    assert under(loaded, ("cdrhub.store", "cdrhub.ingest", *DOMAINS_AND_EDGES)) == []


def test_store_loads_no_ingest_domain_or_web() -> None:
    loaded = loaded_after(
        "cdrhub.store.groupcommit", "cdrhub.store.legs", "cdrhub.store.quarantine"
    )
    assert "cdrhub.store.groupcommit" in loaded
    assert under(loaded, ("cdrhub.ingest", "cdrhub.domains", *DOMAINS_AND_EDGES)) == []


def test_the_domains_hooks_come_from_one_place() -> None:
    """`cdrhub.domains.hooks` composes the three domains' hooks (rollups, automations, CRM),
    and each domain's hook module imports the pipeline without a circle back."""
    loaded = loaded_after("cdrhub.analytics.hook", "cdrhub.automations.hook", "cdrhub.crm.hook")
    assert "cdrhub.ingest.pipeline" in loaded
    assert "cdrhub.domains" not in loaded


def test_the_lengths_normalize_fits_to_are_the_legs_columns() -> None:
    """`calls.limits.LENGTHS` (what normalize cuts text to, without importing the store) is
    exactly the text columns of the legs table."""
    from cdrhub.calls.limits import LENGTHS
    from cdrhub.store.schema import legs

    columns = {c.name: c.type.length for c in legs.c if getattr(c.type, "length", None)}
    assert columns == LENGTHS
