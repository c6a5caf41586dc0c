"""The read-only SPARQL 1.1 Graph Store at ``/store`` (issue #15, item 5), and where the
Service Description and VoID announce it."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.test_graphs import FORMATS, counts, parsed

BASE = "https://w3id.org/digikommun/"
VOID = "http://rdfs.org/ns/void#"
GSP = URIRef("https://www.w3.org/TR/sparql11-http-rdf-update/")


def store(client, graph: str | None, accept: str = "text/turtle", method: str = "GET"):
    query = "default" if graph is None else urlencode({"graph": graph})
    return client.open(f"/store?{query}", method=method, headers={"Accept": accept})


def default_size(client) -> int:
    rows = client.application.extensions["kg_engine"].query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )
    return int(rows.rows[0]["n"].value)


def test_every_named_graph_is_fetched_whole(client) -> None:
    for iri, n in counts(client).items():
        response = store(client, iri)
        assert response.status_code == 200, iri
        assert response.mimetype == "text/turtle"
        assert len(Graph().parse(data=response.data, format="turtle")) == n, iri


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_formats_are_negotiated(client, suffix: str) -> None:
    iri = BASE + "graph/award-history"
    media, fmt, quads = FORMATS[suffix]
    response = store(client, iri, accept=media)
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Accept" in response.headers["Vary"]
    assert parsed(response.data, fmt, quads, iri) == counts(client)[iri]


def test_default_graph_is_the_union(client) -> None:
    response = store(client, None, accept="application/n-triples")
    assert response.status_code == 200
    assert len(Graph().parse(data=response.data, format="nt")) == default_size(client)
    trig = Dataset().parse(data=store(client, None, accept="application/trig").data, format="trig")
    assert [len(g) for g in trig.graphs() if len(g)] == [default_size(client)]


def test_default_graph_in_n_quads(client) -> None:
    """Issue 23: ``GET /store?default`` with ``Accept: application/n-quads`` gave 500."""
    response = store(client, None, accept="application/n-quads")
    assert response.status_code == 200
    assert response.mimetype == "application/n-quads"
    quads = Dataset().parse(data=response.data, format="nquads")
    assert len(quads.default_graph) == default_size(client)  # no graph label: the default graph
    assert [g for g in quads.graphs() if len(g) and g != quads.default_graph] == []


def test_bad_requests_are_400_with_a_reason(client) -> None:
    for query in ("", "?graph=" + BASE + "graph/reference&default", "?graph=a&graph=b"):
        response = client.get("/store" + query)
        assert response.status_code == 400, query
        assert response.mimetype == "text/plain"
        assert len(response.get_data(as_text=True).strip().splitlines()) == 1


def test_a_graph_it_does_not_hold_is_404(client) -> None:
    response = store(client, "http://example.org/elsewhere")
    assert response.status_code == 404
    assert "http://example.org/elsewhere" in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_writes_are_405_with_allow(client, method: str) -> None:
    response = client.open(
        "/store?graph=a:b", method=method, data="<a:b> <a:c> <a:d> .", content_type="text/turtle"
    )
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    # Still nothing written: the store holds the graph no write could have named before.
    assert store(client, "a:b").status_code == 404


def test_head_etag_and_304(client) -> None:
    iri = BASE + "graph/reference"
    got = store(client, iri)
    head = store(client, iri, method="HEAD")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    again = client.get(
        "/store?" + urlencode({"graph": iri}),
        headers={"Accept": "text/turtle", "If-None-Match": got.headers["ETag"]},
    )
    assert again.status_code == 304
    other = store(client, iri, accept="application/ld+json")
    assert other.headers["ETag"] != got.headers["ETag"]
    assert store(client, iri, accept="image/png").status_code == 406


def _local(url: str) -> str:
    """The path on this server: it maps its own host onto the canonical base."""
    parts = urlsplit(url.replace(BASE, "http://localhost/"))
    return parts.path + ("?" + parts.query if parts.query else "")


def test_service_description_announces_the_graph_store(client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    sd = Graph().parse(data=response.data, format="turtle")
    services = [s for s in sd.subjects(DCTERMS.conformsTo, GSP)]
    assert len(services) == 1
    assert (services[0], RDF.type, DCAT.DataService) in sd
    endpoint = str(sd.value(services[0], DCAT.endpointURL))
    assert endpoint == "http://localhost/store"
    dumps = {}
    for graph, dump in sd.subject_objects(URIRef(VOID + "dataDump")):
        dumps[str(dump)] = int(sd.value(graph, URIRef(VOID + "triples")))
    assert len(dumps) == len(counts(client)) + 1  # every named graph and the default graph
    for dump, n in dumps.items():
        assert dump.startswith(endpoint + "?")
        body = client.get(_local(dump), headers={"Accept": "application/n-triples"}).data
        assert len(Graph().parse(data=body, format="nt")) == n, dump


def test_void_announces_the_graph_store_per_subset(client) -> None:
    void = Graph().parse(
        data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    service = next(void.subjects(DCTERMS.conformsTo, GSP))
    assert str(void.value(service, DCAT.endpointURL)) == BASE + "store"
    dataset = URIRef(BASE + "catalog#dataset")
    checked = 0
    for subset in void.objects(dataset, URIRef(VOID + "subset")):
        dump = void.value(subset, URIRef(VOID + "dataDump"))
        if dump is None:  # a linkset: its links are in the graphs they were stated in
            continue
        n = int(void.value(subset, URIRef(VOID + "triples")))
        body = client.get(_local(str(dump)), headers={"Accept": "application/n-triples"}).data
        assert len(Graph().parse(data=body, format="nt")) == n
        checked += 1
    assert checked == len(counts(client))
