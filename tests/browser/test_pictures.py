"""The map and the timeline as a person sees them, in Debian's chromium."""

from __future__ import annotations

import pytest

from tests.browser import EVENT_WAIT_MS
from tests.browser.test_site import shot
from tests.browser.test_workbench import open_editor

pytestmark = pytest.mark.browser

OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('svg text.winner, svg text.nominee')]
    .map(t => ({name: t.textContent, r: t.getBoundingClientRect()}));
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].r, b = boxes[j].r;
    const apart = a.right - 0.5 <= b.left || b.right - 0.5 <= a.left
      || a.bottom - 0.5 <= b.top || b.bottom - 0.5 <= a.top;
    if (!apart) hits.push(boxes[i].name + ' / ' + boxes[j].name);
  }
  return {count: boxes.length, hits};
}"""


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_two_names_in_the_timeline_overlap(page, site, lang: str) -> None:
    """Issue #16: Kungsbacka/Lomma (2017) and Upplands-Bro/Växjö (2021) ran into each other."""
    page.goto(f"{site}/pictures?lang={lang}")
    found = page.evaluate(OVERLAPS)
    assert found["count"] > 30
    assert found["hits"] == []
    shot(page, f"pictures-{lang}")


INSIDE = """() => {
  const sweden = document.querySelector('svg path.sweden');
  const svg = sweden.ownerSVGElement;
  const out = [];
  for (const a of document.querySelectorAll('svg a.place')) {
    const mark = a.querySelector('circle, path');
    const box = mark.getBBox();
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    let inside = false;
    for (const [dx, dy] of [[0,0],[3,0],[-3,0],[0,3],[0,-3]]) {
      const p = svg.createSVGPoint(); p.x = cx + dx; p.y = cy + dy;
      if (sweden.isPointInFill(p)) { inside = true; break; }
    }
    if (!inside) out.push(a.getAttribute('data-iri'));
  }
  return {count: document.querySelectorAll('svg a.place').length, outside: out};
}"""


def test_every_point_lies_in_sweden_and_leads_to_its_profile(page, site) -> None:
    page.goto(f"{site}/map?lang=en")
    found = page.evaluate(INSIDE)
    assert found["outside"] == []
    shot(page, "map-en")
    if found["count"] == 0:
        pytest.fail("no municipality has coordinates: the links graph is missing")
    first = page.locator("svg a.place").first
    iri = first.get_attribute("data-iri")
    first.click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith(iri.rsplit("/id/", 1)[1] + ".html")


def test_the_edition_filter_works_without_javascript(browser, site) -> None:
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.set_default_timeout(EVENT_WAIT_MS)
    tab.goto(f"{site}/map?lang=sv")
    tab.get_by_role("link", name="2019", exact=True).click()
    assert "edition=2019" in tab.url
    assert tab.locator('nav.filters a[aria-current="page"]').inner_text() == "2019"
    assert tab.locator("svg a.place.won").count() >= 1
    context.close()


def test_the_workbench_completes_our_own_terms_with_labels(page, site) -> None:
    """Issue #16: typing dk: offers our classes and properties, asked of this host only."""
    open_editor(page, f"{site}/sparql?lang=en")
    page.evaluate(
        "() => { const cm = document.querySelector('.yasqe .CodeMirror').CodeMirror;"
        " cm.setValue(''); cm.focus(); }"
    )
    page.keyboard.type("SELECT * WHERE { ?x a dk:Mun")
    page.keyboard.press("Control+Space")
    hints = page.locator(".CodeMirror-hints li")
    hints.first.wait_for(timeout=EVENT_WAIT_MS)
    texts = hints.all_inner_texts()
    assert any(t.startswith("dk:Municipality") and "municipality" in t.lower() for t in texts)
    page.keyboard.press("Enter")
    page.keyboard.type(" ; dk:forEd")
    page.keyboard.press("Control+Space")
    page.locator(".CodeMirror-hints li").first.wait_for(timeout=EVENT_WAIT_MS)
    assert any(
        t.startswith("dk:forEdition")
        for t in page.locator(".CodeMirror-hints li").all_inner_texts()
    )
    value = page.evaluate(
        "() => document.querySelector('.yasqe .CodeMirror').CodeMirror.getValue()"
    )
    assert "dk:Municipality" in value
    assert page.foreign == []
