"""The fact counts the site publishes agree with the store (issue #15): the home page, VoID, the
catalog and the Service Description, each against COUNT queries asked of the engine."""

from __future__ import annotations

import re

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

BASE = "https://w3id.org/digikommun/"
INFERRED = BASE + "graph/inferred"
VOID = "http://rdfs.org/ns/void#"
TRIPLES = URIRef(VOID + "triples")
DATASET = URIRef(BASE + "catalog#dataset")


def store_counts(client) -> tuple[dict[str, int], int]:
    """Triples per named graph, and in the default graph, counted by SPARQL."""
    engine = client.application.extensions["kg_engine"]
    per_graph = engine.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    default = engine.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    graphs = {row["g"].value: int(row["n"].value) for row in per_graph.rows}
    assert len(graphs) >= 10
    return graphs, int(default.rows[0]["n"].value)


def test_home_page_counts_agree_with_the_store(client) -> None:
    graphs, _ = store_counts(client)
    html = client.get("/?lang=en").get_data(as_text=True)
    found = re.search(r"(\d+) asserted triples and (\d+) inferred", html)
    assert found, html[:2000]
    assert int(found.group(1)) == sum(n for g, n in graphs.items() if g != INFERRED)
    assert int(found.group(2)) == graphs[INFERRED]


def _turtle(client, path: str) -> Graph:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return Graph().parse(data=response.data, format="turtle")


def test_void_counts_agree_with_the_store(client) -> None:
    graphs, default = store_counts(client)
    void = _turtle(client, "/.well-known/void")
    assert int(void.value(DATASET, TRIPLES)) == default
    name = URIRef("http://www.w3.org/ns/sparql-service-description#name")
    subsets = {
        str(void.value(s, name)): int(void.value(s, TRIPLES))
        for s in void.objects(DATASET, URIRef(VOID + "subset"))
        if (s, RDF.type, URIRef(VOID + "Linkset")) not in void
    }
    assert subsets == graphs


def test_catalog_and_service_description_agree_with_void(client) -> None:
    _, default = store_counts(client)
    catalog = _turtle(client, "/catalog.ttl")
    assert int(catalog.value(DATASET, TRIPLES)) == default
    void = _turtle(client, "/.well-known/void")

    def linksets(g: Graph) -> dict[str, int]:
        return {
            str(s): int(g.value(s, TRIPLES)) for s in g.subjects(RDF.type, URIRef(VOID + "Linkset"))
        }

    assert linksets(catalog) == linksets(void)
    sd = _turtle(client, "/sparql")
    default_graph = URIRef("http://localhost/sparql#default-graph")
    assert int(sd.value(default_graph, TRIPLES)) == default
