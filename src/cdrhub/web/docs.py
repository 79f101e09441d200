"""`/docs`: Swagger UI from files inside the package (web/static/vendor, pinned by
scripts/vendor), so the page works without internet, under a Content-Security-Policy that
allows this origin only.

FastAPI's own `/docs` page starts Swagger UI with an inline script, which such a policy
blocks; this page loads the same start from web/static/docs/swagger-init.js instead. `/redoc`
is off (it would load ReDoc from a CDN). URLs are relative, so the page also works behind a
proxy that serves the app under a path prefix.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
SWAGGER = "static/vendor/swagger-ui-dist"

# data: images are the icons inlined in swagger-ui.css; nothing else leaves this origin.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """What the app mounts at /static."""
    return StaticFiles(directory=STATIC_DIR)


def docs_page(title: str, openapi_url: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">
<link rel="icon" type="image/png" href="{SWAGGER}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="static/docs/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    openapi_url = (request.app.openapi_url or "/openapi.json").lstrip("/")  # relative
    return HTMLResponse(
        docs_page(f"{request.app.title} API", openapi_url),
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"},
    )
