"""The ingest hook: rollups change in the same transaction as the leg they count."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from cdrhub.analytics.config import analytics_settings
from cdrhub.analytics.rollup import apply_legs
from cdrhub.config import Settings
from cdrhub.ingest.pipeline import LegHook, StoredLeg


def rollup_hook(settings: Settings) -> LegHook:
    tz, cfg = settings.tz, analytics_settings(settings)

    def hook(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        # One merged set of rollup changes for all the transaction's legs; `previous` is None
        # for a new leg and the content being replaced for a revision.
        apply_legs(
            conn, [(s.previous, s.row if s.row is not None else s.leg) for s in stored], tz, cfg
        )

    return hook
