"""Today's tiles per queue on the Live page, and their colours: green, amber or red by
thresholds from settings (`[dashboard.thresholds]`, per queue under
`[dashboard.queues."<queue name>"]`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdrhub.settings_keys import ANY_NAME, Schema

# (green while at least / at most, amber while at least / at most); past both: red
DEFAULTS: dict[str, tuple[float, float]] = {
    "service_level": (0.8, 0.6),  # higher is better
    "abandon_rate": (0.05, 0.1),  # lower is better
    "asa_seconds": (20.0, 60.0),  # lower is better
    "longest_wait_minutes": (30.0, 120.0),  # lower is better
}
HIGHER_IS_BETTER = {"service_level"}

# The keys of the settings file's [dashboard] table (checked like every section's).
_FIGURES: dict[str, None] = dict.fromkeys(DEFAULTS)
SETTINGS_KEYS: Schema = {
    "dashboard": {"thresholds": _FIGURES, "queues": {ANY_NAME: _FIGURES}},
}


@dataclass(frozen=True)
class Thresholds:
    limits: Mapping[str, tuple[float, float]]

    def colour(self, figure: str, value: float | None) -> str:
        """green, amber or red ("none" when there is no value to judge)."""
        if value is None or figure not in self.limits:
            return "none"
        good, fair = self.limits[figure]
        if figure in HIGHER_IS_BETTER:
            return "green" if value >= good else "amber" if value >= fair else "red"
        return "green" if value <= good else "amber" if value <= fair else "red"


def _pairs(section: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    found = {}
    for name, value in section.items():
        if name in DEFAULTS and isinstance(value, list) and len(value) == 2:
            found[name] = (float(value[0]), float(value[1]))
    return found


def thresholds_for(dashboard: Mapping[str, Any], queue: str | None) -> Thresholds:
    limits = dict(DEFAULTS)
    limits.update(_pairs(dashboard.get("thresholds", {}) or {}))
    per_queue = (dashboard.get("queues", {}) or {}).get(queue or "", {})
    limits.update(_pairs(per_queue or {}))
    return Thresholds(limits)
