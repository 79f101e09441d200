"""The reports' words for people on the Reports pages: report titles, column headings, filter
and parameter names, their choices, the overview's periods and chart legends, in the page's
language. The report rows keep their machine names (the API, CSV and XLSX are read by programs
and by the docs); only what the page shows goes through the catalogue.

Every label is marked `N_` so that scripts/i18n extracts it and tests/pages/test_i18n.py fails
while one lacks its Hebrew."""

from __future__ import annotations

import re
from collections.abc import Callable

from cdrhub.web import i18n

Say = Callable[[str], str]


def N_(text: str) -> str:
    """gettext's name for "mark for extraction only": translated where it is shown."""
    return text


TITLES = {
    "agents": N_("Agents"),
    "countries": N_("Answer ratio by country"),
    "peak-hours": N_("Peak hours"),
    "queues": N_("Queues"),
    "ivr": N_("IVR funnel"),
    "overview": N_("Overview"),
    "repeat-callers": N_("Repeat callers"),
    "cost": N_("Cost"),
    "callbacks": N_("Time to callback"),
}

# a report column (render.heading's name: money without `_agorot`), a filter or a parameter
NAMES = {
    # filters and parameters
    "department": N_("Department"),
    "queue": N_("Queue"),
    "agent": N_("Agent"),
    "type": N_("Type"),
    "sort": N_("Sort by"),
    "by": N_("Group by"),
    "min_calls": N_("Calls a day at least"),
    "within_hours": N_("Within hours"),
    # columns
    "day": N_("Day"),
    "period": N_("Period"),
    "agent_code": N_("Agent code"),
    "agent_name": N_("Agent name"),
    "incoming_offered": N_("Incoming offered"),
    "incoming_answered": N_("Incoming answered"),
    "outgoing_attempts": N_("Outgoing attempts"),
    "outgoing_answered": N_("Outgoing answered"),
    "talk_seconds": N_("Talk time (s)"),
    "avg_handle_seconds": N_("Average handle time (s)"),
    "incoming_answer_ratio": N_("Incoming answer ratio"),
    "outgoing_answer_ratio": N_("Outgoing answer ratio"),
    "country": N_("Country"),
    "attempts": N_("Attempts"),
    "answered": N_("Answered"),
    "answer_ratio": N_("Answer ratio"),
    "acd_seconds": N_("Average call duration (s)"),
    "cost": N_("Cost"),
    "weekday": N_("Weekday number"),
    "weekday_name": N_("Weekday"),
    "hour": N_("Hour"),
    "offered": N_("Offered"),
    "abandoned": N_("Abandoned"),
    "queue_id": N_("Queue id"),
    "queue_name": N_("Queue name"),
    "short_abandoned": N_("Short abandons"),
    "abandon_rate": N_("Abandon rate"),
    "abandon_rate_without_short": N_("Abandon rate without short abandons"),
    "service_level": N_("Service level"),
    "asa_seconds": N_("Average speed of answer (s)"),
    "service_level_seconds": N_("Service level target (s)"),
    "short_abandon_seconds": N_("Short abandon under (s)"),
    "layer_id": N_("Layer id"),
    "layer_name": N_("Layer name"),
    "layer_number": N_("Layer number"),
    "reached": N_("Reached"),
    "visits": N_("Visits"),
    "hangups": N_("Hang-ups"),
    "voicemail": N_("Voicemail"),
    "queue_offered": N_("Offered to queues"),
    "aht_seconds": N_("Average handle time (s)"),
    "missed_contacts": N_("Missed contacts"),
    "missed_customers": N_("Missed customers"),
    "legs": N_("Legs"),
    "unknown_type_legs": N_("Legs of unknown type"),
    "number": N_("Number"),
    "contacts": N_("Contacts"),
    "missed": N_("Missed"),
    "max_per_day": N_("Most in one day"),
    "repeat_days": N_("Days with repeats"),
    "key": N_("Group"),
    "name": N_("Name"),
    "items": N_("Callback items"),
    "returned": N_("Called back"),
    "median_seconds_to_callback": N_("Median time to callback (s)"),
    "p90_seconds_to_callback": N_("90th percentile time to callback (s)"),
    "closed_by_hand": N_("Closed by hand"),
    "open": N_("Open"),
    "never_returned": N_("Never called back"),
    # the overview's first column and periods
    "figure": N_("Figure"),
    "current": N_("This period"),
    "previous": N_("Previous period"),
}

# the values a parameter takes, as the filter form offers them
CHOICES = {
    "incoming": N_("Incoming answered"),
    "outgoing": N_("Outgoing answered"),
    "department": N_("Department"),
    "agent": N_("Agent"),
    "type": N_("Type"),
    "country": N_("Country"),
    "queue": N_("Queue"),
    "day": N_("Day"),
    "none": N_("All together"),
}

WEEKDAYS = {
    "Sunday": N_("Sunday"),
    "Monday": N_("Monday"),
    "Tuesday": N_("Tuesday"),
    "Wednesday": N_("Wednesday"),
    "Thursday": N_("Thursday"),
    "Friday": N_("Friday"),
    "Saturday": N_("Saturday"),
}

# columns whose names carry a value: the wait buckets, DTMF keys, callback hours
_WAIT = re.compile(r"^wait_(answered|abandoned)_(.+)$")
_DTMF = re.compile(r"^dtmf_(.+)$")
_WITHIN = re.compile(r"^(ratio_)?returned_within_(.+)h$")


def say_in(lang: str) -> Say:
    return i18n.translations(lang).gettext


def title(name: str, say: Say) -> str:
    return say(TITLES[name]) if name in TITLES else name


def column(name: str, say: Say) -> str:
    """A column's, filter's or parameter's heading (the machine name when none is known)."""
    if name in NAMES:
        return say(NAMES[name])
    if found := _WAIT.match(name):
        if found[1] == "answered":
            return say(N_("Answered after %(wait)s s")) % {"wait": found[2]}
        return say(N_("Abandoned after %(wait)s s")) % {"wait": found[2]}
    if found := _DTMF.match(name):
        if found[1] == "none":
            return say(N_("No key"))
        return say(N_("Key %(key)s")) % {"key": found[1]}
    if found := _WITHIN.match(name):
        if found[1]:
            return say(N_("Share called back within %(hours)s h")) % {"hours": found[2]}
        return say(N_("Called back within %(hours)s h")) % {"hours": found[2]}
    return name


def choice(value: str, say: Say) -> str:
    return say(CHOICES[value]) if value in CHOICES else value


def cell(name: str, value: str, say: Say) -> str:
    """A cell's text: a weekday's name translated, every other value as it is."""
    return say(WEEKDAYS[value]) if name == "weekday_name" and value in WEEKDAYS else value
