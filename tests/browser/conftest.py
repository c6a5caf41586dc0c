"""The browser tests' shared fixtures: one chromium for every browser test of a pytest process
(launching it is the dearest step after the server; each test still gets its own context, so no
cookie, storage or listener passes from one test to the next), and the site it visits."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest

from tests.browser import EVENT_WAIT_MS

#: How chromium is started for every browser test.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def site(gunicorn_url: str) -> str:
    """The site as users meet it: served by gunicorn with the production configuration.

    The first page a new server renders fills its caches (seen: over 60 s on a loaded machine,
    where a browser's navigation timed out); it is asked for here, once, without a browser's
    clock, so no test's wait includes it. The bound is a backstop for a server that hangs."""
    import urllib.request

    base = gunicorn_url.removesuffix("/sparql")
    for path in ("/?lang=sv", "/?lang=en", "/id/municipality/lidingo.html?lang=sv"):
        with urllib.request.urlopen(base + path, timeout=600) as first:
            first.read()
    return base


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, closed when the session ends."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is missing: run `make chromium` (scripts/ensure-chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, site):
    """A page in a context of its own that records every request to a host other than ours."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(EVENT_WAIT_MS)
    tab.foreign = []
    ours = urlparse(site).netloc
    tab.on(
        "request",
        lambda r: (
            tab.foreign.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).netloc != ours
            else None
        ),
    )
    yield tab
    context.close()
