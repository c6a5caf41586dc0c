"""Entity pages that lead with the story, a home that orients, About and Cite, in one language
per page (issue 24, items 2-4), checked on the real build against what the texts say."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from typing import ClassVar

import pytest

from kg.web.site.entities.values import format_literal, language_code, language_name
from kg.web.site.interface_text import UI

XSD = "http://www.w3.org/2001/XMLSchema#"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def lead_of(html: str) -> str:
    """The lead paragraph as text, tags dropped and entities decoded."""
    match = re.search(r'<p class="lead">(.*?)</p>', html, re.S)
    assert match, "the page has no lead sentence"
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1)))).strip()


def section(html: str, ident: str) -> str:
    match = re.search(rf'<section[^>]*id="{ident}".*?</section>', html, re.S)
    assert match, ident
    return match.group(0)


def linked_data(html: str) -> str:
    return section(html, "linked-data")


@pytest.mark.parametrize(
    ("url", "lead"),
    [
        (
            "/id/municipality/lidingo.html?lang=sv",
            "Lidingö är en kommun i Stockholms län som vann Sveriges DigitaliseringsKommun 2019.",
        ),
        (
            "/id/municipality/lidingo.html?lang=en",
            "Lidingö Municipality is a municipality in Stockholm County that won "
            "Sveriges DigitaliseringsKommun 2019.",
        ),
        (
            "/id/jury/2021.html?lang=sv",
            "Juryn för Sveriges DigitaliseringsKommun 2021 valde vinnaren av Sveriges "
            "DigitaliseringsKommun 2021. Ordförande var Patrik Sundström.",
        ),
        (
            "/id/jury/2021.html?lang=en",
            "The jury of Sveriges DigitaliseringsKommun 2021 chose the winner of Sveriges "
            "DigitaliseringsKommun 2021. Its chair was Patrik Sundström.",
        ),
        (
            "/id/person/daniel-broman.html?lang=sv",
            "Daniel Broman var stadsdirektör i Lidingö (2 december 2019 och 16 december 2019). "
            "Grafen har 12 citat av Daniel Broman.",
        ),
        (
            "/id/nomination/2019-lidingo.html?lang=en",
            "Lidingö Municipality won Sveriges DigitaliseringsKommun 2019.",
        ),
        (
            "/id/source/000.html?lang=sv",
            "Lidingö stad vill göra det svåra enkelt (Kvalitet & Förnyelse) är en intervju "
            "publicerad av Kvalitet & Förnyelse den 2 december 2019, på svenska.",
        ),
        (
            "/id/source/000.html?lang=en",
            "Lidingö stad wants to make the difficult simple (Kvalitet & Förnyelse) is an "
            "interview published by Kvalitet & Förnyelse on 2 December 2019, in Swedish.",
        ),
        (
            "/id/event/invigningsgala-2019.html?lang=sv",
            "Kvalitetsmässans invigningsgala på GöteborgsOperan ägde rum den 12 november 2019 på "
            "GöteborgsOperan som del av Kvalitetsmässan 2019.",
        ),
        (
            "/id/post/catrin-ditz-uppsala-2017.html?lang=en",
            "Catrin Ditz was CIO at Uppsala Municipality (9 May 2017).",
        ),
        (
            "/id/selector/000-broman-dela-goda-exempel.html?lang=en",
            "A selection of the text “Förhoppningsvis kommer vi att få möjlighet att besöka fler "
            "kommuner för att l…”, quoted in Daniel Broman on sharing good examples.",
        ),
    ],
)
def test_the_lead_sentence_tells_the_story_in_the_page_language(client, url, lead) -> None:
    """Issue 24: under the title a sentence from the graph, not the IRI and nine types."""
    html = page(client, url)
    assert lead_of(html) == lead
    assert html.index('<p class="lead">') < html.index('id="linked-data"')


def test_every_kind_of_thing_has_a_lead_and_a_citation(client, app) -> None:
    """Every kind under /id/ (one thing each) opens with a lead and offers "Cite this"."""
    engine = app.extensions["kg_engine"]
    rows = engine.query(
        """SELECT ?kind (SAMPLE(?s) AS ?x) WHERE { ?s ?p ?o
          FILTER (STRSTARTS(STR(?s), "https://w3id.org/digikommun/id/"))
          BIND (STRBEFORE(STRAFTER(STR(?s), "/id/"), "/") AS ?kind) } GROUP BY ?kind"""
    ).rows
    assert len(rows) >= 18, "kinds were lost from the graph"
    version = (
        engine.query(
            "SELECT ?v WHERE { <https://w3id.org/digikommun/ontology> owl:versionInfo ?v }"
        )
        .rows[0]["v"]
        .value
    )
    for row in rows:
        path = row["x"].value.removeprefix("https://w3id.org/digikommun")
        html = page(client, path + ".html?lang=sv")
        assert lead_of(html).endswith("."), path
        cite = section(html, "cite")
        assert f"version {version}" in cite and row["x"].value in cite, path
        assert re.search(rf"version\s+= \{{{re.escape(version)}\}}", cite), (
            "BibTeX names the release"
        )
        assert f"url          = {{{row['x'].value}}}" in cite, path


def test_a_swedish_fact_table_speaks_swedish_without_curies_or_rdf_noise(client) -> None:
    html = linked_data(page(client, "/id/municipality/lidingo.html?lang=sv"))
    cells = re.sub(r'(title|href)="[^"]*"', "", html)  # the IRI stays in links and tooltips
    for noise in (
        "prov:wasDerivedFrom",
        "foaf:isPrimaryTopicOf",
        "skos:editorialNote",
        "wgs84_pos#lat",
        "xsd:decimal",
        ">@sv<",
        ">@en<",
    ):
        assert noise not in cells, noise
    assert "hämtad ur" in cells and "latitud" in cells and "redaktionell anmärkning" in cells
    assert "59,367" in cells, "a decimal with the Swedish separator"


def test_english_curator_notes_on_a_swedish_page_are_marked_as_english(client) -> None:
    html = linked_data(page(client, "/id/municipality/lidingo.html?lang=sv"))
    note = re.search(r'<span class="literal" lang="en">Text 000 always writes.*?</small>', html)
    assert note and "(på engelska)" in note.group(0)


def test_a_source_text_page_gives_publisher_date_genre_and_language_by_name(client) -> None:
    html = page(client, "/id/source/000.html?lang=sv")
    summary = re.sub(r"<[^>]+>", " ", section(html, "profile-10-summary"))
    summary = html_lib.unescape(re.sub(r"\s+", " ", summary))
    assert "Utgivare Kvalitet & Förnyelse" in summary
    assert "Datum 2 december 2019" in summary
    assert "Genre intervju" in summary
    assert "Språk svenska" in summary
    assert "id.loc.gov" not in summary
    initiatives = section(html, "profile-20-initiatives")
    assert 'href="/id/initiative/lidingo-screening-arskurs-1.html?lang=sv"' in initiatives


def test_a_jury_page_names_its_members_and_chair(client) -> None:
    """Text 004: 'Ordförande i juryn, digitaliseringschef Patrik Sundström'."""
    html = page(client, "/id/jury/2021.html?lang=en")
    members = section(html, "profile-10-members")
    assert 'href="/id/person/patrik-sundstrom.html?lang=en"' in members
    assert "ordförande" in members and "May 2022" in members


def test_winners_are_marked_in_nominee_tables(client) -> None:
    html = page(client, "/id/edition/2019.html?lang=sv")
    rows = re.findall(r"<tr[^>]*>.*?</tr>", section(html, "profile-20-nominees"), re.S)
    marked = [r for r in rows if 'class="is-winner"' in r]
    assert len(marked) == 1 and "Lidingö" in marked[0] and "★" in marked[0]
    assert len(rows) == 6, "a header and the five nominees of text 002"


def test_the_home_page_orients(client) -> None:
    for lang, heading in (("sv", "Vinnarna"), ("en", "The winners")):
        html = page(client, f"/?lang={lang}")
        assert 'id="home-search-q"' in html and 'action="/search"' in html
        match = re.search(r'<ul class="winner-list">(.*?)</ul>', html, re.S)
        assert match and f">{heading}</h2>" in html
        assert re.search(
            rf'href="/id/edition/2019.html\?lang={lang}">2019</a> '
            rf'<a class="winner" href="/id/municipality/lidingo.html\?lang={lang}">',
            match.group(1),
        )
        assert html.index("winner-list") < html.index('class="technical"')
        assert html.index("home-search-q") < html.index("curl -G")


@pytest.mark.parametrize(
    ("url", "lang", "words"),
    [
        ("/om", "sv", ("Om grafen", "MIT", "CC BY 4.0", "SHACL", "Så rapporterar du ett fel")),
        ("/about", "en", ("About the graph", "MIT", "CC BY 4.0", "SHACL", "report an error")),
        ("/about?lang=sv", "sv", ("Om grafen", "CC BY 4.0")),
        ("/om?lang=en", "en", ("About the graph", "CC BY 4.0")),
        ("/cite?lang=sv", "sv", ("Så citerar du grafen", "CC BY 4.0", "@misc{", "0.2.0")),
        ("/cite?lang=en", "en", ("How to cite the graph", "CC BY 4.0", "@misc{", "0.2.0")),
    ],
)
def test_about_and_cite_pages_exist_in_both_languages(client, url, lang, words) -> None:
    html = page(client, url)
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word


def test_values_are_formatted_for_people() -> None:
    assert format_literal("2019-05-09", XSD + "date", "sv") == "9 maj 2019"
    assert format_literal("2019-05-09", XSD + "date", "en") == "9 May 2019"
    assert format_literal("2019", XSD + "gYear", "sv") == "2019"
    assert format_literal("2022-05", XSD + "gYearMonth", "sv") == "maj 2022"
    assert format_literal("59.367", XSD + "decimal", "sv") == "59,367"
    assert format_literal("not a date", XSD + "date", "sv") == "not a date"
    assert language_code("http://id.loc.gov/vocabulary/iso639-1/sv") == "sv"
    assert language_name("sv", "sv") == "svenska" and language_name("sv", "en") == "Swedish"


def test_an_initiative_leads_with_the_sentence_that_states_it(client) -> None:
    """Text 001: Daniel Broman states the motto; the page quotes him instead of paraphrasing."""
    html = page(client, "/id/initiative/lidingo-digitalt-forst.html?lang=sv")
    quotes = html.index('id="profile-20-quotes"')
    assert quotes < html.index('id="profile-10-summary"')
    assert "med devisen digitalt först" in section(html, "profile-20-quotes")
    assert '<p class="description">' not in html, "the paraphrase is not repeated"


def test_the_award_page_lists_each_edition_once_with_its_winner(client) -> None:
    """2019 had two ceremonies in the graph (the gala and the fair); still one row."""
    html = page(client, "/id/award/sveriges-digitaliseringskommun.html?lang=en")
    rows = re.findall(r"<tr[^>]*>.*?</tr>", section(html, "profile-10-editions"), re.S)
    editions = [r for r in rows if "/id/edition/" in r]
    assert len(editions) == len({re.search(r"/id/edition/(\d+)", r).group(1) for r in editions})
    assert len(editions) == 12
    assert any("/id/edition/2019" in r and "/id/municipality/lidingo" in r for r in editions)


def test_a_place_has_a_small_map_with_itself_marked(client) -> None:
    html = page(client, "/id/municipality/lidingo.html?lang=sv")
    match = re.search(r'<figure class="place-map".*?</figure>', html, re.S)
    assert match, "no map on a municipality's page"
    marks = re.findall(r'<a href="([^"]+)" class="place (\w+)"', match.group(0))
    assert marks == [("/id/municipality/lidingo.html?lang=sv", "won")]
    assert '<figure class="place-map"' not in page(client, "/id/person/daniel-broman.html")


class _SwedishText(HTMLParser):
    """The text of a page that claims to be in the page's language (not inside lang="en")."""

    VOID: ClassVar[set[str]] = {
        "br",
        "img",
        "input",
        "link",
        "meta",
        "hr",
        "source",
        "wbr",
        "area",
        "base",
        "col",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in self.VOID:
            self.stack.append(dict(attrs).get("lang"))

    def handle_endtag(self, tag) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data) -> None:
        langs = [lang for lang in self.stack if lang]
        if not langs or langs[-1] == "sv":
            self.text.append(data)


@pytest.mark.parametrize(
    "url",
    [
        "/id/municipality/lidingo.html?lang=sv",
        "/id/source/000.html?lang=sv",
        "/id/jury/2021.html?lang=sv",
        "/?lang=sv",
        "/om",
        "/cite?lang=sv",
    ],
)
def test_a_swedish_page_says_nothing_in_english_unmarked(client, url) -> None:
    """Issue 24: every interface string in the page's language; English data is marked."""
    parser = _SwedishText()
    parser.feed(page(client, url))
    text = " ".join(parser.text).replace("graph/inferred", "")  # a graph's name, not English
    english = [
        word
        for key, word in UI["en"].items()
        if word != UI["sv"][key] and len(word) > 4 and word not in ("Source", "Ontology")
    ]
    english += ["inferred", "How to cite", "For linked-data users", "derived from", "Sources"]
    found = [word for word in english if re.search(rf"\b{re.escape(word)}\b", text)]
    assert found == []
