"""Automation test helpers; importing the tables puts them on the shared metadata."""

from __future__ import annotations

import cdrhub.automations.tables
import cdrhub.jobs.tables  # noqa: F401
