"""Reports over a purged period (docs/deploy.md, "Retention"): exact, or refused.

A purge keeps the hourly rollups and deletes the legs. A report reads rollups for the whole
local hours of its range and the legs only for the part of an hour its `from` or `to` cuts
(`query.fetch`, the raw edges), so it stays exact over purged time as long as neither end cuts
an hour whose legs are gone. Such a range is refused with one line rather than answered short.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from cdrhub.analytics.errors import ReportError
from cdrhub.analytics.periods import to_local
from cdrhub.analytics.query import Scope
from cdrhub.store.purged import read_purged


def _cuts_an_hour(at: datetime, scope: Scope) -> bool:
    local = to_local(at, scope.tz)
    return (local.minute, local.second, local.microsecond) != (0, 0, 0)


def check_exact(conn: Connection, scope: Scope) -> None:
    """Raise ReportError when an end of the scope cuts an hour whose legs were purged."""
    cuts = [at for at in (scope.start, scope.end) if at is not None and _cuts_an_hour(at, scope)]
    if not cuts:
        return  # the usual case: no read of what was purged
    purged = read_purged(conn)
    if purged is None or all(at >= purged.before for at in cuts):
        return
    before = to_local(purged.before, scope.tz).strftime("%Y-%m-%d %H:%M")
    raise ReportError(
        f"the calls before {before} ({scope.tz.key}) were purged and only their hourly totals "
        "kept: a `from` or `to` before then must be on a whole hour"
    )
