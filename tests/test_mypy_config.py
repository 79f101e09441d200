"""The type checker's configuration (pyproject.toml) still means what it says.

mypy reads `strict` only as a global option: written in an override, it turns strict on for
every module. So the strict modules list strict's flags one by one, and these tests hold that
list to the flags of the installed mypy's `--strict` (a new mypy may add one).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mypy.main import define_options
from mypy.options import PER_MODULE_OPTIONS

CONFIG = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["tool"][
    "mypy"
]
STRICT_MODULES = {
    "cdrhub.voicenter.*",
    "cdrhub.calls.*",
    "cdrhub.store.*",
    "cdrhub.ingest.*",
    "cdrhub.jobs.*",
    "cdrhub.config",
    "cdrhub.timefmt",
    "cdrhub.timerange",
    "cdrhub.inputs",
    "cdrhub.redact",
}


def _strict_flags() -> dict[str, bool]:
    _parser, _names, assignments = define_options()
    return dict(assignments)


def _strict_override() -> dict[str, Any]:
    (found,) = [o for o in CONFIG["overrides"] if STRICT_MODULES & set(o["module"])]
    return found


def test_the_strict_modules_get_every_per_module_flag_of_strict() -> None:
    override = _strict_override()
    assert set(override["module"]) == STRICT_MODULES
    per_module = {k: v for k, v in _strict_flags().items() if k in PER_MODULE_OPTIONS}
    # what the strict modules get: the override's value, else the global one
    assert {k: override.get(k, CONFIG.get(k)) for k in per_module} == per_module
    assert set(override) - {"module"} <= set(per_module)


def test_the_global_only_flags_of_strict_are_set_for_everything() -> None:
    global_only = {k: v for k, v in _strict_flags().items() if k not in PER_MODULE_OPTIONS}
    assert global_only == {"warn_redundant_casts": True, "strict_bytes": True}
    assert {k: CONFIG.get(k) for k in global_only} == global_only


def test_the_whole_package_is_checked_and_nothing_is_strict_by_accident() -> None:
    assert CONFIG["files"] == ["src"]
    assert CONFIG["python_version"] == "3.11"
    assert CONFIG["check_untyped_defs"] is True
    assert CONFIG["warn_unused_ignores"] is True
    assert "strict" not in CONFIG
    assert all("strict" not in o for o in CONFIG["overrides"])
    assert "ignore_missing_imports" not in CONFIG
