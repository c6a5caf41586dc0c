"""The website in a real browser: Debian's chromium driven by Playwright.

`make test` installs chromium with apt when it is missing (scripts/ensure-chromium.sh); the
tests are marked `browser` and run in CI like every other test. Screenshots of the main pages
are kept under build/screenshots/ so that a person can look at them.
"""

from __future__ import annotations

import pytest

from tests.browser import EVENT_WAIT_MS
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SHOTS = ROOT / "build" / "screenshots"


def shot(tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_example_query_in_the_workbench_shows_rows(page, site) -> None:
    page.goto(site + "/examples?lang=en")
    page.click("text=Winners by year >> xpath=ancestor::section//a[contains(@class,'workbench')]")
    page.wait_for_selector(".yasr table tbody tr", timeout=EVENT_WAIT_MS)
    rows = page.locator(".yasr table tbody tr")
    assert rows.count() == 12
    assert "Kalix" in page.locator(".yasr").inner_text()
    assert "query=" in page.url  # the state is in the URL, so the link can be shared
    shot(page, "workbench")
    # the shared link reproduces the result
    page.goto(page.url)
    page.wait_for_selector(".yasr table tbody tr", timeout=EVENT_WAIT_MS)
    assert page.locator(".yasr table tbody tr").count() == 12
    assert page.foreign == []


def test_result_links_to_our_iris_stay_on_this_host(page, site) -> None:
    """Regression: IRIs in the result table pointed at w3id.org, which fails offline."""
    page.goto(site + "/sparql?lang=en")
    page.select_option("#example-picker", "winners-by-year")
    page.wait_for_selector(".yasr table tbody tr", timeout=EVENT_WAIT_MS)
    page.locator(".yasr table tbody a[data-iri$='/id/edition/2019']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(site + "/id/edition/2019")
    assert "2019" in page.locator("h1").inner_text()
    assert page.foreign == []


def test_example_picker_in_the_workbench(page, site) -> None:
    page.goto(site + "/sparql?lang=en")
    page.select_option("#example-picker", "quotes-per-source")
    page.wait_for_selector(".yasr table tbody tr", timeout=EVENT_WAIT_MS)
    assert page.locator(".yasr table tbody tr").count() == 5
    assert page.foreign == []


def test_from_home_to_an_entity_and_on_to_its_source_passage(page, site) -> None:
    page.goto(site + "/?lang=en")
    shot(page, "home")
    page.click("a.source:has-text('Lidingö stad vill göra det svåra enkelt')")
    page.wait_for_selector("pre.text a.passage")
    shot(page, "source-000")
    page.click("a#q-000-penje-helhet")
    page.wait_for_selector("blockquote")
    assert "Vi har skapat en helhet" in page.locator("blockquote").inner_text()
    shot(page, "statement")
    page.click("a.in-context")
    page.wait_for_selector(":target")
    assert page.locator(":target").get_attribute("id") == "q-000-penje-helhet"
    assert page.foreign == []


def test_switching_language_keeps_the_choice_in_the_url(page, site) -> None:
    page.goto(site + "/id/municipality/lidingo")
    assert page.url.endswith("lidingo.html?lang=en")  # Accept-Language en-GB
    assert page.locator("p.lead").first.inner_text().startswith("Lidingö Municipality is a")
    assert page.locator(".profile h2").first.inner_text() == "In short"  # then the profile
    assert page.locator("#linked-data h3", has_text="Facts").count() == 1  # folded below
    page.click("a.lang-switch[hreflang=sv]")
    assert "lang=sv" in page.url
    assert page.locator("html").get_attribute("lang") == "sv"
    assert "Uppgifter" in page.content()
    shot(page, "entity-lidingo-sv")
    page.click("a[href^='/id/county/']")
    assert "lang=sv" in page.url  # the choice follows the links
    assert page.foreign == []


@pytest.mark.parametrize(
    "path",
    ["/", "/pictures", "/downloads", "/examples", "/ontology", "/id/source/003.html", "/nowhere"],
)
def test_no_page_asks_another_host(page, site, path: str) -> None:
    page.goto(site + path + ("&" if "?" in path else "?") + "lang=en")
    page.wait_for_load_state("networkidle")
    if path in ("/pictures", "/downloads"):
        shot(page, path.strip("/"))
    assert page.foreign == []


@pytest.mark.parametrize(
    ("lang", "other", "label"), [("sv", "en", "utmärkelseomgång"), ("en", "sv", "award edition")]
)
def test_ontology_diagram_in_the_pages_language_leads_to_the_term(
    page, site, lang, other, label
) -> None:
    """Issue #19: the page embeds the diagram in its own language; a box links to its term's
    entry on the same page."""
    page.goto(f"{site}/ontology?lang={lang}")
    shown = page.locator(f"figure.ontology-diagram[lang={lang}]")
    assert shown.is_visible()
    assert page.locator(f"figure.ontology-diagram[lang={other}]").count() == 0
    box = shown.locator("a[href='#AwardEdition']")
    assert label in box.text_content()
    assert box.bounding_box()["width"] > 40  # drawn, not collapsed
    if lang == "en":
        shot(page, "ontology-diagram")
    box.click()
    page.wait_for_selector(":target")
    assert page.locator(":target").get_attribute("id") == "AwardEdition"
    top = page.locator(":target").evaluate("e => e.getBoundingClientRect().top")
    # Scrolled to the entry: its top at the viewport's top, give or take the sub-pixel rounding
    # of a scroll position (seen: -0.078 px with the served web font).
    assert -1 < top < 900
    assert page.foreign == []
