"""WCAG 2.1 AA on every kind of page (issue #16, item 6): axe-core in Debian's chromium.

axe-core comes from npm through ``tools/axe`` (``make axe``, a dependency of ``make test``) and is
injected into each page after it has loaded. ``PAGES`` is the list of pages checked: one row per
kind of page, so a new kind (a search page, a map) is one more row. Every page must have zero
violations of the WCAG 2.0/2.1 A and AA rules, and keyboard users must reach the content through
a visible skip link.
"""

from __future__ import annotations

import pytest

from tests.browser import EVENT_WAIT_MS
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: (name, path, selector that shows the page has finished drawing)
PAGES: list[tuple[str, str, str]] = [
    ("home", "/?lang=sv", "main h1"),
    ("home-en", "/?lang=en", "main h1"),
    ("edition", "/id/edition/2019.html?lang=en", ".profile"),
    ("municipality", "/id/municipality/lidingo.html?lang=sv", ".profile"),
    ("person", "/id/person/daniel-broman.html?lang=en", ".profile"),
    ("statement", "/id/statement/000-juryns-motivering.html?lang=sv", ".profile"),
    ("organisation", "/id/organisation/skr.html?lang=en", ".profile"),
    ("county", "/id/county/stockholms-lan.html?lang=sv", ".profile"),
    ("initiative", "/id/initiative/falkenberg-inloggningsapp.html?lang=en", ".profile"),
    ("nomination", "/id/nomination/2019-lidingo.html?lang=sv", ".profile"),
    ("event", "/id/event/invigningsgala-2019.html?lang=en", ".profile"),
    ("publication", "/id/publication/kommunernas-utveckling-i-en-digital-tid.html", ".profile"),
    ("thing-without-profile", "/id/award/sveriges-digitaliseringskommun.html?lang=en", "h1"),
    ("jury", "/id/jury/2021.html?lang=sv", ".profile"),
    ("post", "/id/post/catrin-ditz-uppsala-2017.html?lang=en", "h1"),
    ("place", "/id/place/goteborgsoperan.html?lang=sv", "h1"),
    ("question", "/id/question/001-hur-arbetar-ni.html?lang=en", "h1"),
    ("quantity", "/id/quantity/001-digitala-projekt.html?lang=sv", "h1"),
    ("about", "/about", "main h1"),
    ("om", "/om", "main h1"),
    ("cite", "/cite?lang=sv", "main h1"),
    ("list", "/id/municipality/?lang=sv", "table.list"),
    ("list-sorted", "/id/nomination/?sort=-stage&lang=en", "table.list"),
    ("source-text", "/id/source/000.html?lang=sv", "pre.text"),
    ("examples", "/examples?lang=en", "main h1"),
    ("pictures", "/pictures?lang=sv", "svg"),
    ("downloads", "/downloads?lang=en", "main h1"),
    ("ontology", "/ontology?lang=en", "#classes"),
    # the first screen (a plain form); YASGUI itself is checked with a result below
    ("workbench", "/sparql?lang=en", "#query-text"),
    (
        "workbench-with-result",
        "/sparql?lang=sv&query=SELECT%20%3Fe%20%3Fy%20WHERE%20%7B%20%3Fe%20dk%3Ayear%20%3Fy%20%7D",
        ".yasr table tbody tr",
    ),
    ("not-found", "/nowhere?lang=en", "main h1"),
    ("map", "/map?lang=sv", "svg path.sweden"),
    ("map-edition", "/map?edition=2021&lang=en", "svg path.sweden"),
    ("search", "/search?q=lidingo&lang=sv", "main h1"),
    ("search-nothing", "/search?q=zzzqqq&lang=en", "main h1"),
    ("graph", "/graph/source-000.html?lang=en", "main h1"),
    ("graphs", "/graph/?lang=sv", "main h1"),
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `make axe` (tools/axe/package.json)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def tab(browser):
    """A page whose CSP lets the test inject axe; the site itself never runs inline script."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(EVENT_WAIT_MS)
    yield page
    context.close()


def violations(tab, axe_source: str) -> list[str]:
    tab.evaluate(axe_source)
    found = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' @ ' +"
        " v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))",
        WCAG_AA,
    )
    return list(found)


@pytest.mark.parametrize(("name", "path", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_page_meets_wcag_21_aa(tab, site, axe_source, name: str, path: str, ready: str) -> None:
    tab.goto(site + path)
    tab.wait_for_selector(ready, timeout=EVENT_WAIT_MS)
    assert tab.locator("html").get_attribute("lang") in ("sv", "en")
    assert violations(tab, axe_source) == []


def test_keyboard_reaches_the_content_through_a_visible_skip_link(tab, site) -> None:
    tab.goto(site + "/id/municipality/lidingo.html?lang=en")
    tab.keyboard.press("Tab")
    focused = tab.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " const r = e.getBoundingClientRect();"
        " return {text: e.textContent.trim(), href: e.getAttribute('href'),"
        " outline: s.outlineStyle, top: r.top, height: r.height}; }"
    )
    assert focused["text"] == "Skip to the content" and focused["href"] == "#main"
    assert focused["outline"] != "none" and focused["height"] > 0 and focused["top"] >= 0
    tab.keyboard.press("Enter")
    assert tab.evaluate("() => document.activeElement.id") == "main"
    tab.keyboard.press("Tab")
    first = tab.evaluate("() => document.activeElement.closest('main') !== null")
    assert first, "the next Tab stays in the content"
