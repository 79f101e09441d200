"""The ingest hook: rollups change in the same transaction as the leg they count."""

from __future__ import annotations

from sqlalchemy import Connection

from cdrhub.analytics.config import analytics_settings
from cdrhub.analytics.rollup import apply_legs
from cdrhub.config import Settings
from cdrhub.pipeline import LegHook, StoredLeg


def rollup_hook(settings: Settings) -> LegHook:
    tz, cfg = settings.tz, analytics_settings(settings)

    def hook(conn: Connection, stored: StoredLeg) -> None:
        if stored.kind == "new":
            apply_legs(conn, [(None, stored.leg)], tz, cfg)
        elif stored.kind == "revised":
            apply_legs(conn, [(stored.previous, stored.leg)], tz, cfg)

    return hook
