"""Analytics settings: the `[analytics]` TOML section, with per-queue overrides.

```toml
[analytics]
service_level_seconds = 20
short_abandon_seconds = 5
repeat_min_calls = 2
[analytics.queues."1234567"]
service_level_seconds = 30
```
Thresholds are applied when a leg is rolled up; after changing them run
`cdrhub analytics rebuild` so that stored rollups follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdrhub.config import ConfigError, Settings
from cdrhub.settings_keys import ANY_NAME, Schema

_THRESHOLD_KEYS: Schema = {"service_level_seconds": None, "short_abandon_seconds": None}
# The keys of the `[analytics]` section (cdrhub.settings_keys): a typo is refused.
SETTINGS_KEYS: Schema = {
    "analytics": {
        **_THRESHOLD_KEYS,
        "repeat_min_calls": None,
        "repeat_limit": None,
        "queues": {ANY_NAME: _THRESHOLD_KEYS},
    }
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    service_level_seconds: int = 20
    short_abandon_seconds: int = 5


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    default: Thresholds = Thresholds()
    queues: Mapping[str, Thresholds] = field(default_factory=dict)
    repeat_min_calls: int = 2
    repeat_limit: int = 100

    def for_queue(self, queue: str) -> Thresholds:
        return self.queues.get(queue, self.default)

    def describe(self) -> dict[str, Any]:
        return {
            "service_level_seconds": self.default.service_level_seconds,
            "short_abandon_seconds": self.default.short_abandon_seconds,
            "repeat_min_calls": self.repeat_min_calls,
            "queues": {
                q: {
                    "service_level_seconds": t.service_level_seconds,
                    "short_abandon_seconds": t.short_abandon_seconds,
                }
                for q, t in sorted(self.queues.items())
            },
        }


def _int(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"analytics.{key} must be a non-negative integer, not {value!r}")
    return value


def _thresholds(section: Mapping[str, Any], base: Thresholds) -> Thresholds:
    return Thresholds(
        service_level_seconds=_int(section, "service_level_seconds", base.service_level_seconds),
        short_abandon_seconds=_int(section, "short_abandon_seconds", base.short_abandon_seconds),
    )


def analytics_settings(settings: Settings) -> AnalyticsSettings:
    section = settings.section("analytics")
    default = _thresholds(section, Thresholds())
    queues_section = section.get("queues", {})
    queues = {
        str(q): _thresholds(v, default)
        for q, v in (queues_section.items() if isinstance(queues_section, Mapping) else [])
        if isinstance(v, Mapping)
    }
    return AnalyticsSettings(
        default=default,
        queues=queues,
        repeat_min_calls=_int(section, "repeat_min_calls", 2),
        repeat_limit=_int(section, "repeat_limit", 100),
    )
