"""Browser tests: Debian's Chromium, headless, through Playwright, against a real `cdrhub serve`
(SQLite in a temporary folder, the worker off) with real CDRs posted to its ingest endpoint.

Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it when missing):
Playwright's own browser download cannot work here. Without it the tests skip, except under
CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serverproc import ServerProcess, start_server

CHROMIUM = "/usr/bin/chromium"
TOKEN = "test-ingest-token-0123456789"
API_KEY = "test-api-key-0123456789"
PASSWORD = "correct horse battery"
# Screenshots of every page in both languages land here (ignored by git; README shows two).
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

pytestmark = pytest.mark.browser


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, and later tests that call asyncio.run() there would fail.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def vc() -> Iterator[Any]:
    """A local server that answers like Voicenter's Click2Call."""
    from tests.automations.fakes import FakeServer, click2call_responder

    with FakeServer(click2call_responder("VC")) as server:
        yield server


@pytest.fixture
def serve(tmp_path: Path, vc: Any) -> Iterator[ServerProcess]:
    """A fresh cdrhub with no users yet, its worker on, Click2Call pointed at `vc`."""
    config = tmp_path / "cdrhub.toml"
    config.write_text(
        f'[channels.voicenter]\ncode = "VC"\nbase_url = "{vc.url}"\n', encoding="utf-8"
    )
    env = {
        "CDRHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'cdrhub.db'}",
        "CDRHUB_INGEST_TOKEN": TOKEN,
        "CDRHUB_API_KEY": API_KEY,
        "CDRHUB_CONFIG": str(config),
    }
    server = start_server(env, timeout=60)
    yield server
    server.stop()


def add_user(server: ServerProcess, email: str, role: str, *options: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdrhub.cli",
            "users",
            "add",
            email,
            "--role",
            role,
            "--password",
            PASSWORD,
            *options,
        ],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def sign_in(
    browser: Any, server: ServerProcess, email: str, locale: str = "en-US", **options: Any
) -> Any:
    """A new browser context (`options`: more of new_context's) signed in as `email`; returns
    its page, on the Live page."""
    context = browser.new_context(locale=locale, base_url=server.base_url, **options)
    page = context.new_page()
    page.goto("/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server.base_url}/")
    return page


def setup_link(server: ServerProcess) -> str:
    found = re.search(r"Dashboard set-up \(one-time link[^)]*\): (\S+)", server.log_tail(20000))
    assert found is not None, server.log_tail()
    return found.group(1)


def post_cdr(server: ServerProcess, body: bytes) -> None:
    answer = httpx.post(
        f"{server.base_url}/voicenter/cdr/{TOKEN}",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def live_cdr(name: str = "queue-abandoned.json", minutes_ago: float = 2, **changes: Any) -> bytes:
    """A sample CDR as a call of a few minutes ago."""
    import json

    from tests.automations.helpers import recent

    return json.dumps(recent(name, minutes_ago, **changes)).encode()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
