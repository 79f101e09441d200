"""Run a report by name: read filters, build the scope, answer with formula and settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from cdrhub.analytics.config import analytics_settings
from cdrhub.analytics.filters import parse_filters, resolve_dims
from cdrhub.analytics.purged import check_exact
from cdrhub.analytics.query import Scope
from cdrhub.analytics.reports import FILTERS, REPORTS, Report, ReportError
from cdrhub.config import Settings

FILTER_KEYS = FILTERS


class UnknownReport(LookupError):
    pass


def run_report(
    engine: Engine,
    settings: Settings,
    name: str,
    params: Mapping[str, str | None],
    *,
    reports: Mapping[str, Report] = REPORTS,
) -> dict[str, Any]:
    """The answer `{"report", "filters", "settings", "formula", "rows"}`. `reports`: the reports
    to choose from (analytics' own by default; `cdrhub.domains.reports()` adds the others').

    Raises UnknownReport, or InputError/ReportError (ValueError) for bad parameters.
    """
    report = reports.get(name)
    if report is None:
        raise UnknownReport(name)
    refused = [k for k in FILTERS if k not in report.filters and params.get(k) not in (None, "")]
    if refused:
        # a filter a report cannot apply would answer for everything: refuse it, never ignore it
        raise ReportError(
            f"the {name} report cannot be filtered by {', '.join(refused)} "
            f"(its filters: {', '.join(report.filters)})"
        )
    tz = settings.tz
    cfg = analytics_settings(settings)
    filters = parse_filters({k: v for k, v in params.items() if k in report.filters}, tz)
    extra = {k: str(v) for k, v in params.items() if k in report.params and v not in (None, "")}
    days = filters.range.whole_days
    if days is not None:
        extra["_days"] = str(days)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # for this transaction only: parallel workers take longer to start than the index
            # reads of a few thousand rows that reports make (bench/README.md, Analytics)
            conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        scope = Scope(
            start=filters.range.start_utc,
            end=filters.range.end_utc,
            dims=resolve_dims(conn, filters),
            tz=tz,
            cfg=cfg,
        )
        check_exact(conn, scope)
        rows = report.run(conn, scope, extra)
    described = filters.describe()
    described.update({k: v for k, v in extra.items() if not k.startswith("_")})
    return {
        "report": name,
        "filters": described,
        "settings": {"timezone": settings.timezone, **cfg.describe()},
        "formula": report.formula,
        "rows": rows,
    }


__all__ = ["FILTER_KEYS", "ReportError", "UnknownReport", "run_report"]
