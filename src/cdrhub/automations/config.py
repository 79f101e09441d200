"""Automation settings from the TOML file: rules, channels, guards and callback settings.

    [automations]
    quiet_hours = ["21:00-08:00", "fri 14:00-sat 20:00"]  # hold customer messages (local time)
    text_once_per_hours = 24        # at most one text per customer number per period (0: off)
    internal_numbers = ["0722776772"]  # never texted, never callback items
    max_attempts = 8
    max_age = "1h"                  # act only on calls that ended this recently (0 or "off")

    [channels.NAME]                 # type defaults to NAME: twilio | meta | smtp | slack |
    type = "twilio"                 # webhook | voicenter
    ...

`load_config` is pure over the parsed file; `check_text` also points every problem at its line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cdrhub.automations import guards
from cdrhub.automations.missed import MissedSettings
from cdrhub.automations.rules import (
    CUSTOMER_ALIASES,
    Problem,
    Rule,
    allowed_keys,
    parse_rules,
)
from cdrhub.calls.phones import to_e164
from cdrhub.settings_keys import Schema, check_keys
from cdrhub.toml_lines import TomlLines

CHANNEL_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # channel type: (required keys, optional keys)
    "twilio": (
        ("account_sid", "auth_token"),
        (
            "from",
            "messaging_service_sid",
            "whatsapp_from",
            "base_url",
            "status_callback",
            "timeout",
        ),
    ),
    "meta": (
        ("access_token", "phone_number_id"),
        ("api_version", "base_url", "language", "timeout"),
    ),
    "smtp": (("host", "from"), ("port", "username", "password", "starttls", "ssl", "timeout")),
    "slack": (("webhook_url",), ("timeout",)),
    "webhook": (("url", "secret"), ("headers", "timeout")),
    "voicenter": (("code",), ("base_url", "timeout")),
}
# The keys of the sections automations read (cdrhub.settings_keys): a typo is refused. Rules
# and channels check their own keys (their allowed keys depend on the action or channel type).
SETTINGS_KEYS: Schema = {
    "automations": {
        "quiet_hours": None,
        "text_once_per_hours": None,
        "internal_numbers": None,
        "max_attempts": None,
        "max_age": None,
        "notify_poll_seconds": None,
        "notify_keepalive_seconds": None,
    },
    "callbacks": {
        "open_on_missed": None,
        "missed_statuses": None,
        "voend_min_seconds": None,
        "min_wait_seconds": None,
        "returned_within_hours": None,
    },
    "rules": None,
    "channels": None,
}

CHANNEL_ALIASES = {"whatsapp_cloud": "meta", "email": "smtp", "click2call": "voicenter"}
# Which channel types each action can go through.
ACTION_CHANNELS = {
    "sms": ("twilio",),
    "whatsapp": ("twilio", "meta"),
    "email": ("smtp",),
    "slack": ("slack",),
    "webhook": ("webhook",),
    "click2call": ("voicenter",),
}


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    type: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class AutomationConfig:
    rules: tuple[Rule, ...] = ()
    channels: Mapping[str, Channel] = field(default_factory=dict)
    quiet_hours: tuple[guards.Window, ...] = ()
    text_once_per_seconds: int = 24 * 3600
    max_attempts: int = 8
    max_age_seconds: float = guards.DEFAULT_MAX_AGE_SECONDS  # 0: off; a rule may override
    region: str = "IL"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jerusalem"))
    missed: MissedSettings = field(default_factory=MissedSettings)
    problems: tuple[Problem, ...] = ()


def _channel_type(name: str, raw: Mapping[str, Any]) -> str:
    value = str(raw.get("type", name)).lower()
    return CHANNEL_ALIASES.get(value, value)


def _parse_channels(raw: Any) -> tuple[dict[str, Channel], list[Problem]]:
    channels: dict[str, Channel] = {}
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        return channels, [
            Problem(None, "channels", "use [channels.NAME] tables", section="channels")
        ]
    for name, options in raw.items():
        section = f"channels.{name}"
        if not isinstance(options, Mapping):
            problems.append(Problem(None, section, "must be a table", section=section))
            continue
        kind = _channel_type(name, options)
        if kind not in CHANNEL_TYPES:
            problems.append(
                Problem(
                    None,
                    f"{section}.type",
                    f"unknown channel type {kind!r}; set type = one of {', '.join(CHANNEL_TYPES)}",
                    section=section,
                )
            )
            continue
        required, optional = CHANNEL_TYPES[kind]
        for key in required:
            if not options.get(key):
                problems.append(
                    Problem(None, f"{section}.{key}", f"{kind} needs {key!r}", section=section)
                )
        allowed = {*required, *optional, "type"}
        for key in options:
            if key not in allowed:
                problems.append(
                    Problem(
                        None,
                        f"{section}.{key}",
                        f"unknown key; {allowed_keys(key, allowed)}",
                        section=section,
                    )
                )
        if kind == "twilio" and not (options.get("from") or options.get("messaging_service_sid")):
            problems.append(
                Problem(
                    None,
                    f"{section}.from",
                    "twilio needs 'from' or 'messaging_service_sid'",
                    section=section,
                )
            )
        if kind == "webhook" and not str(options.get("secret", "")).startswith("whsec_"):
            problems.append(
                Problem(
                    None,
                    f"{section}.secret",
                    "a Standard Webhooks secret starts with 'whsec_'",
                    section=section,
                )
            )
        channels[name] = Channel(name, kind, dict(options))
    return channels, problems


def _check_vias(rules: list[Rule], channels: Mapping[str, Channel]) -> list[Problem]:
    problems = []
    for rule in rules:
        for action in rule.actions:
            via = action.options.get("via")
            if via is None:
                continue
            channel = channels.get(via)
            path = f"actions[{action.index}].via"
            if channel is None:
                problems.append(
                    Problem(rule.index, path, f"no [channels.{via}] table", action.index)
                )
            elif channel.type not in ACTION_CHANNELS[action.do]:
                allowed = " or ".join(ACTION_CHANNELS[action.do])
                problems.append(
                    Problem(
                        rule.index,
                        path,
                        f"{action.do!r} cannot go via a {channel.type} channel (needs {allowed})",
                        action.index,
                    )
                )
            elif (
                action.do == "whatsapp"
                and channel.type == "meta"
                and "template" not in action.options
            ):
                problems.append(
                    Problem(
                        rule.index,
                        f"actions[{action.index}].template",
                        "Meta WhatsApp sends template messages: set 'template'",
                        action.index,
                    )
                )
            to = action.options.get("to")
            customer = action.do in ("sms", "whatsapp", "click2call") and isinstance(to, str)
            if customer and to not in CUSTOMER_ALIASES and to_e164(to) is None:
                problems.append(
                    Problem(
                        rule.index,
                        f"actions[{action.index}].to",
                        f"{to!r} is neither 'caller' nor a phone number",
                        action.index,
                    )
                )
    return problems


def load_config(
    file: Mapping[str, Any], *, timezone: str = "Asia/Jerusalem", region: str = "IL"
) -> AutomationConfig:
    """Everything automations need from the parsed TOML file; problems are listed, not raised."""
    problems: list[Problem] = []
    section = file.get("automations", {})
    if not isinstance(section, Mapping):
        section = {}
    rules, rule_problems = parse_rules(file.get("rules"))
    problems.extend(rule_problems)
    channels, channel_problems = _parse_channels(file.get("channels", {}))
    problems.extend(channel_problems)
    problems.extend(_check_vias(rules, channels))
    broken = {p.rule for p in problems if p.rule is not None}
    rules = [r for r in rules if r.index not in broken]

    windows: list[guards.Window] = []
    quiet = section.get("quiet_hours", [])
    for item in quiet if isinstance(quiet, list) else [quiet]:
        try:
            windows.extend(guards.parse_window(str(item)))
        except ValueError as exc:
            problems.append(
                Problem(None, "automations.quiet_hours", str(exc), section="automations")
            )
    internal_raw = section.get("internal_numbers", [])
    internal = frozenset(to_e164(str(n), region) or str(n) for n in internal_raw)
    callbacks = file.get("callbacks", {})
    try:
        missed = MissedSettings.from_sections(
            callbacks if isinstance(callbacks, Mapping) else {}, internal
        )
    except (TypeError, ValueError) as exc:
        problems.append(Problem(None, "callbacks", str(exc), section="callbacks"))
        missed = MissedSettings(internal_numbers=internal)
    try:
        period = int(float(section.get("text_once_per_hours", 24)) * 3600)
        max_attempts = int(section.get("max_attempts", 8))
    except (TypeError, ValueError) as exc:
        problems.append(Problem(None, "automations", str(exc), section="automations"))
        period, max_attempts = 24 * 3600, 8
    max_age = guards.DEFAULT_MAX_AGE_SECONDS
    if "max_age" in section:
        try:
            max_age = guards.parse_max_age(section["max_age"])
        except ValueError as exc:
            problems.append(Problem(None, "automations.max_age", str(exc), section="automations"))
    return AutomationConfig(
        rules=tuple(rules),
        channels=channels,
        quiet_hours=tuple(windows),
        text_once_per_seconds=period,
        max_attempts=max_attempts,
        max_age_seconds=max_age,
        region=region,
        tz=ZoneInfo(timezone),
        missed=missed,
        problems=tuple(problems),
    )


def describe(problem: Problem, rules_raw: Any) -> str:
    """`rules[0] (abandoned-queue) when.status: ...`"""
    if problem.rule is None:
        return f"{problem.path}: {problem.message}"
    name = ""
    if isinstance(rules_raw, list) and problem.rule < len(rules_raw):
        raw = rules_raw[problem.rule]
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
            name = f" ({raw['name']})"
    path = f" {problem.path}" if problem.path else ""
    return f"rules[{problem.rule}]{name}{path}: {problem.message}"


def _line(lines: TomlLines, problem: Problem) -> int | None:
    if problem.rule is None:
        section = problem.section or problem.path
        key = problem.path[len(section) + 1 :] if problem.path.startswith(section + ".") else None
        return lines.table_line(section, key)
    key = problem.path.rsplit(".", 1)[-1] if "." in problem.path else problem.path or None
    if key and "[" in key:
        key = None
    if problem.action is not None:
        return lines.rule_line(problem.rule, key, problem.action)
    return lines.rule_line(problem.rule, key)


def check_text(
    text: str, *, filename: str = "config.toml"
) -> tuple[AutomationConfig | None, list[str]]:
    """Validate a settings file's text; problems as `file:line: message` strings."""
    try:
        file = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{filename}: {exc}"]
    config = load_config(file)
    lines = TomlLines(text)
    own = {k: v for k, v in file.items() if k in SETTINGS_KEYS}
    messages = check_keys(text, own, SETTINGS_KEYS, filename=filename)
    for problem in config.problems:
        line = _line(lines, problem)
        where = f"{filename}:{line}" if line else filename
        messages.append(f"{where}: {describe(problem, file.get('rules'))}")
    return config, messages


def check_file(path: Path) -> tuple[AutomationConfig | None, list[str]]:
    """`check_text` on a settings file; a file that cannot be read is one problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"{path}: cannot read: {exc}"]
    return check_text(text, filename=str(path))


def config_file_dict(path: Path) -> dict[str, Any]:
    """A settings file as a dict, for `load_config`."""
    return tomllib.loads(path.read_text(encoding="utf-8"))
