"""The header search box in chromium: type a name without its diacritics, land on the results,
open the thing; and the type-ahead, a WAI-ARIA 1.2 combobox driven by keyboard
(tests/browser/test_site.py holds the shared browser fixtures)."""

from __future__ import annotations

import pytest

from tests.browser.test_site import shot

pytestmark = pytest.mark.browser


def test_typing_in_the_header_search_box_lands_on_the_thing(page, site) -> None:
    page.goto(site + "/examples?lang=en")
    box = page.get_by_role("combobox", name="Search the graph")
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


def test_type_ahead_is_a_combobox_driven_by_keyboard(page, site) -> None:
    page.goto(site + "/examples?lang=en")
    box = page.get_by_role("combobox", name="Search the graph")
    assert box.get_attribute("aria-expanded") == "false"
    listbox_id = box.get_attribute("aria-controls")
    box.press_sequentially("lidi")
    listbox = page.get_by_role("listbox")
    options = listbox.get_by_role("option")
    options.first.wait_for()
    assert listbox.get_attribute("id") == listbox_id
    assert box.get_attribute("aria-expanded") == "true"
    assert "Lidingö Municipality" in options.first.inner_text()
    assert box.get_attribute("aria-activedescendant") is None
    box.press("ArrowDown")
    first_id = options.first.get_attribute("id")
    assert box.get_attribute("aria-activedescendant") == first_id
    assert options.first.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "site-search-q"  # focus stays put
    shot(page, "search-suggest")
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    assert box.input_value() == "lidi"
    box.press("ArrowDown")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("Enter")
    page.wait_for_url("**/id/municipality/lidingo.html?lang=en")
    assert page.foreign == []


@pytest.mark.parametrize(
    ("path", "box_id"),
    [("/?lang=en", "home-search-q"), ("/search?q=kommun&lang=en", "search-q")],
)
def test_the_big_search_boxes_have_type_ahead_too(page, site, path, box_id) -> None:
    """The home page's and the search page's own boxes are the same combobox as the
    header's (static/search-suggest.js), with their own listbox, hint and status."""
    page.goto(site + path)
    box = page.locator(f"#{box_id}")
    assert box.get_attribute("role") == "combobox"
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox"
    assert page.locator("#" + box.get_attribute("aria-describedby")).count() == 1
    box.fill("")
    box.press_sequentially("lidi")
    options = listbox.get_by_role("option")
    options.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert "Lidingö Municipality" in options.first.inner_text()
    assert page.locator("#site-search-list").is_hidden()  # the header's list stays shut
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    assert page.evaluate("document.activeElement.id") == box_id
    box.press("Enter")
    page.wait_for_url("**/id/municipality/lidingo.html?lang=en")
    assert page.foreign == []
