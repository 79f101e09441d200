"""The Live page's colours: thresholds from [dashboard], per queue, and typos refused."""

from __future__ import annotations

from cdrhub.domains import settings_keys
from cdrhub.settings_keys import unknown_keys
from cdrhub.web.pages.tiles import thresholds_for

DASHBOARD = {
    "thresholds": {"service_level": [0.9, 0.7]},
    "queues": {"Sales Queue": {"asa_seconds": [10, 30]}},
}


def test_colours_follow_the_thresholds_per_queue() -> None:
    sales, other = thresholds_for(DASHBOARD, "Sales Queue"), thresholds_for(DASHBOARD, "Support")
    assert [sales.colour("service_level", v) for v in (0.95, 0.9, 0.8, 0.69)] == [
        "green",
        "green",
        "amber",
        "red",
    ]
    assert [sales.colour("asa_seconds", v) for v in (10, 20, 31)] == ["green", "amber", "red"]
    assert [other.colour("asa_seconds", v) for v in (20, 60, 61)] == ["green", "amber", "red"]
    assert other.colour("abandon_rate", None) == "none"


def test_a_typo_in_dashboard_is_refused() -> None:
    found = unknown_keys(
        {"dashboard": {"thresholds": {"abandn_rate": [0.1, 0.2]}}}, settings_keys()
    )
    assert [(u.table, u.key, u.nearest) for u in found] == [
        ("[dashboard.thresholds]", "abandn_rate", "abandon_rate")
    ]
