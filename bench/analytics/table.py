"""Print a results file of bench/analytics/run.py as Markdown tables (median ms per report).

.venv/bin/python bench/analytics/table.py bench/analytics/results/1M-sqlite.json ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = ("overview", "agents", "countries", "peak-hours", "queues", "ivr", "repeat-callers",
           "cost", "raw GROUP BY")  # fmt: skip


def render(path: Path) -> str:
    data = json.loads(path.read_text())
    out = []
    for engine in ("sqlite", "postgres"):
        entry = data.get(engine)
        if not entry:
            continue
        legs = entry.get("replicate", entry.get("load", {})).get("legs") or entry.get(
            "check", {}
        ).get("raw_legs")
        worst = max(
            v["max_ms"]
            for row in entry["reports"].values()
            for k, v in row.items()
            if k != "raw GROUP BY"
        )
        out.append(f"**{engine}, {legs:,} legs** (median of 5 runs in ms; slowest single run "
                   f"of any report: {worst:g} ms)\n")  # fmt: skip
        out.append("| range | " + " | ".join(COLUMNS) + " |")
        out.append("|---" * (len(COLUMNS) + 1) + "|")
        for label, row in entry["reports"].items():
            cells = [f"{row[c]['median_ms']:g}" for c in COLUMNS]
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(render(Path(name)))
