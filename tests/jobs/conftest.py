"""Job test helpers; importing the table puts it on the shared metadata (tests truncate it)."""

from __future__ import annotations

import cdrhub.jobs.tables  # noqa: F401
