"""The ontology for editors' tools: HTML at /ontology, RDF/XML and Turtle that round-trip."""

from __future__ import annotations

from html.parser import HTMLParser

from rdflib import OWL, RDF, RDFS, Graph
from rdflib.compare import isomorphic

from kg.namespaces import DK
from kg.web.site.ontology_docs import load_ontology
from tests.conftest import ROOT


def test_rdfxml_round_trips_without_loss() -> None:
    """Protégé opens RDF/XML; what rdflib writes must read back as the very same graph."""
    graph = load_ontology(ROOT)
    again = Graph().parse(data=graph.serialize(format="xml"), format="xml")
    assert len(again) == len(graph)
    assert isomorphic(graph, again)
    turtle = Graph().parse(data=graph.serialize(format="turtle"), format="turtle")
    assert isomorphic(graph, turtle)


def test_html_has_an_anchor_and_both_languages_per_term(client) -> None:
    response = client.get("/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    ids: list[str] = []

    class Anchors(HTMLParser):
        def handle_starttag(self, tag, attrs):
            ids.extend(v for k, v in attrs if k == "id")

    Anchors().feed(response.get_data(as_text=True))
    graph = load_ontology(ROOT)
    terms = {
        str(t)[len(DK) :]
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for t in graph.subjects(RDF.type, kind)
        if str(t).startswith(DK)
    }
    assert terms <= set(ids), terms - set(ids)
    text = response.get_data(as_text=True)
    assert "utmärkelseomgång" in text and "award edition" in text
    assert "Vary" in response.headers


def test_rdf_by_accept(client) -> None:
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ):
        response = client.get("/ontology", headers={"Accept": accept})
        assert response.mimetype == accept
        graph = Graph().parse(data=response.get_data(as_text=True), format=fmt)
        assert (DK.Award, RDFS.label, None) in graph
