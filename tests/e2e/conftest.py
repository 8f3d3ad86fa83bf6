"""Browser fixtures: a real server on 127.0.0.1 over a fresh SQLite database, and Debian's Chromium.

    def test_something(live_server, tablet):
        live_server.run(lambda: ...)          # build data through the services, in the server's app
        page = tablet.new_page()
        login(page, live_server.url, "officer")
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

from inspect_app import create_app
from inspect_app.extensions import db

from ..conftest import FAST_SETTINGS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TABLET = {"width": 820, "height": 1180}
LANDSCAPE = {"width": 1366, "height": 1024}
PASSWORD = "Demo@2026"


@dataclass
class LiveServer:
    app: Flask
    url: str

    def run(self, work: Callable):
        """Run `work()` in the server's app context (build data with the services and the factories)."""
        with self.app.app_context():
            try:
                return work()
            finally:
                db.session.remove()


@pytest.fixture
def live_server(tmp_path, monkeypatch, seeded_demo):
    """The app served over real HTTP on a free port, on a migrated SQLite database holding the demo (a copy of
    seeded_demo, its instance folder with it)."""
    instance = tmp_path / "instance"
    shutil.copytree(seeded_demo["instance"], instance)
    shutil.copy(seeded_demo["database"], tmp_path / "e2e.db")
    monkeypatch.setenv("INSPECT_INSTANCE", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({**FAST_SETTINGS, "TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
                      "ATTACHMENTS_DIR": str(instance / "attachments")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(chromium, viewport):
    context = chromium.new_context(viewport=viewport, has_touch=True, locale="zh-CN")
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def tablet(chromium):
    """A fresh browser context the size of a portrait tablet (820×1180, touch)."""
    context = _context(chromium, TABLET)
    yield context
    context.close()


@pytest.fixture
def new_tablet(chromium):
    """More tablets, one per person: new_tablet() — each its own cookies."""
    made = []

    def make(viewport=TABLET):
        made.append(_context(chromium, viewport))
        return made[-1]

    yield make
    for context in made:
        context.close()


def login(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def sign_and_submit(page, base_url: str, inspection_id: int, unit_signer: str) -> None:
    """Draw both signatures with the finger (the mouse, here) and submit; lands on the inspection page."""
    page.goto(f"{base_url}/inspections/{inspection_id}/submit")
    for role in ("lead", "unit"):
        box = page.locator(f"canvas[data-pad={role}]").bounding_box()
        page.mouse.move(box["x"] + 30, box["y"] + 100)
        page.mouse.down()
        for step in range(1, 10):
            page.mouse.move(box["x"] + 30 + step * 45, box["y"] + 100 + (25 if step % 2 else -25))
        page.mouse.up()
    page.fill("input[name=unit_name]", unit_signer)
    page.click("form[data-sign-form] button.primary")
    page.wait_for_url(re.compile(rf"/inspections/{inspection_id}(#findings)?$"))


def wait_until(page, function: str, seconds: float = 20) -> None:
    """Poll a function in the page. (Playwright's wait_for_function compiles strings, which the strict CSP
    refuses, as it should.)"""
    deadline = time.monotonic() + seconds
    while not page.evaluate(function):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {function}")
        page.wait_for_timeout(100)


# The fill page's save indicator, as text and as state (saved / saving / pending / offline / error).
SYNC_TEXT = "document.querySelector('[data-sync-state]').textContent"
SYNC_STATE = "document.querySelector('[data-sync-state]').dataset.syncState"


def watch(page) -> list[str]:
    """Accept every confirmation (data-confirm) and collect console errors, such as CSP violations."""
    errors: list[str] = []
    page.on("dialog", lambda dialog: dialog.accept())
    page.on("console", lambda message: errors.append(f"{message.text} ({message.location.get('url', '')})")
            if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
