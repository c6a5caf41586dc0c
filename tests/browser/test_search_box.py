"""The header search box in chromium: type a name without its diacritics, land on the results,
open the thing; and the type-ahead, a WAI-ARIA 1.2 combobox driven by keyboard
(tests/browser/test_site.py holds the shared browser fixtures)."""

from __future__ import annotations

import pytest

from tests.browser.test_site import browser, page, shot, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_typing_in_the_header_search_box_lands_on_the_thing(page, site) -> None:  # noqa: F811
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


def test_type_ahead_is_a_combobox_driven_by_keyboard(page, site) -> None:  # noqa: F811
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
