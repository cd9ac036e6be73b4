"""Headless Debian Chromium through Playwright, for the browser tests."""

from __future__ import annotations

import os

import pytest

from tests.conftest import CHROMIUM
from tests.e2e.helpers import PHONE

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium():
    """A browser; each test opens its own contexts (closed with the browser)."""
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=FLAGS, chromium_sandbox=False, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def phone(chromium):
    """Opens a Chromium page on a 390 x 844 phone screen whose browser asks for `language`."""

    def open_page(language: str):
        context = chromium.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            extra_http_headers={"Accept-Language": f"{language},{language}-IQ;q=0.9"},
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    return open_page
