"""The build pipeline: syntax errors, determinism, atomic writes, reasoning, consistency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef

from kg.pipeline.errors import InconsistentDataError, InputSyntaxError, NonConformingDataError
from kg.pipeline.reason import reason
from kg.settings import Settings
from tests.conftest import copy_project, quick_build

EX = "https://w3id.org/digikommun/id/"


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    bad = root / "data" / "ttl" / "broken.ttl"
    bad.write_text(
        "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n\n"
        '<https://w3id.org/digikommun/id/x> dk:quote "open string .\n',
        encoding="utf-8",
    )
    with pytest.raises(InputSyntaxError) as caught:
        quick_build(root, tmp_path / "out")
    assert caught.value.problem.path == "data/ttl/broken.ttl"
    assert caught.value.problem.line == 3
    assert str(caught.value).startswith("data/ttl/broken.ttl:3:")


def test_same_inputs_give_byte_identical_outputs(built: Settings, fast_built: Settings) -> None:
    """Two builds of the same inputs into different directories (the session's second build
    uses the fast reasoner, which must give the same bytes too)."""
    assert fast_built.build_dir != built.build_dir
    assert fast_built.artifact.read_bytes() == built.artifact.read_bytes()
    assert fast_built.manifest.read_bytes() == built.manifest.read_bytes()
    index = built.build_dir / "search.sqlite"
    assert (fast_built.build_dir / "search.sqlite").read_bytes() == index.read_bytes()


def test_failed_build_keeps_the_last_good_artifact(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    out = tmp_path / "build"
    quick_build(root, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}  # with the store
    (root / "data" / "ttl" / "broken.ttl").write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(InputSyntaxError):
        quick_build(root, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_violation_stops_the_build_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "data" / "ttl" / "bad-nomination.ttl").write_text(
        "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f'<{EX}nomination/x> a dk:Nomination ; rdfs:label "x"@sv ;\n'
        "    dk:stage dk:Nominated .\n",
        encoding="utf-8",
    )
    with pytest.raises(NonConformingDataError) as caught:
        quick_build(root, tmp_path / "out")
    assert "data/ttl/bad-nomination.ttl:3" in str(caught.value)
    assert "exactly one edition" in str(caught.value)
    assert not (tmp_path / "out" / "kg.nq").exists()


def test_second_build_is_skipped_when_inputs_are_unchanged(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    first = quick_build(root, tmp_path / "out")
    second = quick_build(root, tmp_path / "out")
    assert not first.skipped and second.skipped
    assert second.version == first.version


def test_manifest_records_inputs_counts_tools_and_verdict(built: Settings) -> None:
    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    assert manifest["validation"]["conforms"] is True
    assert "ontology/ontology.ttl" in manifest["inputs"]
    assert manifest["graphs"]["https://w3id.org/digikommun/graph/ontology"] > 500
    assert (
        manifest["triples"]["inferred"]
        == manifest["graphs"]["https://w3id.org/digikommun/graph/inferred"]
    )
    assert set(manifest["tools"]) == {"rdflib", "pyshacl", "owlrl", "pyoxigraph"}


def _ontology() -> Graph:
    from tests.conftest import ROOT

    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path)
    return graph


def test_reasoning_adds_standard_types_and_drops_trivia() -> None:
    graph = _ontology()
    lidingo = URIRef(EX + "municipality/lidingo")
    graph.add((lidingo, RDF.type, URIRef("https://w3id.org/digikommun/ontology#Municipality")))
    inferred = reason(graph)
    assert (lidingo, RDF.type, URIRef("http://data.europa.eu/m8g/PublicOrganisation")) in inferred
    assert (lidingo, RDF.type, URIRef("https://schema.org/Organization")) in inferred
    assert (lidingo, RDF.type, OWL.Thing) not in inferred
    assert (lidingo, OWL.sameAs, lidingo) not in inferred
    assert not [t for t in inferred if isinstance(t[0], Literal)]
    assert not [
        s for s in inferred.subjects() if not str(s).startswith("https://w3id.org/digikommun/")
    ]


def test_functional_property_with_two_values_is_inconsistent() -> None:
    graph = _ontology()
    edition = URIRef(EX + "edition/2019")
    dk = "https://w3id.org/digikommun/ontology#"
    graph.add(
        (
            edition,
            URIRef(dk + "year"),
            Literal("2019", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")),
        )
    )
    graph.add(
        (
            edition,
            URIRef(dk + "year"),
            Literal("2021", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")),
        )
    )
    with pytest.raises(InconsistentDataError) as caught:
        reason(graph)
    assert "edition/2019" in str(caught.value) and "2021" in str(caught.value)


def test_disjoint_classes_shared_is_inconsistent() -> None:
    graph = _ontology()
    a, b = URIRef(EX + "test/a"), URIRef(EX + "test/b")
    thing = URIRef(EX + "test/thing")
    graph.add((a, OWL.disjointWith, b))
    graph.add((thing, RDF.type, a))
    graph.add((thing, RDF.type, b))
    with pytest.raises(InconsistentDataError) as caught:
        reason(graph)
    assert "test/thing" in str(caught.value)


def test_quote_that_does_not_match_its_source_stops_the_build(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "data" / "ttl" / "wrong-quote.ttl").write_text(
        "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n"
        "@prefix oa: <http://www.w3.org/ns/oa#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f'<{EX}statement/wrong> a dk:Statement ; rdfs:label "fel"@sv ;\n'
        '    dk:quote "Vi har skapat en helhet!"@sv ;\n'
        f"    dk:speaker <{EX}person/sara-penje> ; dk:quotedFrom <{EX}source/000> ;\n"
        f"    dk:textSelector <{EX}selector/wrong> .\n"
        f'<{EX}selector/wrong> a oa:TextQuoteSelector ; oa:exact "Vi har skapat en helhet!" .\n',
        encoding="utf-8",
    )
    with pytest.raises(NonConformingDataError) as caught:
        quick_build(root, tmp_path / "out")
    assert "statement/wrong" in str(caught.value)
    assert "does not occur" in str(caught.value)
