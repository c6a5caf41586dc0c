"""The quality report: written by every build, true to the store, and able to say "no".

Issue 26: the published graph had no quality report. These tests check that the build writes
one (RDF and the page's JSON), that its counts agree with the store counted another way, that a
broken fixture makes it report a violation, that the same inputs give the same bytes, and that
``/quality``, the catalogue and VoID serve and announce it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from kg.linksets import LINK_PREDICATES, linksets, target_of
from kg.pipeline.load import load_shapes
from kg.pipeline.quality import (
    DATASET,
    QUALITY,
    QUALITY_JSON,
    QUALITY_RDF,
    facts_by_graph,
    report_data,
    report_triples,
    write_quality_report,
)
from kg.pipeline.validate import validate
from kg.settings import Settings
from kg.store import open_engine
from tests.conftest import CLIENT_HEADERS, ROOT

SH = Namespace("http://www.w3.org/ns/shacl#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
BASE = "https://w3id.org/digikommun/"
INVALID = ROOT / "tests" / "fixtures" / "shapes" / "invalid" / "edition-without-award.ttl"


@pytest.fixture(scope="module")
def data(built: Settings) -> dict:
    return json.loads((built.build_dir / QUALITY_JSON).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rdf(built: Settings) -> Graph:
    return Graph().parse(built.build_dir / QUALITY_RDF, format="nt")


def test_the_build_writes_a_conforming_report(built: Settings, data: dict, rdf: Graph) -> None:
    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    assert set(manifest["quality"]) == {QUALITY_RDF, QUALITY_JSON}
    assert data["version"] == manifest["version"]
    report = URIRef(QUALITY + "#shacl")
    assert (report, RDF.type, SH.ValidationReport) in rdf
    assert rdf.value(report, SH.conforms) == Literal(True)
    assert data["conforms"] is True and data["shacl"]["violations"] == 0
    assert (URIRef(QUALITY), RDF.type, DQV.QualityMetadata) in rdf


def test_fact_counts_agree_with_the_store(sparql_rows, data: dict) -> None:
    """Counted again here, graph by graph, without the report's notion of a source."""
    rows = sparql_rows(
        f"""SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}id/")
                 && !STRSTARTS(STR(?s), "{BASE}id/record/")
                 && ?p NOT IN (prov:wasDerivedFrom, dcterms:source)) }}
          FILTER(STRSTARTS(STR(?g), "{BASE}graph/") && !STRENDS(STR(?g), "/inferred")
                 && !STRENDS(STR(?g), "/ontology") && !STRENDS(STR(?g), "/alignments")) }}
        GROUP BY ?g"""
    )
    expected = {r["g"].rsplit("/", 1)[-1]: int(r["n"]) for r in rows}
    assert {row["graph"]: row["facts"] for row in data["facts"]} == expected
    assert data["facts_total"]["facts"] == sum(expected.values())
    for row in data["facts"]:
        assert row["with_source"] + row["without_source"] == row["facts"]
    # every fact of ours has a source today (issue 26); the report must say so
    assert data["facts_total"]["without_source"] == 0


def test_link_counts_agree_with_void_linksets(built: Settings, data: dict) -> None:
    expected = {ls.target.slug: ls.triples for ls in linksets(open_engine(built))}
    assert {row["target"]: row["links"] for row in data["links"]} == expected
    for row in data["links"]:  # every link names the page it was read on (docs/links.md)
        assert row["with_source"] == row["links"] and row["pages"] > 0, row


def test_missing_points_are_the_municipalities_off_the_map(sparql_rows, data: dict) -> None:
    placed = {
        r["m"]
        for r in sparql_rows(
            "SELECT ?m WHERE { ?m a dk:Municipality ; "
            "<http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?x }"
        )
    }
    every = {r["m"] for r in sparql_rows("SELECT ?m WHERE { ?m a dk:Municipality }")}
    listed = {t["iri"] for t in data["missing"]["municipalities-without-point"]["things"]}
    assert listed == every - placed
    assert BASE + "id/municipality/varmdo" not in listed  # placed in issue 26


def test_missing_links_are_the_organisations_that_link_nowhere(sparql_rows, data: dict) -> None:
    """Counted another way: every triple of an organisation, its links picked out in Python."""
    every = {
        r["o"]
        for r in sparql_rows(
            "SELECT ?o WHERE { ?o a dk:Organisation "
            "FILTER NOT EXISTS { ?o a dk:Municipality } FILTER NOT EXISTS { ?o a dk:Jury } }"
        )
    }
    linked = {
        r["s"]
        for r in sparql_rows("SELECT ?s ?p ?x WHERE { ?s a dk:Organisation ; ?p ?x }")
        if r["p"] in LINK_PREDICATES and target_of(r["x"]) is not None
    }
    listed = {t["iri"] for t in data["missing"]["organisations-without-link"]["things"]}
    assert listed == every - linked
    assert BASE + "id/organisation/inera" in listed  # no article found (docs/links.md)
    assert BASE + "id/organisation/vinnova" not in listed  # English article and DBpedia
    assert not any("/id/jury/" in iri for iri in listed)  # the award's own bodies


def test_a_fact_without_a_source_is_counted_as_such() -> None:
    store = ox.Store()
    graph = ox.NamedNode(BASE + "graph/source-999")
    thing = ox.NamedNode(BASE + "id/municipality/fixtureby")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.add(ox.Quad(thing, label, ox.Literal("Fixtureby", language="sv"), graph))
    assert facts_by_graph(store) == [
        {"graph": "source-999", "facts": 1, "with_source": 0, "without_source": 1}
    ]
    derived = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    store.add(ox.Quad(thing, derived, ox.NamedNode(BASE + "id/source/999"), graph))
    assert facts_by_graph(store)[0]["without_source"] == 0


def test_a_broken_fixture_shows_a_violation() -> None:
    """The build refuses non-conforming data, so the report is made here from a validation of
    an invalid shapes fixture: it must say sh:conforms false and name the violation."""
    graph = Graph()
    for part in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(part)
    graph.parse(INVALID)
    problems = validate(graph, load_shapes(ROOT)).problems
    assert any(p.severity == "Violation" for p in problems)
    data = report_data(ox.Store(), "fixture", problems, [])
    assert data["conforms"] is False and data["shacl"]["violations"] >= 1
    rdf = Graph().parse(data="".join(report_triples(data)), format="nt")
    report = URIRef(QUALITY + "#shacl")
    assert rdf.value(report, SH.conforms) == Literal(False)
    severities = {rdf.value(r, SH.resultSeverity) for r in rdf.objects(report, SH.result)}
    assert SH.Violation in severities
    measured = URIRef(QUALITY + "#shacl-violations")
    assert int(rdf.value(measured, DQV.value)) == data["shacl"]["violations"]


def test_the_same_inputs_give_the_same_bytes(built: Settings, tmp_path: Path) -> None:
    store = ox.Store.read_only(str(next(built.build_dir.glob("oxigraph-*"))))
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    data = json.loads((built.build_dir / QUALITY_JSON).read_text(encoding="utf-8"))
    problems, lint = [], []
    assert write_quality_report(store, first, data["version"], problems, lint) == (
        write_quality_report(store, second, data["version"], problems, lint)
    )
    for name in (QUALITY_RDF, QUALITY_JSON):
        assert (first / name).read_bytes() == (built.build_dir / name).read_bytes()


def test_quality_is_served_as_a_page_and_as_rdf(client) -> None:
    page = client.get("/quality", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "sh:conforms true" in text and "graph/links-places" in text
    turtle = client.get("/quality", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle" and "Accept" in turtle.headers["Vary"]
    g = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert (URIRef(QUALITY + "#shacl"), RDF.type, SH.ValidationReport) in g
    jsonld = client.get("/quality.jsonld")
    assert len(Graph().parse(data=jsonld.get_data(as_text=True), format="json-ld")) == len(g)
    bad = client.get("/quality.xlsx")
    assert bad.status_code == 404 and ".ttl" in bad.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/catalog.ttl", "/.well-known/void"])
def test_catalogue_and_void_announce_the_report(client, data: dict, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/turtle"})
    g = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    dataset = URIRef(DATASET)
    assert (dataset, DQV.hasQualityMetadata, URIRef(QUALITY)) in g
    measurements = {str(m): m for m in g.objects(dataset, DQV.hasQualityMeasurement)}
    violations = measurements[QUALITY + "#shacl-violations"]
    assert int(g.value(violations, DQV.value)) == data["shacl"]["violations"]
    without_point = measurements[QUALITY + "#missing-municipalities-without-point"]
    expected = len(data["missing"]["municipalities-without-point"]["things"])
    assert int(g.value(without_point, DQV.value)) == expected
    assert g.value(violations, DQV.isMeasurementOf) is not None


def test_a_build_without_a_report_answers_404_not_500(built: Settings, tmp_path: Path) -> None:
    from kg import create_app

    old = tmp_path / "build"
    shutil.copytree(built.build_dir, old)
    for name in (QUALITY_RDF, QUALITY_JSON):
        (old / name).unlink()
    app = create_app(replace(built, build_dir=old, store="memory"))
    client = app.test_client()
    client.environ_base.update(CLIENT_HEADERS)
    for path in ("/quality", "/quality.ttl"):
        response = client.get(path)
        assert response.status_code == 404 and "kg build" in response.get_data(as_text=True)
    catalog = client.get("/catalog.ttl").get_data(as_text=True)
    assert "hasQualityMetadata" not in catalog  # nothing announced that is not there
