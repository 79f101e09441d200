"""A hooks factory for the ingest writer process that notes which modules the process has
imported by the time it builds its hooks (tests/test_footprint.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cdrhub import domains
from cdrhub.config import Settings
from cdrhub.ingest.pipeline import LegHook

MODULES_FILE = "CDRHUB_TEST_MODULES_FILE"


def hooks_noting_modules(settings: Settings) -> list[LegHook]:
    hooks = domains.hooks(settings)
    Path(os.environ[MODULES_FILE]).write_text("\n".join(sorted(sys.modules)))
    return hooks
