"""Every named-graph IRI dereferences: ``/graph/{name}`` (issue #15, item 5)."""

from __future__ import annotations

import re

import pytest
from rdflib import Dataset, Graph, URIRef

BASE = "https://w3id.org/digikommun/"
#: suffix → (media type, rdflib parser format, whether the format carries graph names)
FORMATS = {
    "ttl": ("text/turtle", "turtle", False),
    "trig": ("application/trig", "trig", True),
    "nq": ("application/n-quads", "nquads", True),
    "jsonld": ("application/ld+json", "json-ld", False),
    "nt": ("application/n-triples", "nt", False),
    "rdf": ("application/rdf+xml", "xml", False),
}


def counts(client) -> dict[str, int]:
    found = client.application.extensions["kg_engine"].graph_counts()
    assert len(found) >= 10
    return found


def parsed(body: bytes, fmt: str, quads: bool, iri: str) -> int:
    """How many triples the document holds; for quad formats, all in the graph ``iri``."""
    if quads:
        dataset = Dataset().parse(data=body, format=fmt)
        sizes = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
        assert list(sizes) == [iri]
        return sizes[iri]
    return len(Graph().parse(data=body, format=fmt))


def test_every_graph_iri_redirects_to_its_triples_and_they_are_all_there(client) -> None:
    for iri, n in counts(client).items():
        name = iri.rsplit("/", 1)[-1]
        response = client.get(f"/graph/{name}", headers={"Accept": "text/turtle"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/graph/{name}.ttl")
        assert "Accept" in response.headers["Vary"]
        document = client.get(response.headers["Location"])
        assert document.status_code == 200
        assert document.mimetype == "text/turtle"
        assert parsed(document.data, "turtle", False, iri) == n, name


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_suffixed_forms_and_negotiation_give_the_same_triples(client, suffix: str) -> None:
    iri = BASE + "graph/reference"
    n = counts(client)[iri]
    media, fmt, quads = FORMATS[suffix]
    direct = client.get(f"/graph/reference.{suffix}")
    assert direct.status_code == 200
    assert direct.mimetype == media
    assert parsed(direct.data, fmt, quads, iri) == n
    redirect = client.get("/graph/reference", headers={"Accept": f"{media}, text/html;q=0.5"})
    assert redirect.status_code == 303
    assert redirect.headers["Location"].endswith(f"/graph/reference.{suffix}")


def test_html_page_says_what_the_graph_holds(client) -> None:
    iri = BASE + "graph/source-001"
    redirect = client.get("/graph/source-001", headers={"Accept": "text/html"})
    assert redirect.status_code == 303
    page = client.get(redirect.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert iri in html
    shown = re.search(r'<span class="triples">(\d+)</span>', html)
    assert shown and int(shown.group(1)) == counts(client)[iri]
    assert "data/ttl/sources/source-001.ttl" in html  # the input file it was loaded from
    assert 'href="/id/source/001.html' in html  # prov:wasDerivedFrom the source text
    assert "creativecommons.org/licenses/by/4.0" in html
    links = re.findall(r'class="rdf" href="([^"]+)"', html)
    assert len(links) == len(FORMATS)
    for link in links:
        assert client.get(link).status_code == 200
    store = re.search(r'class="store" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert len(Graph().parse(data=client.get(store).data, format="turtle")) == counts(client)[iri]


def test_inferred_graph_page_says_it_is_reasoning(client) -> None:
    html = client.get("/graph/inferred.html?lang=en").get_data(as_text=True)
    assert "OWL 2 RL" in html


def test_list_of_graphs(client) -> None:
    known = counts(client)
    html = client.get("/graph/", headers={"Accept": "text/html"}).get_data(as_text=True)
    for iri in known:
        assert f'href="/graph/{iri.rsplit("/", 1)[-1]}.html' in html
    turtle = client.get("/graph/", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=turtle.data, format="turtle")
    void_triples = URIRef("http://rdfs.org/ns/void#triples")
    assert {str(s): int(o) for s, o in g.subject_objects(void_triples)} == known


def test_unknown_graphs_and_unacceptable_types(client) -> None:
    assert client.get("/graph/no-such-graph", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/graph/no-such-graph.ttl").status_code == 404
    assert client.get("/graph/..%2Fid").status_code == 404
    refused = client.get("/graph/reference", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert "text/turtle" in refused.get_data(as_text=True)


def test_graph_documents_have_etags_and_304(client) -> None:
    first = client.get("/graph/reference.ttl")
    etag = first.headers["ETag"]
    again = client.get("/graph/reference.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get("/graph/reference.nq")
    assert other.headers["ETag"] != etag
