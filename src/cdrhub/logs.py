"""One logging set-up for every process cdrhub starts: `serve` (and each of its `--workers`),
the ingest writer process, `cdrhub worker`.

Lines go to standard error, as text (`2026-12-05T17:07:49.123+00:00 INFO cdrhub.access ...`)
or, with `log_format = "json"`, one JSON object a line: `ts` (ISO 8601 with its zone),
`level`, `logger`, `msg` and `fields` (what a line carries as data, given as
`extra={"fields": {...}}`). uvicorn's loggers go through the same handler.

Phone numbers appear only in debug lines: a line at info or above never carries a CDR's numbers
(docs/deploy.md, "Logs").
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from datetime import UTC, datetime
from typing import Any

from cdrhub.config import Settings

# uvicorn's own loggers: their handlers are dropped and they propagate to ours.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    """`<ts> <LEVEL> <logger> <message>`, and the traceback if any, on following lines."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line; a traceback goes in `exc` (its newlines escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "fields": _fields(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a line is written, not when it was set up: a
    tool that swaps it for a while (a test runner capturing a command's output) then closes
    it must not leave the logs writing to a closed file."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def dict_config(settings: Settings) -> dict[str, Any]:
    """The `logging.config.dictConfig` of these settings; uvicorn is handed the same, so that
    every worker process it spawns sets itself up alike."""
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"cdrhub": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"stderr": {"class": f"{__name__}.StderrHandler", "formatter": "cdrhub"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "cdrhub": {"level": level},
            **{
                name: {"handlers": [], "level": level, "propagate": True}
                for name in UVICORN_LOGGERS
            },
        },
    }


def configure(settings: Settings) -> None:
    """Set this process's logging up from the settings (idempotent)."""
    logging.config.dictConfig(dict_config(settings))


def printable(value: object) -> str:
    """A value from a request or a CDR made safe for one text log line: control characters
    (a newline could forge a line) escaped as `\\n`, `\\x1b`."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
