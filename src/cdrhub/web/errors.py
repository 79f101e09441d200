"""Error answers installed on the app: 422 for out-of-bounds input (and NUL characters), and a
catch-all that keeps Python error text away from users. The answers' declared shapes (OpenAPI)
live in `cdrhub.httpapi`, below the domains whose routes declare them.

Every error body is `{"detail": ...}`: a line of text, or FastAPI's list of field errors.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from cdrhub.httpapi import NUL_TEXT
from cdrhub.inputs import InputError

log = logging.getLogger("cdrhub.web")


class RejectNul:
    """422 for an API or widget request whose path or query string holds a NUL character (as
    %00), before any route reads it: PostgreSQL refuses NUL in text parameters, even in a WHERE
    clause. (Ingest is left alone: it quarantines what it cannot store.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(("/api/", "/embed/")):
            query = scope["query_string"]
            if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
                await JSONResponse({"detail": NUL_TEXT}, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answer, except that a body it cannot decode (not UTF-8) is a 422 like every
    other unreadable input, rather than a 400."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        return JSONResponse({"detail": str(exc.detail)}, status_code=422)
    return await http_exception_handler(request, exc)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    # The route's template, not the path: an ingest path carries the token.
    route = request.scope.get("route")
    where = getattr(route, "path", "?")
    log.error("unexpected error in %s %s", request.method, where, exc_info=exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_middleware(RejectNul)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Served by Starlette's outermost middleware, which then re-raises for the server's log.
    app.add_exception_handler(Exception, _internal_error)
