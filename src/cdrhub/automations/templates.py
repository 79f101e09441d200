"""Message templates: sandboxed Jinja over a leg's fields and its local times.

Variables: every CallLeg field (`caller`, `queue_name`, `agent_name`, `wait_seconds`, ...), plus
`customer_number` (E.164), `customer_number_local` (national format), `local_date`
(DD/MM/YYYY), `local_time` (HH:MM), `local_weekday` (English name), `rule` (the rule's name).
Missing values render as empty text; an unknown variable is an error that `rules check` finds.
"""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Any

import phonenumbers
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from cdrhub.calls.model import CallLeg

EXTRA_VARIABLES = (
    "customer_number",
    "customer_number_local",
    "local_date",
    "local_time",
    "local_weekday",
    "rule",
)
VARIABLES = frozenset({f.name for f in fields(CallLeg)} | set(EXTRA_VARIABLES))


def _finalize(value: Any) -> Any:
    return "" if value is None else value


_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)


class TemplateError(ValueError):
    pass


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    try:
        return _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        message = f"template syntax error (template line {exc.lineno}): {exc.message}"
        raise TemplateError(message) from exc


def check(source: str) -> list[str]:
    """Problems with a template: syntax errors and variables that do not exist."""
    try:
        _compile(source)
        names = meta.find_undeclared_variables(_ENV.parse(source))
    except TemplateError as exc:
        return [str(exc)]
    except TemplateSyntaxError as exc:
        return [f"template syntax error: {exc.message}"]
    unknown = sorted(names - VARIABLES)
    return [f"unknown template variable {name!r}" for name in unknown]


def _national(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def context(leg: CallLeg, rule: str | None = None) -> dict[str, Any]:
    values = {f.name: getattr(leg, f.name) for f in fields(CallLeg)}
    local = leg.started_at_local
    values.update(
        customer_number=leg.customer_number,
        customer_number_local=_national(leg.customer_number),
        local_date=local.strftime("%d/%m/%Y") if local else None,
        local_time=local.strftime("%H:%M") if local else None,
        local_weekday=local.strftime("%A") if local else None,
        rule=rule,
    )
    return values


def render(source: str, values: dict[str, Any]) -> str:
    try:
        return _compile(source).render(**values)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"template failed: {exc}") from exc
