"""Rules: `[[rules]]` tables of the settings file, parsed, validated and matched against legs.

    [[rules]]
    name = "abandoned-queue"
    when = { type = "Queue", status = "ABANDONE", min_wait_seconds = 5 }
    actions = [ { do = "sms", via = "twilio", to = "caller", text = "..." }, { do = "notify" } ]

`when` keys (all optional, all must hold; a list means any of): type, status, direction,
queue (name or id), department (name or id), agent (code or name), did, caller_country (name
or ISO code), min_wait_seconds, max_wait_seconds, min_duration_seconds, max_duration_seconds,
time (local window "08:00-20:00"), weekday (["sun", "mon", ...]), missed (a missed customer
contact as metrics.md defines it), answered (status ANSWER).

Parsing is pure and reports every problem as a `Problem` (path, message) so that the CLI can
point at the TOML line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cdrhub.automations import guards, templates
from cdrhub.automations.missed import is_missed_contact
from cdrhub.calls.model import CallLeg
from cdrhub.calls.phones import country_of
from cdrhub.settings_keys import nearest
from cdrhub.voicenter import vocab


@dataclass(frozen=True, slots=True)
class Problem:
    rule: int | None  # index in [[rules]], None for other sections
    path: str  # "when.min_wait_seconds", "actions[0].text", "channels.twilio.from"
    message: str
    action: int | None = None
    section: str | None = None  # for problems outside [[rules]]: the table name


@dataclass(frozen=True, slots=True)
class Action:
    index: int
    do: str
    options: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Rule:
    index: int
    name: str
    when: Mapping[str, Any]
    actions: tuple[Action, ...]
    enabled: bool = True
    max_age: float | None = None  # seconds (0: off); None: [automations] max_age


# --- actions ---------------------------------------------------------------------------------

MESSAGE_ACTIONS = ("sms", "whatsapp", "email", "slack", "webhook", "click2call")
ACTIONS = (*MESSAGE_ACTIONS, "callback", "notify")
COMMON_KEYS = {"do", "quiet_hours", "max_attempts", "name"}
ACTION_KEYS: dict[str, set[str]] = {
    "sms": {"via", "to", "text"},
    "whatsapp": {"via", "to", "text", "template", "language", "params", "content_sid"},
    "email": {"via", "to", "subject", "text"},
    "slack": {"via", "text"},
    "webhook": {"via", "event"},
    "click2call": {"via", "agent", "to"},
    "callback": {"assign"},
    "notify": {"title", "text", "level"},
}
TEMPLATE_KEYS = ("text", "subject", "title")
REQUIRED: dict[str, tuple[str, ...]] = {
    "sms": ("via", "text"),
    "whatsapp": ("via",),
    "email": ("via", "to", "text"),
    "slack": ("via", "text"),
    "webhook": ("via",),
    "click2call": ("via", "agent"),
}
# Actions aimed at the customer: guarded by quiet hours, opt-outs and number checks.
CUSTOMER_ACTIONS = ("sms", "whatsapp", "click2call")
CUSTOMER_ALIASES = ("caller", "customer")


def allowed_keys(key: str, allowed: Iterable[str], word: str = "allowed") -> str:
    """`did you mean 'text'? allowed: subject, text, to` (the nearest name when one is close)."""
    names = sorted(allowed)
    close = nearest(key, names)
    return f"{f'did you mean {close!r}? ' if close else ''}{word}: {', '.join(names)}"


def _problems_of_action(index: int, a: int, raw: Any) -> tuple[Action | None, list[Problem]]:
    out: list[Problem] = []

    def problem(path: str, message: str) -> None:
        out.append(Problem(index, f"actions[{a}].{path}" if path else f"actions[{a}]", message, a))

    if not isinstance(raw, Mapping):
        problem("", 'an action is a table like { do = "sms", ... }')
        return None, out
    do = raw.get("do")
    if do not in ACTIONS:
        problem("do", f"unknown action {do!r}; one of: {', '.join(ACTIONS)}")
        return None, out
    allowed = ACTION_KEYS[do] | COMMON_KEYS
    for key in raw:
        if key not in allowed:
            problem(key, f"unknown key for {do!r}; {allowed_keys(key, allowed)}")
    for key in REQUIRED.get(do, ()):
        if key not in raw:
            problem(key, f"{do!r} needs {key!r}")
    if do == "whatsapp" and not any(k in raw for k in ("text", "template", "content_sid")):
        problem("text", "'whatsapp' needs 'text' (Twilio) or 'template' (Meta Cloud API)")
    for key in TEMPLATE_KEYS:
        if key in raw:
            if not isinstance(raw[key], str):
                problem(key, "must be text")
            else:
                for message in templates.check(raw[key]):
                    problem(key, message)
    if "params" in raw:
        params = raw["params"]
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            problem("params", "must be a list of text templates")
        else:
            for p in params:
                for message in templates.check(p):
                    problem("params", message)
    if "to" in raw and not isinstance(raw["to"], (str, list)):
        problem("to", 'must be text ("caller", a number or an address) or a list of them')
    elif do == "email" and "to" in raw:
        addresses = raw["to"] if isinstance(raw["to"], list) else [raw["to"]]
        bad = [a for a in addresses if not (isinstance(a, str) and "@" in a.strip("@"))]
        if bad or not addresses:
            problem("to", f"not an e-mail address: {bad[0] if bad else '(none)'!r}")
    if "quiet_hours" in raw and not isinstance(raw["quiet_hours"], bool):
        problem("quiet_hours", "must be true or false")
    if "max_attempts" in raw and not (
        isinstance(raw["max_attempts"], int) and raw["max_attempts"] > 0
    ):
        problem("max_attempts", "must be a positive integer")
    if "assign" in raw and not (isinstance(raw["assign"], str) and 0 < len(raw["assign"]) <= 128):
        problem("assign", "an agent code or name (at most 128 characters)")
    if "level" in raw and raw["level"] not in ("info", "warning", "critical"):
        problem("level", "one of info, warning, critical")
    if out:
        return None, out
    return Action(a, do, dict(raw)), out


# --- conditions ------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _norm_text(value: Any) -> str:
    return str(value).strip().lower()


def _check_text_list(value: Any) -> str | None:
    items = _as_list(value)
    if not items or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
        return "must be text or a number, or a list of them"
    return None


def _check_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return "must be a number of seconds (0 or more)"
    return None


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _check_type(value: Any) -> str | None:
    problem = _check_text_list(value)
    if problem:
        return problem
    unknown = [v for v in _as_list(value) if vocab.call_type(str(v)) is None]
    if unknown:
        known = ", ".join(t.name for t in vocab.CALL_TYPES)
        return f"unknown call type {unknown[0]!r} (known: {known})"
    return None


def _check_status(value: Any) -> str | None:
    problem = _check_text_list(value)
    if problem:
        return problem
    unknown = [v for v in _as_list(value) if str(v).upper() not in vocab.KNOWN_STATUSES]
    if unknown:
        return f"unknown status {unknown[0]!r} (known: {', '.join(sorted(vocab.KNOWN_STATUSES))})"
    return None


def _check_direction(value: Any) -> str | None:
    allowed = {"in", "out", "leg1", "transfer", "conference", "unknown"}
    problem = _check_text_list(value)
    if problem:
        return problem
    bad = [v for v in _as_list(value) if _norm_text(v) not in allowed]
    return f"unknown direction {bad[0]!r} (one of {', '.join(sorted(allowed))})" if bad else None


def _check_time(value: Any) -> str | None:
    for item in _as_list(value):
        if not isinstance(item, str):
            return 'must be a window like "08:00-20:00" or a list of them'
        try:
            guards.parse_window(item)
        except ValueError as exc:
            return str(exc)
    return None


def _check_weekday(value: Any) -> str | None:
    for item in _as_list(value):
        try:
            guards.day_index(str(item))
        except ValueError as exc:
            return str(exc)
    return None


def _match_type(leg: CallLeg, value: Any) -> bool:
    wanted = {vocab.call_type(str(v)).name for v in _as_list(value)}  # type: ignore[union-attr]
    return leg.type_key in wanted


def _match_in(field_values: Callable[[CallLeg], list[Any]]) -> Callable[[CallLeg, Any], bool]:
    def match(leg: CallLeg, value: Any) -> bool:
        have = {_norm_text(v) for v in field_values(leg) if v is not None}
        return any(_norm_text(v) in have for v in _as_list(value))

    return match


def _match_country(leg: CallLeg, value: Any) -> bool:
    have = {_norm_text(v) for v in (leg.caller_country, country_of(leg.caller_e164)) if v}
    return any(_norm_text(v) in have for v in _as_list(value))


def _match_time(leg: CallLeg, value: Any) -> bool:
    local = leg.started_at_local
    return local is not None and any(guards.in_window(local, w) for w in _as_list(value))


def _match_weekday(leg: CallLeg, value: Any) -> bool:
    local = leg.started_at_local
    wanted = {guards.day_index(str(v)) for v in _as_list(value)}
    return local is not None and local.weekday() in wanted


@dataclass(frozen=True, slots=True)
class Condition:
    check: Callable[[Any], str | None]
    match: Callable[..., bool]  # (leg, value[, missed settings]) -> bool
    needs_settings: bool = False


def _min(get: Callable[[CallLeg], int | None]) -> Callable[[CallLeg, Any], bool]:
    return lambda leg, v: (get(leg) or 0) >= v


def _max(get: Callable[[CallLeg], int | None]) -> Callable[[CallLeg, Any], bool]:
    return lambda leg, v: (get(leg) or 0) <= v


CONDITIONS: dict[str, Condition] = {
    "type": Condition(_check_type, _match_type),
    "status": Condition(
        _check_status, lambda leg, v: leg.status in {str(s).upper() for s in _as_list(v)}
    ),
    "direction": Condition(_check_direction, _match_in(lambda leg: [leg.direction])),
    "queue": Condition(_check_text_list, _match_in(lambda leg: [leg.queue_name, leg.queue_id])),
    "department": Condition(
        _check_text_list, _match_in(lambda leg: [leg.department_name, leg.department_id])
    ),
    "agent": Condition(
        _check_text_list,
        _match_in(
            lambda leg: [
                leg.agent_code,
                leg.agent_name,
                leg.representative_code,
                leg.representative_name,
                leg.target_extension,
                leg.caller_extension,
            ]
        ),
    ),
    "did": Condition(_check_text_list, _match_in(lambda leg: [leg.did, leg.did_e164])),
    "caller_country": Condition(_check_text_list, _match_country),
    "min_wait_seconds": Condition(_check_number, _min(lambda leg: leg.wait_seconds)),
    "max_wait_seconds": Condition(_check_number, _max(lambda leg: leg.wait_seconds)),
    "min_duration_seconds": Condition(_check_number, _min(lambda leg: leg.duration)),
    "max_duration_seconds": Condition(_check_number, _max(lambda leg: leg.duration)),
    "time": Condition(_check_time, _match_time),
    "weekday": Condition(_check_weekday, _match_weekday),
    "answered": Condition(_check_bool, lambda leg, v: (leg.status == vocab.ANSWERED) == v),
    "missed": Condition(
        _check_bool, lambda leg, v, cfg: is_missed_contact(leg, cfg) == v, needs_settings=True
    ),
}
CONDITIONS["weekdays"] = CONDITIONS["weekday"]


RULE_KEYS = ("name", "when", "actions", "enabled", "max_age")


def parse_rules(items: Any) -> tuple[list[Rule], list[Problem]]:
    """The `[[rules]]` array, validated. Rules come back even when they have problems (with
    their valid actions only); use a rule only when no problem names its index."""
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], [Problem(None, "rules", "use [[rules]] tables (an array of tables)")]
    rules: list[Rule] = []
    problems: list[Problem] = []
    names: set[str] = set()
    for index, raw in enumerate(items):
        found: list[Problem] = []
        if not isinstance(raw, Mapping):
            problems.append(Problem(index, "", "a rule is a table"))
            continue
        for key in raw:
            if key not in RULE_KEYS:
                found.append(Problem(index, key, f"unknown key; {allowed_keys(key, RULE_KEYS)}"))
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            found.append(Problem(index, "name", "every rule needs a name (it keys its jobs)"))
        elif len(name) > 100:
            found.append(Problem(index, "name", "at most 100 characters"))
        elif name in names:
            found.append(Problem(index, "name", f"two rules are named {name!r}"))
        else:
            names.add(name)
        when = raw.get("when", {})
        if not isinstance(when, Mapping):
            found.append(Problem(index, "when", 'must be a table, e.g. { status = "ABANDONE" }'))
            when = {}
        for key, value in when.items():
            condition = CONDITIONS.get(key)
            if condition is None:
                hint = allowed_keys(key, CONDITIONS, "known")
                found.append(Problem(index, f"when.{key}", f"unknown condition; {hint}"))
                continue
            message = condition.check(value)
            if message:
                found.append(Problem(index, f"when.{key}", message))
        raw_actions = raw.get("actions")
        actions: list[Action] = []
        if not isinstance(raw_actions, list) or not raw_actions:
            found.append(Problem(index, "actions", "a rule needs a list of actions"))
        else:
            for a, item in enumerate(raw_actions):
                action, action_problems = _problems_of_action(index, a, item)
                found.extend(action_problems)
                if action is not None:
                    actions.append(action)
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            found.append(Problem(index, "enabled", "must be true or false"))
        max_age = None
        if "max_age" in raw:
            try:
                max_age = guards.parse_max_age(raw["max_age"])
            except ValueError as exc:
                found.append(Problem(index, "max_age", str(exc)))
        problems.extend(found)
        if isinstance(name, str):
            rules.append(
                Rule(index, name, dict(when), tuple(actions), enabled is not False, max_age)
            )
    return rules, problems


def matches(rule: Rule, leg: CallLeg, missed_settings: Any) -> bool:
    """Whether every condition of the rule holds for the leg (pure)."""
    if not rule.enabled:
        return False
    for key, value in rule.when.items():
        condition = CONDITIONS[key]
        args = (leg, value, missed_settings) if condition.needs_settings else (leg, value)
        if not condition.match(*args):
            return False
    return True
