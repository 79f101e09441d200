"""Error answers: their declared shapes (OpenAPI), 422 for out-of-bounds input, and a catch-all
that keeps Python error text away from users.

Every error body is `{"detail": ...}`: a line of text, or FastAPI's list of field errors.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, model_validator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from cdrhub.inputs import InputError

log = logging.getLogger("cdrhub.web")


class Message(BaseModel):
    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Invalid(BaseModel):
    """A 422: FastAPI's field errors, or one line naming the parameter."""

    detail: list[FieldError] | str


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes."""
    described = {
        401: "missing or wrong API key",
        404: "not found",
        409: "not possible in the item's state",
        422: "a parameter is missing, unreadable or out of bounds",
    }
    return {
        code: {"model": Invalid if code == 422 else Message, "description": described[code]}
        for code in codes
    }


# What every route behind the API key may answer besides its own results.
API_ERRORS = responses(401, 422)
NUL_TEXT = "NUL characters are not accepted"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Body(BaseModel):
    """A JSON request body. PostgreSQL's text cannot hold NUL, so no text in it may."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError(NUL_TEXT)
        return data


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
