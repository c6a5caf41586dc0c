"""The w3id.org redirect rules for ``digikommun`` (``w3id/digikommun/.htaccess``), under a real
Apache httpd in front of our server under gunicorn (issue #15, item 6).

Every kind of IRI in the graph (a thing of every kind, ontology terms, the ontology's versions
and alignments, every named graph, the dataset and the base) is requested from Apache as
``https://w3id.org/digikommun/…`` would be, for HTML, Turtle, JSON-LD and RDF/XML, and the
redirects are followed to a document that is what was asked for, about that IRI. The rules'
one target line is pointed at the local gunicorn instead of the placeholder host.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from rdflib import Graph, URIRef

from tests.apache_server import apache_server
from tests.conftest import ROOT

#: One worker runs the module (``--dist loadgroup``), so Apache starts once.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("w3id-apache")]

BASE = "https://w3id.org/digikommun/"
HTACCESS = ROOT / "w3id" / "digikommun" / ".htaccess"
TARGET_LINE = re.compile(r"^RewriteRule \^ - \[E=DK_TARGET:(\S+)\]$", re.M)
PLACEHOLDER = "https://digikommun.invalid"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}
MEDIA_TYPES = ["text/html", *RDF_TYPES]
VOID_TRIPLES = URIRef("http://rdfs.org/ns/void#triples")


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    hops: list[tuple[int, str]]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def follow(url: str, accept: str, limit: int = 5) -> Answer:
    """GET ``url`` and follow redirects by hand, keeping each hop's status and Location."""
    hops = []
    for _ in range(limit):
        request = urllib.request.Request(url, headers={"Accept": accept})
        try:
            with _opener.open(request, timeout=30) as response:
                media = response.headers.get_content_type()
                return Answer(response.status, media, response.read(), hops)
        except urllib.error.HTTPError as err:
            if err.code not in (301, 302, 303, 307, 308):
                return Answer(err.code, err.headers.get_content_type(), err.read(), hops)
            url = urllib.parse.urljoin(url, err.headers["Location"])
            hops.append((err.code, url))
    raise AssertionError(f"more than {limit} redirects: {hops}")


@pytest.fixture(scope="module")
def server(gunicorn_url: str) -> str:
    return gunicorn_url.removesuffix("/sparql")


@pytest.fixture(scope="module")
def w3id(server: str):
    """Apache serving the repository's rules at /digikommun/, redirecting to our gunicorn."""
    rules = HTACCESS.read_text(encoding="utf-8")
    targets = TARGET_LINE.findall(rules)
    assert targets == [PLACEHOLDER]  # the one configurable line, honest about its placeholder
    local = TARGET_LINE.sub(f"RewriteRule ^ - [E=DK_TARGET:{server}]", rules)
    with apache_server({"digikommun": local}) as base:
        yield base + "/digikommun/"


def sample_iris(server: str) -> list[str]:
    """One thing of every kind, chosen by the store (not by hand), and a few ontology terms."""
    import json

    query = (
        "SELECT ?kind (MIN(STR(?s)) AS ?iri) WHERE { ?s ?p ?o "
        f'FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{BASE}id/")) '
        f'BIND (STRBEFORE(STRAFTER(STR(?s), "{BASE}id/"), "/") AS ?kind) }} GROUP BY ?kind'
    )
    request = urllib.request.Request(
        server + "/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    things = sorted(row["iri"]["value"] for row in rows)
    assert len(things) >= 15  # municipalities, editions, nominations, persons, statements, …
    return things


def check(answer: Answer, accept: str, server: str) -> Graph | None:
    """The redirects ended at our server with a 200 in the type asked for; the RDF, parsed."""
    assert answer.status == 200, (accept, answer.hops, answer.body[:200])
    assert answer.media_type == accept, (accept, answer.hops)
    assert answer.hops and answer.hops[-1][1].startswith(server), answer.hops
    if accept == "text/html":
        assert b"<html" in answer.body[:300]
        return None
    return Graph().parse(data=answer.body, format=RDF_TYPES[accept])


def w3id_url(w3id: str, iri: str) -> str:
    """What a client asks w3id.org for: the IRI without its fragment."""
    return w3id + iri.split("#")[0][len(BASE) :]


@pytest.mark.parametrize("accept", MEDIA_TYPES)
def test_things_of_every_kind_resolve(w3id: str, server: str, accept: str) -> None:
    for iri in sample_iris(server):
        answer = follow(w3id_url(w3id, iri), accept)
        assert answer.hops[0][0] == 303, (iri, answer.hops)
        graph = check(answer, accept, server)
        if graph is None:
            assert iri.encode() in answer.body, iri
        else:
            subject = URIRef(iri)
            assert (subject, None, None) in graph or (None, None, subject) in graph, iri


@pytest.mark.parametrize("accept", MEDIA_TYPES)
def test_every_named_graph_resolves(w3id: str, server: str, accept: str) -> None:
    request = urllib.request.Request(server + "/graph/", headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        listed = Graph().parse(data=response.read(), format="turtle")
    graphs = sorted(str(s) for s in listed.subjects())
    assert len(graphs) >= 10
    for iri in graphs:
        graph = check(follow(w3id_url(w3id, iri), accept), accept, server)
        if graph is None:
            assert iri.encode() in follow(w3id_url(w3id, iri), accept).body
        else:  # the graph's own triples, as many as the list says it holds
            assert len(graph) == int(listed.value(URIRef(iri), VOID_TRIPLES)), iri


ONTOLOGY_TERMS = ["ontology#Municipality", "ontology#Nomination", "ontology#nominee"]


@pytest.mark.parametrize("accept", MEDIA_TYPES)
def test_ontology_terms_versions_and_alignments_resolve(
    w3id: str, server: str, accept: str
) -> None:
    for term in ONTOLOGY_TERMS:
        answer = follow(w3id + term.split("#")[0], accept)
        assert answer.status == 200 and answer.media_type == accept, (term, answer.hops)
        if accept == "text/html":
            anchor = term.split("#")[1]
            assert re.search(rf"""id=['"]{anchor}['"]""".encode(), answer.body), term
        else:
            graph = Graph().parse(data=answer.body, format=RDF_TYPES[accept])
            assert (URIRef(BASE + term), None, None) in graph, term
    ontology = Graph().parse(
        data=follow(server + "/ontology.ttl", "text/turtle").body, format="ttl"
    )
    versions = [
        str(v)
        for v in ontology.objects(
            URIRef(BASE + "ontology"), URIRef("http://www.w3.org/2002/07/owl#versionIRI")
        )
    ]
    assert versions
    for iri in versions:
        answer = follow(w3id_url(w3id, iri), accept)
        assert answer.status == 200 and answer.media_type == accept, (iri, answer.hops)
    if accept != "text/html":  # the alignments are RDF only
        answer = follow(w3id + "ontology/alignments", accept)
        assert answer.status == 200 and answer.media_type == accept


@pytest.mark.parametrize("accept", MEDIA_TYPES)
def test_the_dataset_and_the_base_resolve(w3id: str, server: str, accept: str) -> None:
    for iri in (BASE + "catalog#dataset", BASE):
        graph = check(follow(w3id_url(w3id, iri), accept), accept, server)
        if graph is not None:
            assert (URIRef(BASE + "catalog#dataset"), None, None) in graph


QUALITY_SUFFIX = {
    "text/html": ".html",
    "text/turtle": ".ttl",
    "application/ld+json": ".jsonld",
    "application/rdf+xml": ".rdf",
}


@pytest.mark.parametrize("accept", MEDIA_TYPES)
def test_the_quality_report_resolves(w3id: str, server: str, accept: str) -> None:
    """``…/quality`` is answered by its own rule (a 303 straight to the document in the type
    asked for, as for the catalogue), not by the catch-all 307 that leaves it to the server."""
    answer = follow(w3id + "quality", accept)
    assert answer.hops[0] == (303, server + "/quality" + QUALITY_SUFFIX[accept]), answer.hops
    graph = check(answer, accept, server)
    if graph is None:
        assert b'<link rel="alternate" href="/quality.ttl"' in answer.body  # the report page
    else:  # the report itself, with the SHACL validation report among its parts
        assert (URIRef(BASE + "quality"), None, None) in graph
        shacl = URIRef("http://www.w3.org/ns/shacl#ValidationReport")
        assert (None, None, shacl) in graph
    suffixed = follow(w3id + "quality" + QUALITY_SUFFIX[accept], accept)
    assert suffixed.hops[0] == (302, server + "/quality" + QUALITY_SUFFIX[accept])
    assert suffixed.status == 200 and suffixed.media_type == accept, suffixed.hops


def test_q_values_are_left_to_the_server(w3id: str, server: str) -> None:
    """A list with q-values is passed on unchanged; our server negotiates it and says Vary."""
    answer = follow(w3id + "id/municipality/lidingo", "text/turtle;q=0.5, application/ld+json")
    assert answer.status == 200 and answer.media_type == "application/ld+json", answer.hops
    assert answer.hops[0][0] == 307 and answer.hops[1][0] == 303


def test_endpoint_and_graph_store_pass_through(w3id: str, server: str) -> None:
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    answer = follow(w3id + "sparql?" + query, "application/sparql-results+json")
    assert answer.status == 200 and b"true" in answer.body
    store = urllib.parse.urlencode({"graph": BASE + "graph/reference"})
    answer = follow(w3id + "store?" + store, "application/n-triples")
    assert answer.status == 200
    assert len(Graph().parse(data=answer.body, format="nt")) > 100
    missing = follow(w3id + "id/municipality/no-such-place", "text/turtle")
    assert missing.status == 404
