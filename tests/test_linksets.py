"""VoID linksets: one per dataset we link into, counted from the store (issue #15, item 3).

The counts are checked on a fixture of made-up links (``tests/fixtures/links/``) loaded beside
the real build with the build's own link graphs left out, so the hand counts stay exact as
data/ttl/links/ grows; the same code counts the real links
(``test_targets_without_links_are_left_out``).
"""

from __future__ import annotations

import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.linksets import TARGETS, Target, linksets
from tests.linked_fixture import linked_app, linked_engine
from tests.test_metadata import SHAPES, official_shapes  # noqa: F401 - a fixture

VOID = "http://rdfs.org/ns/void#"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
SCHEMA_SAME = "https://schema.org/sameAs"
FOAF_TOPIC = "http://xmlns.com/foaf/0.1/isPrimaryTopicOf"
DATASET = URIRef("https://w3id.org/digikommun/catalog#dataset")

#: What the fixture holds, counted by hand: the link stated in two graphs counts once, the link
#: from someone else's subject and the coordinates (literals) not at all.
EXPECTED = {
    "wikidata": {SKOS_EXACT: 2, SCHEMA_SAME: 1},
    "geonames": {SKOS_EXACT: 1},
    "dbpedia": {SKOS_EXACT: 1},
    "wikipedia-sv": {FOAF_TOPIC: 2},
    "wikipedia-en": {FOAF_TOPIC: 1},
}


@pytest.fixture(scope="module")
def linked(built):
    return linked_app(built)


def test_linksets_are_counted_per_target_from_the_store(built) -> None:
    found = linksets(linked_engine(built))
    assert {ls.target.slug: ls.predicates for ls in found} == EXPECTED
    assert {ls.target.slug: ls.triples for ls in found} == {
        slug: sum(by_predicate.values()) for slug, by_predicate in EXPECTED.items()
    }


def test_targets_without_links_are_left_out(app) -> None:
    """The real build's links are whatever data/ttl/links holds: each announced linkset has at
    least one link, and a target nothing links to is not announced with zero triples."""
    with app.app_context():
        engine = app.extensions["kg_engine"]
        for linkset in linksets(engine):
            assert linkset.triples > 0
    nowhere = Target("nowhere", "Nowhere", "urn:x-nowhere:", "urn:x-nowhere:", ("urn:x-nowhere:",))
    assert linksets(engine, targets=(nowhere,)) == []


def _void(app) -> Graph:
    response = app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return Graph().parse(data=response.data, format="turtle")


def test_void_has_a_linkset_per_target(linked) -> None:
    g = _void(linked)
    sets = set(g.subjects(RDF.type, URIRef(VOID + "Linkset")))
    assert len(sets) == len(EXPECTED)
    for linkset in sets:
        assert (DATASET, URIRef(VOID + "subset"), linkset) in g
        assert g.value(linkset, URIRef(VOID + "subjectsTarget")) == DATASET
        target = g.value(linkset, URIRef(VOID + "objectsTarget"))
        slug = next(t.slug for t in TARGETS if URIRef(t.dataset) == target)
        assert int(g.value(linkset, URIRef(VOID + "triples"))) == sum(EXPECTED[slug].values())
        predicates = {str(p) for p in g.objects(linkset, URIRef(VOID + "linkPredicate"))}
        assert predicates == set(EXPECTED[slug])
        assert (target, RDF.type, URIRef(VOID + "Dataset")) in g


def test_catalog_with_linksets_conforms_to_dcat_ap(linked, official_shapes) -> None:  # noqa: F811
    response = linked.test_client().get("/catalog.rdf")
    catalog = Graph().parse(data=response.data, format="xml")
    counts = {
        str(catalog.value(s, URIRef(VOID + "objectsTarget"))): int(
            catalog.value(s, URIRef(VOID + "triples"))
        )
        for s in catalog.subjects(RDF.type, URIRef(VOID + "Linkset"))
    }
    assert counts == {
        t.dataset: sum(EXPECTED[t.slug].values()) for t in TARGETS if t.slug in EXPECTED
    }
    conforms, _, text = validate(
        catalog, shacl_graph=official_shapes, inference="none", allow_warnings=False
    )
    assert conforms, text
    conforms, _, text = validate(catalog, shacl_graph=str(SHAPES), inference="none")
    assert conforms, text
