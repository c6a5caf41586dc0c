"""Dereferencing and the HTML pages, parsed as a client would parse them."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from rdflib import Graph, URIRef

BASE = "https://w3id.org/digikommun/"
LIDINGO = URIRef(BASE + "id/municipality/lidingo")


class Page(HTMLParser):
    """Collects links, ids, classes and text: enough to check a page without a browser."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.scripts: list[dict] = []
        self.text: list[str] = []
        self.lang = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("id"):
            self.ids.add(a["id"])
        self.classes += (a.get("class") or "").split()
        if tag == "script":
            self.scripts.append(a)

    def handle_data(self, data) -> None:
        self.text.append(data)

    @property
    def body(self) -> str:
        return " ".join(self.text)


def get_page(client, url: str, **headers) -> Page:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        ("text/turtle", ".ttl"),
        ("application/ld+json", ".jsonld"),
        ("application/n-triples", ".nt"),
        ("application/rdf+xml", ".rdf"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", ".html"),
        ("text/turtle;q=0.5, application/rdf+xml;q=0.9", ".rdf"),
    ],
)
def test_iri_answers_303_by_accept(client, accept: str, suffix: str) -> None:
    response = client.get("/id/municipality/lidingo", headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == "/id/municipality/lidingo" + suffix
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("suffix", "fmt", "media"),
    [
        ("ttl", "turtle", "text/turtle"),
        ("jsonld", "json-ld", "application/ld+json"),
        ("nt", "nt", "application/n-triples"),
        ("rdf", "xml", "application/rdf+xml"),
    ],
)
def test_suffix_documents_parse_with_canonical_iris(client, suffix, fmt, media) -> None:
    response = client.get(f"/id/municipality/lidingo.{suffix}")
    assert response.status_code == 200
    assert response.mimetype == media
    g = Graph().parse(data=response.data, format=fmt)
    assert (LIDINGO, None, None) in g
    assert "localhost" not in response.get_data(as_text=True)


def test_unknown_iri_is_a_real_404_page(client) -> None:
    response = client.get("/id/municipality/atlantis", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "404" in Page(response.get_data(as_text=True)).body
    assert client.get("/id/municipality/atlantis.ttl").status_code == 404


def test_language_from_accept_language_and_kept_in_links(client) -> None:
    response = client.get(
        "/id/municipality/lidingo",
        headers={"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.headers["Location"].endswith("lang=en")
    en = get_page(client, "/id/municipality/lidingo.html?lang=en")
    sv = get_page(client, "/id/municipality/lidingo.html?lang=sv")
    assert en.lang == "en" and sv.lang == "sv"
    assert "Facts" in en.body and "Uppgifter" in sv.body
    assert any("lang=sv" in link for link in en.links if "lidingo" in link)
    assert any(link.startswith("/id/") and "lang=en" in link for link in en.links)


def test_entity_page_shows_links_both_ways_and_marks_inferred(client) -> None:
    page = get_page(client, "/id/municipality/lidingo.html?lang=en")
    assert "Lidingö" in page.body
    assert "inferred" in page.classes and "is-inferred" in page.classes
    assert "/id/municipality/lidingo.ttl" in page.links
    assert any(link.startswith("/sparql?query=") for link in page.links)
    assert any(link.startswith("/id/nomination/") for link in page.links)  # incoming
    assert any(link.startswith("/id/county/") for link in page.links)  # outgoing


def test_statement_page_links_to_its_passage(client) -> None:
    page = get_page(client, "/id/statement/000-penje-helhet.html?lang=en")
    assert "Vi har skapat en helhet" in page.body
    assert "We have created a whole" in page.body
    context = [link for link in page.links if link.endswith("000.html?lang=en#q-000-penje-helhet")]
    assert context, "the page links to the passage (the profile also links the whole text)"
    source = get_page(client, context[0].split("#")[0])
    assert "q-000-penje-helhet" in source.ids
    assert "/id/statement/000-penje-helhet.html?lang=en" in source.links


@pytest.mark.parametrize("n", ["000", "001", "002", "003", "004"])
def test_every_source_text_has_a_page_with_linked_passages(client, n: str) -> None:
    page = get_page(client, f"/id/source/{n}.html")
    passages = [i for i in page.ids if i.startswith("q-")]
    assert passages, n
    assert page.classes.count("passage") >= len(passages) - 1


def test_ontology_dereferences(client) -> None:
    for accept, fmt in [
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ]:
        response = client.get("/ontology", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        assert "Accept" in response.headers["Vary"]
        g = Graph().parse(data=response.data, format=fmt)
        assert (URIRef(BASE + "ontology"), None, None) in g
    html = get_page(client, "/ontology", Accept="text/html")
    assert "Municipality" in html.ids
    for release in ("0.1.0", "0.1.1", "0.2.0"):  # frozen prior releases and the current one
        version = client.get(f"/ontology/{release}.ttl")
        assert version.status_code == 200
        g = Graph().parse(data=version.data, format="turtle")
        assert (URIRef(BASE + "ontology"), None, None) in g
    assert client.get("/ontology/9.9.9").status_code == 404
    assert (
        "/ontology?lang=en#Municipality"
        in get_page(client, "/id/municipality/lidingo.html?lang=en").links
    )


def test_home_page_tells_what_the_graph_holds(client) -> None:
    page = get_page(client, "/?lang=en")
    assert "What the graph covers" in page.body
    for link in (
        "/id/source/003.html?lang=en",
        "/id/edition/2019.html?lang=en",
        "/downloads?lang=en",
        "/catalog.rdf",
        "/pictures?lang=en",
    ):
        assert link in page.links, link
    assert "2023" in page.body


def test_examples_page_offers_every_query(client) -> None:
    page = get_page(client, "/examples?lang=en")
    assert len([link for link in page.links if link.startswith("/sparql?query=")]) >= 12
    assert len(client.get("/examples.json").get_json()) >= 12


def test_browsers_asking_sparql_get_the_workbench(client) -> None:
    page = get_page(client, "/sparql", Accept="text/html,application/xhtml+xml,*/*;q=0.8")
    srcs = [s.get("src").split("?v=")[0] for s in page.scripts]  # fingerprinted for caching
    assert "/static/vendor/yasgui/yasgui.min.js" in srcs and "/static/workbench.js" in srcs
    assert all(src and src.startswith("/") for src in srcs), "no script from another host"
    assert client.get("/static/vendor/yasgui/yasgui.min.js").status_code == 200
    assert client.get("/prefixes.json").get_json()["dk"] == BASE + "ontology#"
    api = client.get("/sparql", query_string={"query": "ASK {}"})
    assert api.mimetype == "application/sparql-results+json"


def test_pictures_are_svg(client) -> None:
    import xml.etree.ElementTree as ET

    for name in ("timeline", "municipalities"):
        response = client.get(f"/pictures/{name}.svg?lang=en")
        assert response.mimetype == "image/svg+xml"
        root = ET.fromstring(response.data)
        assert root.tag.endswith("svg")
    timeline = client.get("/pictures/timeline.svg").get_data(as_text=True)
    assert 'class="winner">Lidingö</text>' in timeline and "Kalix" in timeline
    assert "style=" not in timeline  # the site's CSP (style-src 'self') blocks inline styles
    municipalities = client.get("/pictures/municipalities.svg").get_data(as_text=True)
    assert "Stockholms län" in municipalities and 'class="won"' in municipalities
    assert "style=" not in municipalities


def test_user_input_is_escaped(client) -> None:
    response = client.get("/id/municipality/<script>x</script>", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"<script>x" not in response.data


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("sv", ("Om grafen", "Citera", "Kvalitetsrapport")),
        ("en", ("About", "Cite", "Quality report")),
    ],
)
def test_every_page_footer_leads_to_about_cite_and_the_quality_report(client, lang, names) -> None:
    """Issues 24 and 26: About, Cite and the quality report are one click from any page, in
    the page's language, and each link answers."""
    html = client.get(f"/id/municipality/lidingo.html?lang={lang}").get_data(as_text=True)
    footer = html[html.index("<footer>") :]
    links = dict(
        (name, href) for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer)
    )
    for name in names:
        assert name in links, (name, links)
        response = client.get(links[name])
        assert response.status_code == 200, (links[name], response.status_code)
        assert f'lang="{lang}"' in response.get_data(as_text=True)
