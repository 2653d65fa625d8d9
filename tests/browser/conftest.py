"""Browser tests: Playwright for Python driving Debian's chromium, never a downloaded one."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NRMM_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = "sudo apt-get install -y chromium fonts-wqy-zenhei"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_VIEWPORT = {"width": 375, "height": 667}

# Playwright's sync API runs an event loop in this thread; the tests read the SMS outbox
# through the ORM between steps, which Django would otherwise refuse inside a loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Content-Security-Policy violations any page of any test reported (core.middleware).
CSP_VIOLATIONS: list[str] = []


def _watch(context: object) -> object:
    def console(message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            CSP_VIOLATIONS.append(text)

    context.on("console", console)  # type: ignore[attr-defined]
    return context


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Every browser test fails if a page it opened broke the Content-Security-Policy
    (an inline script or style, a third-party request)."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"chromium not found at {CHROMIUM}; install it with: {INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests, not skip them
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        new_context = browser.new_context

        def watched_context(*args: Any, **kwargs: Any) -> object:
            return _watch(new_context(*args, **kwargs))

        browser.new_context = watched_context  # type: ignore[method-assign,assignment]
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
