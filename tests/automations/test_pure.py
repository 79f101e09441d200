"""Pure parts: SMS segments, quiet windows, recipients, templates, rule validation and matching."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cdrhub.automations import guards, templates
from cdrhub.automations.config import check_text, load_config
from cdrhub.automations.missed import MissedSettings, is_missed_contact
from cdrhub.automations.plan import plan
from cdrhub.automations.rules import matches, parse_rules
from cdrhub.automations.sms import count_segments
from cdrhub.voicenter.normalize import normalize

from .helpers import EXAMPLE_TOML, retime, sample

TZ = ZoneInfo("Asia/Jerusalem")


def _leg(name: str = "queue-abandoned.json", **changes):
    return normalize({**sample(name), **changes}, tz=TZ)


# --- SMS segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("[" * 81, "GSM-7", 162, 2),
        ("ש" * 70, "UCS-2", 70, 1),
        ("ש" * 71, "UCS-2", 71, 2),
        ("ש" * 134, "UCS-2", 134, 2),
        ("ש" * 135, "UCS-2", 135, 3),
        ("hi 😀", "UCS-2", 5, 1),  # an emoji is two UTF-16 units
    ],
)
def test_sms_segments(text: str, encoding: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_hebrew_message_counts_as_ucs2() -> None:
    count = count_segments("מצטערים שלא ענינו (תור מכירות). נחזור אליך בהקדם.")
    assert count.encoding == "UCS-2" and count.segments == 1


# --- quiet windows ---------------------------------------------------------------------------


def _utc(local: str) -> datetime:
    moment = datetime.fromisoformat(local).replace(tzinfo=TZ)
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def test_nightly_window_holds_until_morning() -> None:
    windows = guards.parse_window("21:00-08:00")
    assert guards.next_open(_utc("2026-03-03 12:00"), windows, TZ) is None  # a Tuesday noon
    assert guards.next_open(_utc("2026-03-03 22:30"), windows, TZ) == _utc("2026-03-04 08:00")
    assert guards.next_open(_utc("2026-03-04 07:59"), windows, TZ) == _utc("2026-03-04 08:00")


def test_shabbat_and_nights_together() -> None:
    windows = guards.parse_window("21:00-08:00") + guards.parse_window("fri 14:00-sat 20:00")
    # Friday 15:00 -> Shabbat until Saturday 20:00, then night until Sunday 08:00? No: 20:00-21:00
    # Saturday is open.
    assert guards.next_open(_utc("2026-03-06 15:00"), windows, TZ) == _utc("2026-03-07 20:00")
    # Thursday 23:00 -> night until Friday 08:00
    assert guards.next_open(_utc("2026-03-05 23:00"), windows, TZ) == _utc("2026-03-06 08:00")
    # Saturday 21:30 -> night until Sunday 08:00
    assert guards.next_open(_utc("2026-03-07 21:30"), windows, TZ) == _utc("2026-03-08 08:00")


def test_overlapping_windows_chain() -> None:
    windows = guards.parse_window("20:00-23:00") + guards.parse_window("22:00-07:00")
    assert guards.next_open(_utc("2026-03-03 20:30"), windows, TZ) == _utc("2026-03-04 07:00")


def test_quiet_hours_across_dst_change() -> None:
    windows = guards.parse_window("21:00-08:00")
    # Israel moved to summer time on Friday 2026-03-27 02:00.
    assert guards.next_open(_utc("2026-03-26 23:00"), windows, TZ) == _utc("2026-03-27 08:00")


@pytest.mark.parametrize("bad", ["21:00", "25:00-08:00", "fri 14:00-20:00", "xyz 10:00-sat 1:00"])
def test_bad_windows(bad: str) -> None:
    with pytest.raises(ValueError):
        guards.parse_window(bad)


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("0501234567", "+972501234567"),
        ("972501234567", "+972501234567"),
        ("SIPSIP", None),
        ("EXT101", None),
        ("101", None),
        ("0722776772", None),  # internal
        ("12345678901234567", None),
    ],
)
def test_recipients(number: str, ok: str | None) -> None:
    e164, problem = guards.recipient_problem(number, ["0722776772"])
    assert e164 == ok
    assert (problem is None) == (ok is not None)


# --- templates -------------------------------------------------------------------------------


def test_templates_render_leg_fields_local_times_and_hebrew() -> None:
    leg = _leg("incoming-ivr-as-string.json")
    values = templates.context(leg, "r")
    text = templates.render(
        "שלום, התקשרת ב-{{ local_time }} {{ local_date }} ({{ local_weekday }}) מ-"
        "{{ customer_number_local }}; נציג: {{ agent_name }}{{ queue_name }}",
        values,
    )
    assert text == "שלום, התקשרת ב-14:53 15/11/2023 (Wednesday) מ-054-666-6666; נציג: דנה כהן"
    assert templates.check("{{ nope }}") == ["unknown template variable 'nope'"]
    assert templates.check("{% if %}")[0].startswith("template syntax error")
    assert templates.check("{{ queue_name | upper }} {{ wait_seconds }}") == []


def test_templates_are_sandboxed() -> None:
    with pytest.raises(templates.TemplateError):
        templates.render("{{ caller.__class__.__mro__ }}", {"caller": "x"})


# --- rules -----------------------------------------------------------------------------------


def test_example_rule_matches_the_abandoned_sample_only() -> None:
    config = load_config(__import__("tomllib").loads(EXAMPLE_TOML))
    assert not config.problems
    (rule,) = config.rules
    missed = MissedSettings()
    assert matches(rule, _leg(), missed)
    assert not matches(rule, _leg(seconds_waiting_in_queue=4), missed)
    assert not matches(rule, _leg("outgoing-answered.json"), missed)
    assert matches(rule, _leg(type="queue"), missed)  # type matched loosely


@pytest.mark.parametrize(
    ("when", "fires"),
    [
        ({"queue": "sales queue"}, True),
        ({"queue": 1234567}, True),
        ({"queue": ["Support", "Other"]}, False),
        ({"department": 123456}, True),
        ({"caller_country": "IL"}, True),
        ({"caller_country": "Israel"}, True),
        ({"caller_country": ["DE", "FR"]}, False),
        ({"time": "12:00-13:00"}, True),
        ({"time": "13:00-12:00"}, False),
        ({"weekday": ["wed"]}, True),
        ({"weekday": "sat"}, False),
        ({"missed": True}, True),
        ({"answered": True}, False),
        ({"direction": "in", "status": ["ABANDONE", "TIMEOUT"]}, True),
        ({"agent": "2001"}, False),
        ({"did": "0722776772"}, True),
        ({"max_wait_seconds": 10}, False),
    ],
)
def test_conditions(when: dict, fires: bool) -> None:
    rules, problems = parse_rules([{"name": "r", "when": when, "actions": [{"do": "notify"}]}])
    assert not problems
    assert matches(rules[0], _leg(), MissedSettings()) is fires


def test_rules_check_points_at_lines() -> None:
    text = EXAMPLE_TOML.replace("min_wait_seconds = 5", 'min_wait_seconds = "five"')
    text = text.replace('{ do = "callback" }', '{ do = "callbak" }')
    text = text.replace("{{ queue_name }}", "{{ queue }}")
    text += '\n[[rules]]\nname = "x"\nwhen = { status = "ABANDONED" }\nactions = [{ do = "sms", via = "nexmo", text = "hi" }]\n'
    _, messages = check_text(text, filename="c.toml")
    assert messages == [
        "c.toml:9: rules[0] (abandoned-queue) when.min_wait_seconds: must be a number of seconds"
        " (0 or more)",
        "c.toml:11: rules[0] (abandoned-queue) actions[0].text: unknown template variable 'queue'",
        "c.toml:12: rules[0] (abandoned-queue) actions[1].do: unknown action 'callbak'; one of: "
        "sms, whatsapp, email, slack, webhook, click2call, callback, notify",
        "c.toml:18: rules[1] (x) when.status: unknown status 'ABANDONED' (known: ABANDONE, ANSWER,"
        " BUSY, CANCEL, CHANUNAVAIL, CONGESTION, EXIT, FULL, INVALIDARGS, JOINEMPTY, NOANSWER, "
        "NOTCALLED, NOTDIALED, SSWPREAUTH, TE, TIMEOUT, VOEND, VOICEMAIL)",
        "c.toml:19: rules[1] (x) actions[0].via: no [channels.nexmo] table",
    ]


def test_channel_problems_point_at_their_table() -> None:
    text = '\n[channels.twilio]\naccount_sid = "AC1"\n\n[channels.hook]\ntype = "webhook"\nurl = "http://x"\nsecret = "abc"\n'
    _, messages = check_text(text, filename="c.toml")
    assert "c.toml:2: channels.twilio.auth_token: twilio needs 'auth_token'" in messages
    assert any(m.startswith("c.toml:8: channels.hook.secret") for m in messages)


def test_toml_syntax_errors_name_the_line() -> None:
    _, messages = check_text('[[rules]]\nname = "a"\nwhen = { type = }\n', filename="c.toml")
    assert len(messages) == 1 and "line 3" in messages[0]


# --- missed contacts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "missed"),
    [
        ({}, True),
        ({"status": "NOANSWER", "type": "Incoming Call"}, True),
        ({"status": "CANCEL", "type": "Incoming Call"}, True),
        ({"status": "VOEND", "type": "Incoming Call", "duration": 12}, True),
        (
            {
                "status": "VOEND",
                "type": "Incoming Call",
                "duration": 2,
                "seconds_waiting_in_queue": 0,
            },
            False,
        ),
        ({"status": "ANSWER", "type": "VoiceMail"}, True),
        ({"status": "ANSWER"}, False),
        ({"status": "BUSY", "type": "Incoming Call"}, False),
        ({"caller": "SIPSIP"}, False),
        ({"caller": "0722776772"}, False),  # our own DID
    ],
)
def test_missed_contact(changes: dict, missed: bool) -> None:
    assert is_missed_contact(_leg(**changes)) is missed


def test_plan_skips_extensions_and_holds_for_quiet_hours() -> None:
    toml = EXAMPLE_TOML + '\n[automations]\nquiet_hours = ["21:00-08:00"]\n'
    config = load_config(__import__("tomllib").loads(toml))
    leg = normalize(retime(sample("queue-abandoned.json"), _utc("2026-03-03 22:55")), tz=TZ)
    steps = plan(leg, config, _utc("2026-03-03 23:00"))
    assert steps[0].do == "sms" and steps[0].run_at == _utc("2026-03-04 08:00")
    assert steps[2].do == "notify" and steps[2].run_at is None  # managers are not held
    steps = plan(
        replace(_leg(), caller="SIPSIP", caller_e164=None), config, _utc("2026-03-03 12:00")
    )
    assert steps[0].skipped and "extension" in steps[0].skipped


def test_email_addresses_are_checked() -> None:
    _, problems = parse_rules(
        [
            {
                "name": "r",
                "actions": [{"do": "email", "via": "m", "to": ["a@b.c", "boss"], "text": "x"}],
            }
        ]
    )
    assert [p.path for p in problems] == ["actions[0].to"] and "'boss'" in problems[0].message
