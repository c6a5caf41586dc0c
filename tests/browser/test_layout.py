"""Every kind of page fits a phone (issue #24, item 1), and the pictures obey the
Content-Security-Policy (item 5), in Debian's chromium.

A page fits when the document is no wider than the viewport: nothing scrolls sideways, wide
tables scroll inside their own box. Each kind of page is opened at 390 px (a phone) and at
1280 px (a laptop); the CSP is the site's own (no ``bypass_csp``), and every
``securitypolicyviolation`` event or console error on the way is a failure.
"""

from __future__ import annotations

import pytest

from tests.browser import EVENT_WAIT_MS
from tests.browser.test_accessibility import PAGES

pytestmark = pytest.mark.browser

#: Kinds of page that the accessibility list does not open, each with its ready selector.
MORE_PAGES: list[tuple[str, str, str]] = [
    ("jury", "/id/jury/2019.html?lang=sv", "h1"),
    ("post", "/id/post/daniel-broman-lidingo-2019.html?lang=en", "h1"),
    ("place", "/id/place/goteborgsoperan.html?lang=sv", "h1"),
    ("quantity", "/id/quantity/001-digitala-projekt.html?lang=en", "h1"),
    ("source-text-en", "/id/source/000.html?lang=en", "pre.text"),
    ("list-editions", "/id/edition/?lang=en", "table.list"),
    ("map-en", "/map?lang=en", "svg path.sweden"),
]
ALL_PAGES = PAGES + MORE_PAGES
WIDTHS = [390, 1280]

#: Collects CSP violations in the page itself, before any of the page's own scripts run.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || e.sample || '')));
"""


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def tab(request, browser):
    """A tab at one width that records console errors and CSP violations."""
    width = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width < 600 else 900},
        device_scale_factor=1,
        is_mobile=width < 600,
        has_touch=width < 600,
    )
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(EVENT_WAIT_MS)
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.width = width
    yield page
    context.close()


def document_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize(("name", "path", "ready"), ALL_PAGES, ids=[p[0] for p in ALL_PAGES])
def test_page_fits_the_screen(tab, site, name, path, ready) -> None:
    tab.goto(site + path)
    tab.wait_for_selector(ready, timeout=EVENT_WAIT_MS)
    tab.wait_for_load_state("load")
    width = document_width(tab)
    assert width <= tab.width, f"{name} is {width} px wide at {tab.width} px"


@pytest.fixture(scope="module")
def policed(browser):
    """One tab under the site's own CSP that records violations and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(EVENT_WAIT_MS)
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


@pytest.mark.parametrize(("name", "path", "ready"), ALL_PAGES, ids=[p[0] for p in ALL_PAGES])
def test_page_obeys_the_content_security_policy(policed, site, name, path, ready) -> None:
    """No inline style or script is blocked anywhere: the pictures use attributes and classes,
    the workbench's YASGUI stylesheets are allowed by hash (kg.web.site.workbench_policy)."""
    policed.errors.clear()
    policed.goto(site + path)
    policed.wait_for_selector(ready, timeout=EVENT_WAIT_MS)
    policed.wait_for_load_state("load")
    assert policed.evaluate("() => window.__violations") == []
    # a missing page answers 404, which chromium reports as a console error by design
    errors = [e for e in policed.errors if not (name == "not-found" and "404" in e)]
    assert errors == []


def test_wide_tables_scroll_in_a_labelled_box_that_keyboards_reach(browser, site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(EVENT_WAIT_MS)
    page.goto(site + "/downloads?lang=en")
    boxes = page.locator(".table-scroll")
    assert boxes.count() >= 1
    box = boxes.first
    assert box.get_attribute("tabindex") == "0"
    assert box.get_attribute("role") == "region" and box.get_attribute("aria-label")
    overflow = "() => getComputedStyle(document.querySelector('.table-scroll')).overflowX"
    assert page.evaluate(overflow) == "auto"
    context.close()


def test_narrow_screens_get_a_menu_button_that_opens_the_navigation(browser, site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(EVENT_WAIT_MS)
    page.goto(site + "/?lang=en")
    row = page.locator("header.top nav.wide a[href^='/downloads']")
    nav = page.locator("header.top details.menu nav a[href^='/downloads']")
    assert not row.is_visible() and not nav.is_visible()  # folded away on a phone
    header = page.evaluate("() => document.querySelector('header.top').offsetHeight")
    assert header <= 130, f"the header takes {header} px of the first screen"
    page.locator("header.top summary.menu").click()
    assert nav.is_visible()
    nav.click()
    assert "/downloads" in page.url
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 900})
    page = wide.new_page()
    page.set_default_timeout(EVENT_WAIT_MS)
    page.goto(site + "/?lang=en")
    assert not page.locator("header.top summary.menu").is_visible()  # no button where it fits
    assert page.locator("header.top nav.wide a[href^='/downloads']").is_visible()
    wide.close()


def test_timeline_names_are_as_wide_as_the_served_font_draws_them(policed, site) -> None:
    """The server measures each name in Source Sans 3 (kg.web.site.drawings.font_metrics); chromium,
    with the font the page serves, must find the same width (canvas, kerning off like the SVG)."""
    policed.goto(site + "/pictures?lang=sv")
    policed.wait_for_selector("svg text.winner")
    found = policed.evaluate(
        """async () => {
          await document.fonts.load("13px 'Source Sans 3'");
          await document.fonts.load("700 13px 'Source Sans 3'");
          const ctx = document.createElement('canvas').getContext('2d');
          ctx.fontKerning = 'none';
          return [...document.querySelectorAll('svg text.winner, svg text.nominee')].map(t => {
            ctx.font = (t.classList.contains('winner') ? '700 ' : '') + "13px 'Source Sans 3'";
            return [t.textContent, ctx.measureText(t.textContent).width,
                    parseFloat(t.getAttribute('textLength'))];
          });
        }"""
    )
    assert len(found) > 30
    assert policed.evaluate("() => document.fonts.check(\"13px 'Source Sans 3'\")")
    off = [(name, drawn, given) for name, drawn, given in found if abs(drawn - given) > 0.25]
    assert off == []
