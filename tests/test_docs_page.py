"""`/docs` works without internet: every asset it loads is served by the app itself, and its
Content-Security-Policy allows nothing from elsewhere (so no inline script either)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from starlette.testclient import TestClient

from cdrhub.config import load_settings
from cdrhub.web.app import create_app

BASE = "http://testserver/docs"
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class Assets(HTMLParser):
    """The URLs a page loads, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.script_texts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "data-openapi-url") and value is not None:
                self.urls.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_texts.append(data)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(
        env={},
        database_url=f"sqlite:///{tmp_path / 'docs.db'}",
        ingest_token="test-ingest-token-0123456789",
        api_key="test-api-key-0123456789",
        run_worker=False,
        ingest_writer="thread",
    )
    app = create_app(settings)
    yield TestClient(app)
    app.state.engine.dispose()


def test_docs_loads_only_its_own_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "http" not in page.text  # no absolute URL at all, so no outside host
    assets = Assets()
    assets.feed(page.text)
    assert assets.script_texts == []  # no inline script: the CSP would block it
    assert assets.urls == [
        "static/vendor/swagger-ui-dist/swagger-ui.css",
        "static/vendor/swagger-ui-dist/favicon-32x32.png",
        "openapi.json",
        "static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        "static/docs/swagger-init.js",
    ]
    for url in assets.urls:
        absolute = urljoin(BASE, url)
        assert urlsplit(absolute).netloc == "testserver"
        assert client.get(absolute).status_code == 200, url


def test_swagger_starts_from_a_file_that_fetches_nothing_elsewhere(client: TestClient) -> None:
    script = client.get("/static/docs/swagger-init.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle({" in script.text
    assert "validatorUrl: null" in script.text  # else the badge is fetched from swagger.io
    assert "http" not in script.text


def test_redoc_is_off(client: TestClient) -> None:
    # ReDoc would load its script from a CDN
    assert client.get("/redoc").status_code == 404
