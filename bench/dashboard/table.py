"""Markdown tables of bench/dashboard results, one column pair per file, side by side:

.venv/bin/python bench/dashboard/table.py results/1M-sqlite.json results/10M-sqlite.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(paths: list[str]) -> None:
    runs = []
    for name in paths:
        data = json.loads(Path(name).read_text())
        for engine in ("sqlite", "postgres"):
            if engine in data:
                legs = data[engine]["legs"]
                runs.append((f"{engine} {legs / 1e6:.1f}M", data[engine]["pages"]))
    questions = list(dict.fromkeys(q for _, pages in runs for q in pages))
    head = ["question"] + [f"{label} page p50 / p95 (API p50)" for label, _ in runs]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * len(runs))
    for q in questions:
        cells = [q]
        for _, pages in runs:
            row = pages.get(q)
            if row is None:
                cells.append("–")
                continue
            api = row.get("api", {}).get("p50_ms")
            status = "" if row["status"] == 200 else f" [{row['status']}]"
            api_text = f" ({api:.1f})" if api is not None else ""
            cells.append(f"{row['p50_ms']:.1f} / {row['p95_ms']:.1f}{api_text}{status}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
