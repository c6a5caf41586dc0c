"""The header search box in chromium: type a name without its diacritics, land on the results,
open the thing (tests/browser/test_site.py holds the shared browser fixtures)."""

from __future__ import annotations

import pytest

from tests.browser.test_site import browser, page, shot, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_typing_in_the_header_search_box_lands_on_the_thing(page, site) -> None:  # noqa: F811
    page.goto(site + "/examples?lang=en")
    box = page.get_by_role("searchbox", name="Search the graph")
    box.fill("lidingo")
    box.press("Enter")
    page.wait_for_url("**/search?q=lidingo*")
    first = page.locator("#kind-municipality a.search-hit").first
    assert first.inner_text() == "Lidingö Municipality"
    assert page.locator("#kind-municipality mark").first.inner_text() == "Lidingö"
    shot(page, "search-lidingo")
    first.click()
    page.wait_for_url("**/id/municipality/lidingo.html?lang=en")
    assert "Lidingö" in page.locator("h1").inner_text()
    assert page.foreign == []
