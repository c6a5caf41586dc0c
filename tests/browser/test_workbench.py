"""The workbench in chromium (issue 25): the predefined prefixes are no errors, the default
query is a real question, the editor leaves the focus alone, syntax errors come back in
words under their line, result cells carry names and link to this server, and on a phone the
buttons do not cover the query (tests/browser/test_site.py holds the browser fixtures)."""

from __future__ import annotations

import pytest

from tests.browser import EVENT_WAIT_MS
from tests.browser.test_site import shot

pytestmark = pytest.mark.browser


def open_editor(tab, url: str) -> None:
    """Open the workbench and load its editor as a reader does: by going into the query
    (the page arrives with a plain textarea; workbench-shell.js loads YASGUI on first use)."""
    tab.goto(url)
    tab.locator("#query-text").click()
    tab.wait_for_selector(".CodeMirror")


def editor_value(tab) -> str:
    return tab.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")


def set_query(tab, text: str) -> None:
    tab.evaluate("t => document.querySelector('.CodeMirror').CodeMirror.setValue(t)", text)


def test_the_default_query_runs_with_names_and_local_links(page, site) -> None:
    open_editor(page, site + "/sparql?lang=en")
    assert "dk:AwardEdition" in editor_value(page) and "dk:Winner" in editor_value(page)
    # dk: is predefined by the server: YASQE marks nothing
    assert page.locator(".yasqe .parseErrorIcon, .yasqe .gutterErrorBar .error").count() == 0
    page.locator(".yasqe_queryButton").click()
    page.wait_for_selector(".yasr table tbody tr")
    first = page.locator(".yasr table tbody tr").first
    page.wait_for_selector(".yasr .iri-name")
    assert "Värmdö" in first.inner_text()
    link = first.locator("a[data-iri$='/id/municipality/varmdo']")
    assert link.get_attribute("href") == "/id/municipality/varmdo.html?lang=en"
    name = link.locator("xpath=following-sibling::span[@class='iri-name']").inner_text()
    assert name == "Värmdö Municipality"  # the English page's name
    shot(page, "workbench-default")
    assert page.foreign == []


def test_an_undeclared_predefined_prefix_is_not_marked(page, site) -> None:
    open_editor(page, site + "/sparql?lang=en")
    set_query(page, "SELECT ?m WHERE { ?m a dk:Municipality ; mun:x ?y }")
    assert page.locator(".yasqe .parseErrorIcon").count() == 0
    set_query(page, "SELECT ?m WHERE { ?m a nosuch:Municipality }")
    page.wait_for_selector(".yasqe .parseErrorIcon")  # a real unknown prefix still is


#: Whether the error widget is drawn below the query's second line.
UNDER_LINE_2 = """() => {
    const error = document.querySelector(".query-error");
    const line = document.querySelectorAll(".CodeMirror-code > div")[1];
    return Boolean(error && line) &&
        error.getBoundingClientRect().top > line.getBoundingClientRect().top;
}"""


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "Expected `.` or `}` after the triple on line 2"), ("sv", "Det saknas `.`")],
)
def test_a_syntax_error_comes_back_in_words_under_its_line(page, site, lang, words) -> None:
    open_editor(page, f"{site}/sparql?lang={lang}")
    set_query(page, "SELECT ?m WHERE {\n  ?m a dk:Municipality\n  ?m rdfs:label ?n\n}")
    page.locator(".yasqe_queryButton").click()
    error = page.locator(".query-error")
    error.wait_for()
    assert words in error.inner_text()
    assert error.locator(".query-error-caret").inner_text() == " " * 22 + "^"
    # the widget sits under line 2 of the query
    line2 = page.locator(".CodeMirror-code > div").nth(1)
    assert "dk:Municipality" in line2.inner_text()
    # Both boxes read in one step of the page, and waited for: CodeMirror re-renders its lines
    # as it fits the widget in, and a line between two renders has no box (Playwright's None).
    page.wait_for_function(UNDER_LINE_2)
    shot(page, f"workbench-error-{lang}")


def test_on_a_phone_the_buttons_do_not_cover_the_query(page, site) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_editor(page, site + "/sparql?lang=en")
    lines = page.locator(".CodeMirror").bounding_box()  # the visible editor
    for button in page.locator(".yasqe_buttons > *:visible").all():
        box = button.bounding_box()
        overlaps = (
            box["x"] < lines["x"] + lines["width"]
            and lines["x"] < box["x"] + box["width"]
            and box["y"] < lines["y"] + lines["height"]
            and lines["y"] < box["y"] + box["height"]
        )
        assert not overlaps, (box, lines)
    shot(page, "workbench-phone")


def marker_words(tab) -> str:
    """The text the editor's own red marker shows when hovered."""
    icon = tab.locator(".yasqe .parseErrorIcon")
    icon.wait_for()
    icon.hover()
    tip = icon.locator(".yasqe_tooltip")
    tip.wait_for()
    return tip.inner_text()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            "Malformed query (line 3, column 3): Expected `.` or `}` after the triple on line 2",
        ),
        (
            "sv",
            "Felaktig fråga (rad 3, kolumn 3): Det saknas `.` eller `}` efter trippeln på rad 2",
        ),
    ],
)
def test_the_editors_marker_speaks_in_words(page, site, lang, words) -> None:
    open_editor(page, f"{site}/sparql?lang={lang}")
    set_query(page, "SELECT ?m WHERE {\n  ?m a dk:Municipality\n  ?m rdfs:label ?n\n}")
    said = marker_words(page)
    assert words in said
    assert "This line is invalid" not in said and "Expected:" not in said
    icon = page.locator(".yasqe .parseErrorIcon")
    assert icon.get_attribute("aria-label") == said


def test_the_editors_marker_names_an_unknown_prefix(page, site) -> None:
    open_editor(page, f"{site}/sparql?lang=en")
    set_query(page, "SELECT ?m WHERE {\n  ?m a nosuch:Municipality\n}")
    said = marker_words(page)
    assert "(line 2, column 8): The prefix `nosuch:` is not declared" in said, said
    assert "dk:" in said  # the predefined ones are offered


def test_a_gate_error_comes_back_in_words_under_its_line(page, site) -> None:
    """What the query gate refuses before parsing (kg.lexer) is worded and placed like a
    parser's error: the workbench puts it, with its caret, under its line."""
    open_editor(page, f"{site}/sparql?lang=sv")
    set_query(page, "SELECT ?x\nWHERE { ?x ?y SELET }")
    page.locator(".yasqe_queryButton").click()
    error = page.locator(".query-error")
    error.wait_for()
    assert "`SELET` är inget nyckelord i SPARQL 1.1. Menade du `SELECT`?" in error.inner_text()
    assert error.locator(".query-error-caret").inner_text() == " " * 14 + "^"


def test_the_first_screen_is_a_plain_query_form_without_yasgui(page, site) -> None:
    """Issue 24: YASGUI's 1 MB bundle is not part of the page a reader opens (Lighthouse's
    performance on a phone); the query is already there, labelled, in a textarea."""
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(site + "/sparql?lang=sv")
    page.wait_for_load_state("networkidle")
    assert not [url for url in asked if "yasgui" in url], asked
    assert page.evaluate("typeof window.Yasgui") == "undefined"
    text = page.get_by_label("SPARQL-fråga")
    assert "dk:AwardEdition" in text.input_value()
    assert page.get_by_role("button", name="Kör frågan").is_visible()
    assert page.locator(".CodeMirror").count() == 0


def test_what_is_typed_before_the_editor_loads_is_kept_and_run(page, site) -> None:
    """The textarea's text, the caret and a Run asked for while YASGUI is still loading all
    reach the editor. YASGUI's request is held back until the typing is done, so the order
    of events does not depend on the machine's speed."""
    held = []
    page.route("**/vendor/yasgui/yasgui.min.js*", lambda route: held.append(route))
    page.goto(site + "/sparql?lang=en")
    text = page.locator("#query-text")
    text.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" LIMIT 3")
    page.keyboard.press("Control+Enter")
    assert page.locator("#workbench").get_attribute("aria-busy") == "true"
    assert text.input_value().endswith("?name LIMIT 3")
    for _ in range(EVENT_WAIT_MS // 50):  # the request is on its way; the route records it
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "YASGUI was never asked for"
    held[0].continue_()
    page.wait_for_selector(".yasr table tbody tr")
    assert editor_value(page).endswith("?name LIMIT 3")
    assert page.locator(".yasr table tbody tr").count() == 3
    assert page.evaluate("document.activeElement.closest('.CodeMirror') !== null")
    assert page.locator("#query-shell").count() == 0
    assert page.foreign == []


def test_a_shared_link_loads_the_editor_and_runs_without_taking_the_focus(page, site) -> None:
    page.goto(
        site + "/sparql?lang=en&query=SELECT%20%3Fy%20WHERE%20%7B%20%3Fe%20dk%3Ayear%20%3Fy%20%7D"
    )
    # (that the link's query is in the page before YASGUI is tests/test_pages.py's to check)
    page.wait_for_selector(".yasr table tbody tr")
    assert editor_value(page).startswith("PREFIX dk: <https://w3id.org/digikommun/ontology#>")
    focused = page.evaluate("document.activeElement.closest('.CodeMirror') !== null")
    assert not focused, "the editor took the focus on load"
