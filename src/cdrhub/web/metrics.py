"""Prometheus metrics, one registry per app so that several apps can live in one process.

Label values come from fixed sets only (encodings, results), never from what a CDR carries, so
the number of series has a bound."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry
    cdrs: Counter
    ack_seconds: Histogram
    quarantined: Counter
    unknown_types: Counter
    unknown_statuses: Counter
    unknown_fields: Counter
    time_mismatches: Counter

    @classmethod
    def create(cls) -> Metrics:
        r = CollectorRegistry()
        return cls(
            registry=r,
            cdrs=Counter(
                "cdrhub_cdrs",
                "CDRs received, by encoding and result (new, duplicate, revised, quarantined, "
                "error, unauthorized)",
                ["encoding", "result"],
                registry=r,
            ),
            ack_seconds=Histogram(
                "cdrhub_ack_seconds",
                "Time from request to acknowledgement",
                ["encoding"],
                buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
                registry=r,
            ),
            quarantined=Counter("cdrhub_quarantined", "Bodies quarantined", registry=r),
            # One series each: a label per name would let every CDR add a series to /metrics
            # (and show the names to whoever reads it); GET /api/unknowns names them.
            unknown_types=Counter(
                "cdrhub_unknown_types", "Legs with a call type we do not know", registry=r
            ),
            unknown_statuses=Counter(
                "cdrhub_unknown_statuses", "Legs with a status we do not know", registry=r
            ),
            unknown_fields=Counter(
                "cdrhub_unknown_fields",
                "Fields we do not know, one per field name per leg",
                registry=r,
            ),
            time_mismatches=Counter(
                "cdrhub_time_prefix_mismatches",
                "Legs whose start disagrees with the ivruniqueid prefix",
                registry=r,
            ),
        )
