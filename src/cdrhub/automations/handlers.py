"""Registers the automation job handlers (one per channel) with the outbox registry."""

from __future__ import annotations
