"""The access log: one info line per HTTP request, as a pure ASGI middleware (logger
`cdrhub.access`), written when the answer is complete (a stream when it closes).

A URL can carry secrets and phone numbers, and the log must hold neither (docs/deploy.md,
"Logs"). What is logged of a request is its client address, method, path and query, status and
milliseconds, never a header; before it is written:

- the ingest token in `/voicenter/cdr/<token>` becomes `[redacted]`, and so do secret-named
  query parameters (`token`, `key`, `api_key`, `sig`, ..., `cdrhub.redact`) and the configured
  secrets wherever they appear;
- the number in `/contacts/<phone>`, `/optouts/<number>` and in query parameters named like a
  number (`phone`, `number`, `caller`, `target`, `did`), and any other run of seven digits or
  more, becomes `[number]`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cdrhub.logs import printable
from cdrhub.redact import redact_query, redact_text

log = logging.getLogger("cdrhub.access")

NUMBER = "[number]"
# the ingest token, and the wallboard's screen links (a capability in the path)
_TOKEN_PATH = re.compile(r"^(/voicenter/cdr/|/wall/s/)[^/]+")
_NUMBER_PATH = re.compile(r"(/(?:contacts|optouts)/)(?!\d{1,6}(?:/|$))[^/]+")
_NUMBER_PARAM = re.compile(r"(?i)(^|&)(phone|number|caller|target|did|e164)=[^&]*")
_DIGITS = re.compile(r"\d{7,}")


def redacted_target(path: str, query: str, secrets: Sequence[str] = ()) -> str:
    """What the access log shows of a request's path and query (pure)."""
    path = _TOKEN_PATH.sub(r"\1[redacted]", path)
    # the general redaction only where it can find something (it is most of the cost)
    if any(s in path for s in secrets) or "=" in path:
        path = redact_text(path, secrets)
    if "/contacts/" in path or "/optouts/" in path:
        path = _NUMBER_PATH.sub(rf"\1{NUMBER}", path)
    path = _DIGITS.sub(NUMBER, path)
    if not query:
        return printable(path)
    query = _NUMBER_PARAM.sub(rf"\1\2={NUMBER}", redact_query(query, secrets))
    return printable(f"{path}?{_DIGITS.sub(NUMBER, query)}")


class AccessLog:
    def __init__(self, app: ASGIApp, secrets: Iterable[str | None] = ()) -> None:
        self.app = app
        self.secrets = tuple(s for s in secrets if s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before starting its answer

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._write(scope, status, started)

    def _write(self, scope: Scope, status: int, started: float) -> None:
        client = scope.get("client")
        address = client[0] if client else "-"
        target = redacted_target(
            scope.get("path", ""), scope.get("query_string", b"").decode("latin-1"), self.secrets
        )
        method = scope.get("method", "-")
        ms = round((time.perf_counter() - started) * 1000, 1)
        fields = {"client": address, "method": method, "path": target, "status": status, "ms": ms}
        log.info(
            '%s "%s %s" %s %s ms', address, method, target, status, ms, extra={"fields": fields}
        )
