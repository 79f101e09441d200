"""Rendering the dashboard's pages: one Jinja environment per language (gettext and Babel's
number and date formats installed), every page answered with the dashboard's security headers."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import NumberPattern, parse_pattern
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cdrhub.web import i18n

TEMPLATES = Path(__file__).parent.parent / "templates" / "pages"

# No inline script or style anywhere: every script and stylesheet is a file of ours.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@functools.cache
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


@functools.cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    locale = "he_IL" if lang == "he" else "en_IL"
    # what format_decimal and format_percent do, with the locale and the patterns parsed once:
    # a report of a year by day formats some 4,000 numbers
    parsed = Locale.parse(locale)
    env.filters["number"] = lambda v, digits=0: _pattern(
        f"#,##0.{'0' * digits}" if digits else "#,##0"
    ).apply(v, parsed)
    env.filters["percent"] = lambda v: _pattern("#,##0.0%").apply(v, parsed)
    env.globals["lang"] = lang
    env.globals["dir"] = i18n.DIRECTION[lang]
    env.globals["locale"] = locale
    return env


def local_time(value: datetime | None, zone: ZoneInfo, lang: str, style: str = "short") -> str:
    """A naive UTC instant in the account's zone, in the user's language."""
    if value is None:
        return ""
    locale = "he_IL" if lang == "he" else "en_IL"
    return format_datetime(value.replace(tzinfo=ZoneInfo("UTC")), style, tzinfo=zone, locale=locale)


def page(
    request: Request,
    lang: str,
    name: str,
    status_code: int = 200,
    *,
    media_hosts: tuple[str, ...] = (),
    **context: Any,
) -> HTMLResponse:
    """A page with the security headers; `media_hosts` (https origins) may also serve its
    `<audio>` (recordings played from Voicenter's own hosts)."""
    html = environment(lang).get_template(name).render(request=request, **context)
    headers = HEADERS
    if media_hosts:
        policy = CSP.replace("media-src 'self'", " ".join(("media-src 'self'", *media_hosts)))
        headers = {**HEADERS, "Content-Security-Policy": policy}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def redirect(url: str) -> RedirectResponse:
    """A redirect after a form (303: the browser follows with GET)."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)
