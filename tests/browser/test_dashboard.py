"""The dashboard in Chromium: first run, sign-in and sign-out, right to left, live pop-ups by
scope, a call back that rings once, and the item leaving live when the customer is reached."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.browser.conftest import (
    PASSWORD,
    add_user,
    live_cdr,
    post_cdr,
    setup_link,
    shot,
    sign_in,
)
from tests.serverproc import ServerProcess


def test_first_run_set_up_link_makes_the_admin_who_signs_in(
    chromium: Any, serve: ServerProcess
) -> None:
    context = chromium.new_context(locale="he-IL")
    page = context.new_page()
    page.goto(setup_link(serve))
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    shot(page, "setup-he")
    page.fill('input[name="email"]', "boss@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.fill('input[name="password2"]', PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{serve.base_url}/")
    assert page.locator("h1").first.inner_text() == "היום"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    shot(page, "live-he")
    # signing out ends the session on the server: its cookie opens nothing afterwards
    cookies = context.cookies()
    page.click("text=יציאה")
    page.wait_for_url(f"{serve.base_url}/login")
    again = chromium.new_context(locale="en-US")
    again.add_cookies(cookies)
    other = again.new_page()
    other.goto(f"{serve.base_url}/")
    assert other.url.startswith(f"{serve.base_url}/login")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    shot(other, "login-en")
    # the set-up link is spent
    assert httpx.get(setup_link(serve)).status_code == 404


def test_english_pages_run_left_to_right(chromium: Any, serve: ServerProcess) -> None:
    add_user(serve, "boss@example.com", "admin")
    page = sign_in(chromium, serve, "boss@example.com", "en-US")
    assert page.locator("h1").first.inner_text() == "Today"
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    shot(page, "live-en")


def test_a_cross_site_post_is_refused(chromium: Any, serve: ServerProcess) -> None:
    add_user(serve, "boss@example.com", "admin")
    page = sign_in(chromium, serve, "boss@example.com")
    csrf = page.locator('meta[name="csrf"]').get_attribute("content")
    answer = page.request.post(
        f"{serve.base_url}/logout", form={"csrf": csrf}, headers={"Origin": "http://evil.example"}
    )
    assert answer.status == 403
    page.reload()
    assert page.url == f"{serve.base_url}/"  # still signed in


def test_a_missed_call_pops_up_in_scope_rings_once_and_leaves_when_returned(
    chromium: Any, serve: ServerProcess, vc: Any
) -> None:
    add_user(serve, "sales@example.com", "manager", "--queue", "Sales Queue", "--extension", "201")
    add_user(serve, "support@example.com", "agent", "--queue", "Support")
    manager = sign_in(chromium, serve, "sales@example.com")
    agent = sign_in(chromium, serve, "support@example.com")
    for page in (manager, agent):
        page.wait_for_function("document.getElementById('stream-state').textContent !== ''")
    posted = time.monotonic()
    post_cdr(serve, live_cdr())
    popup = manager.locator(".popup")
    popup.wait_for(timeout=2000)
    assert time.monotonic() - posted < 2.0
    assert popup.locator(".p-number").inner_text() == "050-123-4567"
    assert popup.locator(".p-queue").inner_text() == "Sales Queue"
    shot(manager, "popup-en")
    # the row added live carries the row's actions, aimed at this item
    row = manager.locator("#callbacks tbody tr").first
    item = row.get_attribute("data-item")
    actions = row.locator("form").evaluate_all("forms => forms.map(f => f.getAttribute('action'))")
    assert actions == [
        f"/callbacks/{item}/call",
        f"/callbacks/{item}/assign",
        f"/callbacks/{item}/close",
    ]
    time.sleep(1.0)
    assert agent.locator(".popup").count() == 0
    # "call back", clicked twice: Voicenter is asked once, with the user's extension
    popup.locator('button[data-do="call"]').dblclick()
    deadline = time.monotonic() + 10
    while not vc.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    assert len(vc.requests) == 1
    assert (vc.requests[0].query["phone"], vc.requests[0].query["target"]) == (
        ["201"],
        ["0501234567"],
    )
    # the returned call's CDR closes the item: its row and pop-up leave the page live
    post_cdr(serve, live_cdr("outgoing-answered.json", 0.5, target="972501234567"))
    manager.locator(".popup").wait_for(state="detached", timeout=5000)
    assert manager.locator("#callbacks tbody tr").count() == 0
