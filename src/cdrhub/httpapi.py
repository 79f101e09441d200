"""The HTTP answers every JSON route declares (OpenAPI), and the base of its request bodies.

Machinery below the domains: their routers and the web app's both import it; it imports only
fastapi and pydantic, nothing of the web app, the CLI or a domain. The app-level handlers that
produce these answers are installed by `cdrhub.web.errors`.

Every error body is `{"detail": ...}`: a line of text, or FastAPI's list of field errors.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator


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
