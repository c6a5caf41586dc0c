"""The Service Description at GET /sparql: parse it, then check every claim against behaviour."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
ENT = Namespace("http://www.w3.org/ns/entailment/")
FORMATS = "http://www.w3.org/ns/formats/"

#: What each W3C format IRI means as a request: media type, a query of the right form, parser.
FORMAT_CHECKS = {
    "SPARQL_Results_JSON": ("application/sparql-results+json", "SELECT", "json"),
    "SPARQL_Results_XML": ("application/sparql-results+xml", "SELECT", "xml"),
    "SPARQL_Results_CSV": ("text/csv", "SELECT", "csv"),
    "SPARQL_Results_TSV": ("text/tab-separated-values", "SELECT", "tsv"),
    "Turtle": ("text/turtle", "CONSTRUCT", "turtle"),
    "N-Triples": ("application/n-triples", "CONSTRUCT", "nt"),
    "RDF_XML": ("application/rdf+xml", "CONSTRUCT", "xml"),
    "JSON-LD": ("application/ld+json", "CONSTRUCT", "json-ld"),
    "TriG": ("application/trig", "CONSTRUCT", "trig"),
    "N-Quads": ("application/n-quads", "CONSTRUCT", "nquads"),
}


def _sd(client, accept: str = "text/turtle", fmt: str = "turtle", **kwargs) -> Graph:
    response = client.get("/sparql", headers={"Accept": accept}, **kwargs)
    assert response.status_code == 200
    assert response.mimetype == accept
    return Graph().parse(data=response.get_data(as_text=True), format=fmt)


def _count(client, query: str) -> int:
    body = client.get("/sparql", query_string={"query": query}).get_json()
    return int(body["results"]["bindings"][0]["n"]["value"])


def _service(graph: Graph) -> URIRef:
    [service] = list(graph.subjects(predicate=SD.endpoint))
    return service


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ],
)
def test_description_is_negotiated_and_says_the_same_in_every_format(
    client, accept: str, fmt: str
) -> None:
    assert isomorphic(_sd(client), _sd(client, accept, fmt))


def test_endpoint_is_the_url_the_client_used(client, app) -> None:
    graph = _sd(client, base_url="https://data.example.se:8443")
    assert graph.value(_service(graph), SD.endpoint) == URIRef(
        "https://data.example.se:8443/sparql"
    )
    graph = _sd(client)
    assert graph.value(_service(graph), SD.endpoint) == URIRef("http://localhost/sparql")


def test_endpoint_is_the_public_url_behind_a_proxy(built) -> None:
    from dataclasses import replace

    from kg import create_app

    app = create_app(replace(built, public_url="https://w3id.org/digikommun/"))
    graph = _sd(app.test_client())
    assert graph.value(_service(graph), SD.endpoint) == URIRef("https://w3id.org/digikommun/sparql")


def test_languages_claimed_are_served_and_update_is_not_claimed(client) -> None:
    graph = _sd(client)
    assert set(graph.objects(_service(graph), SD.supportedLanguage)) == {SD.SPARQL11Query}
    # SPARQL 1.1 Query: aggregates, subqueries, property paths, VALUES, BIND, MINUS, NOT EXISTS.
    query = """
        SELECT ?class (COUNT(?x) AS ?n) WHERE {
          { SELECT DISTINCT ?class WHERE { ?class rdfs:subClassOf+ ?super } LIMIT 5 }
          VALUES ?dummy { 1 }
          BIND(STR(?class) AS ?s)
          OPTIONAL { ?x a ?class }
          MINUS { ?class a owl:DeprecatedClass }
          FILTER NOT EXISTS { ?class owl:deprecated true }
        } GROUP BY ?class HAVING (COUNT(?x) >= 0)"""
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    assert len(response.get_json()["results"]["bindings"]) == 5
    update = client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update")
    assert update.status_code == 403


def test_every_result_format_claimed_is_produced(client) -> None:
    from tests.test_protocol import check_body

    graph = _sd(client)
    claimed = {
        str(f).removeprefix(FORMATS) for f in graph.objects(_service(graph), SD.resultFormat)
    }
    assert claimed == set(FORMAT_CHECKS)
    for name in sorted(claimed):
        media_type, form, parser = FORMAT_CHECKS[name]
        query = (
            "SELECT ?c WHERE { ?c a owl:Class } LIMIT 3"
            if form == "SELECT"
            else "CONSTRUCT { ?c a owl:Class } WHERE { ?c a owl:Class } LIMIT 3"
        )
        response = client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": media_type}
        )
        assert response.mimetype == media_type, name
        assert check_body(response.get_data(as_text=True), parser) == 3, name


def test_union_default_graph_and_simple_entailment_hold(client) -> None:
    """The default graph is exactly the union of the named graphs (inferred included): nothing
    is entailed at query time beyond the stored triples, and nothing is missing."""
    graph = _sd(client)
    service = _service(graph)
    assert SD.UnionDefaultGraph in set(graph.objects(service, SD.feature))
    assert graph.value(service, SD.defaultEntailmentRegime) == ENT.Simple
    default = _count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    union = _count(
        client,
        "SELECT (COUNT(*) AS ?n) WHERE "
        "{ SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }",
    )
    assert default == union
    dataset = graph.value(service, SD.defaultDataset)
    default_graph = graph.value(dataset, SD.defaultGraph)
    assert int(graph.value(default_graph, VOID.triples)) == default
    inferred_only = _count(
        client,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH graph:inferred { ?s ?p ?o } "
        "FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } FILTER(?g != graph:inferred) } }",
    )
    assert inferred_only > 0
    assert client.get(
        "/sparql",
        query_string={
            "query": "ASK { GRAPH graph:inferred { ?s ?p ?o } "
            "FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } FILTER(?g != graph:inferred) } ?s ?p ?o }"
        },
    ).get_json()["boolean"]


def test_federated_query_is_claimed_only_when_the_operator_allows_it(client, built) -> None:
    from dataclasses import replace

    from kg import create_app

    graph = _sd(client)
    assert SD.BasicFederatedQuery not in set(graph.objects(_service(graph), SD.feature))
    allowing = create_app(replace(built, service_allowlist=("https://query.wikidata.org/sparql",)))
    graph = _sd(allowing.test_client())
    assert SD.BasicFederatedQuery in set(graph.objects(_service(graph), SD.feature))
    assert not {SD.DereferencesURIs, SD.RequiresDataset, SD.EmptyGraphs} & set(
        graph.objects(_service(graph), SD.feature)
    )


def test_named_graphs_and_their_counts_are_true(client) -> None:
    graph = _sd(client)
    dataset = graph.value(_service(graph), SD.defaultDataset)
    described = {}
    for node in graph.objects(dataset, SD.namedGraph):
        name = str(graph.value(node, SD.name))
        described[name] = int(graph.value(graph.value(node, SD.graph), VOID.triples))
    body = client.get(
        "/sparql",
        query_string={
            "query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        },
    ).get_json()
    actual = {r["g"]["value"]: int(r["n"]["value"]) for r in body["results"]["bindings"]}
    assert described == actual
    assert "https://w3id.org/digikommun/graph/inferred" in described
    assert len(described) >= 10


def test_description_is_cacheable_and_gzipped(client) -> None:
    first = client.get("/sparql", headers={"Accept": "text/turtle", "Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    again = client.get(
        "/sparql",
        headers={
            "Accept": "text/turtle",
            "Accept-Encoding": "gzip",
            "If-None-Match": first.headers["ETag"],
        },
    )
    assert again.status_code == 304
    assert json.dumps(dict(first.headers)).count("Access-Control-Allow-Origin") == 1


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples", "application/rdf+xml"])
def test_every_worker_writes_the_same_bytes_under_the_same_strong_etag(built, accept) -> None:
    """Two workers (two apps, each with its own cache) answer the description with the same
    strong ETag, so they must send the same bytes: a client or cache may splice ranges or
    keep either copy. Blank nodes with random labels made rdflib order them differently."""
    from kg import create_app

    answers = [
        create_app(built).test_client().get("/sparql", headers={"Accept": accept}) for _ in range(2)
    ]
    assert answers[0].headers["ETag"] == answers[1].headers["ETag"]
    assert not answers[0].headers["ETag"].startswith("W/")
    assert answers[0].get_data() == answers[1].get_data()
