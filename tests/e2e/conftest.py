"""Browser tests: the real app served on loopback, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from inspect_app import create_app
from inspect_app.extensions import db

from ..conftest import FAST_SETTINGS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TABLET = {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "device_scale_factor": 1}


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture
def live_server(app, _database, monkeypatch) -> Iterator[LiveServer]:
    """The test's app, served for real on 127.0.0.1 (a secure context, so the service worker runs)."""
    if _database["kind"] != "sqlite":
        pytest.skip("browser tests run on SQLite")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tablet(chromium):
    """A fresh tablet-sized browser profile with touch."""
    context = chromium.new_context(**TABLET, locale="zh-CN")
    context.set_default_timeout(15000)
    yield context
    context.close()


def log_in(page, server: LiveServer, username: str, password: str = "Demo@2026") -> None:
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def fresh_session() -> None:
    """Start the test's own database view afresh, to read what the browser's requests committed."""
    db.session.remove()


__all__ = ["FAST_SETTINGS", "LiveServer", "create_app", "fresh_session", "log_in"]
