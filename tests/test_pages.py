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
        self.html = html
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
    # The page itself carries only the small shell; YASGUI loads on first use (issue 24).
    assert "/static/workbench-shell.js" in srcs and "yasgui" not in " ".join(srcs)
    assert all(src and src.startswith("/") for src in srcs), "no script from another host"
    later = re.search(r'data-scripts="([^"]*)"', page.html).group(1).split()
    assert [s.split("?v=")[0] for s in later] == [
        "/static/vendor/yasgui/yasgui.min.js",
        "/static/workbench.js",
        "/static/workbench-access.js",
    ]
    for src in later + re.search(r'data-styles="([^"]*)"', page.html).group(1).split():
        assert client.get(src).status_code == 200, src
    assert client.get("/prefixes.json").get_json()["dk"] == BASE + "ontology#"
    api = client.get("/sparql", query_string={"query": "ASK {}"})
    assert api.mimetype == "application/sparql-results+json"


def test_the_workbench_form_answers_without_any_script(client) -> None:
    """Issue 24: the workbench's first screen is a real form. Without JavaScript its query and
    its CSV button still reach the endpoint and get an answer."""
    html = get_page(client, "/sparql?lang=en", Accept="text/html").html
    form = re.search(r'<form[^>]*id="query-shell"[^>]*>(.*?)</form>', html, re.S)
    assert form, "no query form"
    assert 'method="get"' in form.group(0) and 'action="/sparql"' in form.group(0)
    query = re.search(r'<textarea[^>]*name="query"[^>]*>(.*?)</textarea>', form.group(1), re.S)
    assert query and "dk:AwardEdition" in query.group(1)
    assert '<label for="query-text">SPARQL query</label>' in form.group(1)
    assert 'name="format" value="csv"' in form.group(1)
    from html import unescape

    answer = client.get(
        "/sparql",
        query_string={"query": unescape(query.group(1)), "lang": "en", "format": "csv"},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.get_data(as_text=True).startswith("year,nominee,name,won")
    shared = get_page(client, "/sparql?lang=en&query=ASK%20%7B%7D", Accept="text/html").html
    assert ">ASK {}</textarea>" in shared  # a shared link's query is in the page itself


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_example_titles_are_in_the_pages_language(client, lang) -> None:
    """Issue 24: the workbench's picker, the examples page and home name every example in
    the page's language, from the query file's ``# title: svenska | English``."""
    from html import unescape

    from kg.web.site.home import load_examples
    from tests.conftest import ROOT

    examples = load_examples(ROOT / "queries")
    workbench = unescape(get_page(client, f"/sparql?lang={lang}", Accept="text/html").html)
    listing = unescape(get_page(client, f"/examples?lang={lang}").html)
    for e in examples:
        assert f'<option value="{e.slug}">{e.title(lang)}</option>' in workbench
        assert f"<h2>{e.title(lang)}</h2>" in listing
        other = e.title("en" if lang == "sv" else "sv")
        assert f">{other}<" not in workbench and f">{other}<" not in listing, other
    home = unescape(get_page(client, f"/?lang={lang}").html)
    assert examples[0].title(lang) in home and "(på engelska)" not in home


def source_column(client, url: str) -> dict[str, list[tuple[str, str]]]:
    """The fact table's rows of a page: property name → [(source shown, its link)]."""
    from html import unescape

    html = get_page(client, url).html
    rows: dict[str, list[tuple[str, str]]] = {}
    table = html[html.index('<table class="facts">') :]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        if len(cells) == 3:
            prop = unescape(re.sub(r"<[^>]+>", "", cells[0].split('<span class="twin">')[0]))
            cited = re.findall(r'<span class="graph"><a href="([^"]*)">(.*?)</a>', cells[2])
            rows.setdefault(prop.strip(), []).extend((unescape(n), h) for h, n in cited)
    return rows


@pytest.mark.parametrize(
    ("lang", "kommunkod", "winners", "wikipedia"),
    [
        ("sv", "kommunkod", "Kvalitetsmässan: Sveriges DigitaliseringsKommun, vinnare", "sv"),
        (
            "en",
            "municipality code",
            "Kvalitetsmässan: Sveriges DigitaliseringsKommun, winners",
            "en",
        ),
    ],
)
def test_the_source_column_names_documents_not_graphs(
    client, lang, kommunkod, winners, wikipedia
) -> None:
    """Issue 24: the fact table's source column shows each fact's document by its title in the
    page's language, linked: the text of a source graph, the page a record or the thing names
    in a reference graph; never a graph's file name."""
    rows = source_column(client, f"/id/municipality/lidingo.html?lang={lang}")
    shown = [name for cited in rows.values() for name, _ in cited]
    assert shown and not [n for n in shown if re.fullmatch(r"source-\d+|reference|links-\w+", n)]
    texts = {link for cited in rows.values() for _, link in cited if "/id/source/" in link}
    assert f"/id/source/001.html?lang={lang}" in texts
    documents = dict(p for cited in rows.values() for p in cited)
    assert any(name.startswith(winners) for name in documents), documents
    # a record's own source: the municipality code is stated by the link graph's record
    assert rows[kommunkod], rows.keys()
    wiki = [(n, h) for n, h in documents.items() if f"{wikipedia}.wikipedia.org" in h]
    assert wiki and all(n.endswith(f"({wikipedia}.wikipedia.org)") for n, _ in wiki), wiki


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
