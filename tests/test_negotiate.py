"""Content negotiation as a pure function: Accept headers with q-values, wildcards, junk."""

from __future__ import annotations

import pytest

from kg.web.endpoint.negotiate import accepts_encoding, negotiate, parse_accept

TABLES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
GRAPHS = ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"]


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, TABLES, "application/sparql-results+json"),
        ("", TABLES, "application/sparql-results+json"),
        ("*/*", TABLES, "application/sparql-results+json"),
        ("*", TABLES, "application/sparql-results+json"),
        ("text/csv", TABLES, "text/csv"),
        ("TEXT/CSV", TABLES, "text/csv"),
        ("text/*", TABLES, "text/csv"),
        ("text/*;q=0.5, application/sparql-results+xml", TABLES, "application/sparql-results+xml"),
        (
            "application/sparql-results+xml;q=0.9, text/tab-separated-values",
            TABLES,
            "text/tab-separated-values",
        ),
        ("text/csv;q=0.1, */*;q=0.2", TABLES, "application/sparql-results+json"),
        ("text/csv;q=0, text/*", TABLES, "text/tab-separated-values"),
        ("*/*;q=0.1, text/csv;q=0", TABLES, "application/sparql-results+json"),
        ("text/html", TABLES, None),
        ("application/json;q=0", ["application/json"], None),
        ("text/turtle;q=0.3, application/ld+json;q=0.9", GRAPHS, "application/ld+json"),
        ("text/turtle, application/rdf+xml", GRAPHS, "text/turtle"),
        ("application/rdf+xml, text/turtle", GRAPHS, "text/turtle"),
        ("application/n-triples; charset=utf-8", GRAPHS, "application/n-triples"),
        ("text/turtle;q=abc, application/rdf+xml", GRAPHS, "application/rdf+xml"),
        ("text/turtle;q=2, application/rdf+xml;q=0.5", GRAPHS, "application/rdf+xml"),
        ("garbage, ;;, /, text/", GRAPHS, None),
        ("garbage, */*;q=0.4", GRAPHS, "text/turtle"),
        (" application/ld+json ; q=0.8 ,text/turtle;q=0.7", GRAPHS, "application/ld+json"),
    ],
)
def test_negotiate(accept: str | None, offered: list[str], expected: str | None) -> None:
    assert negotiate(accept, offered) == expected


def test_parse_accept_reads_q_and_parameters() -> None:
    [html, xml, anything] = parse_accept("text/html;level=1, application/xml;q=0.9, */*;q=0.8")
    assert (html.type, html.subtype, html.q, html.params) == (
        "text",
        "html",
        1.0,
        (("level", "1"),),
    )
    assert xml.q == 0.9
    assert (anything.type, anything.subtype, anything.q) == ("*", "*", 0.8)


def test_browser_accept_prefers_html_over_rdf() -> None:
    """The protocol hands browsers to the workbench when HTML outranks every RDF format."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert negotiate(browser, ["text/html", *GRAPHS]) == "text/html"
    assert negotiate(browser, GRAPHS) == "text/turtle"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate", False),
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("identity, x-gzip", True),
        ("GZIP;q=0.5", True),
    ],
)
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_encoding(header, "gzip") is expected
