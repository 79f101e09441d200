"""The signed-in start page (`/`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cdrhub.people.sessions import Session
from cdrhub.web.pages import guard
from cdrhub.web.pages.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: Session = Depends(guard.signed_in)) -> Response:
    return page(request, guard.lang_of(request), "home.html", user=session.user, csrf=session.csrf)
