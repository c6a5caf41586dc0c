"""Every SHACL shape has a fixture that passes it and one that fails it, one test per file."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph

from kg.pipeline.load import load_shapes
from kg.pipeline.validate import SH, validate
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
SHAPES = load_shapes(ROOT)


def _with_ontology(path: Path) -> Graph:
    graph = Graph()
    for part in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(part)
    return graph.parse(path)


def _header(path: Path, key: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{path.name} lacks a '# {key}:' header line")


def test_fixture_count() -> None:
    """A stray filter or a lost folder must not silently shrink the coverage."""
    assert len(VALID) == 1
    assert len(INVALID) == 34


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_passes(path: Path) -> None:
    report = validate(_with_ontology(path), SHAPES)
    assert report.problems == (), [str(p) for p in report.problems]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fails_its_shape(path: Path) -> None:
    expected = _header(path, "expect")
    shape = _header(path, "shape").replace("dks:", "https://w3id.org/digikommun/shapes#")
    report = validate(_with_ontology(path), SHAPES)
    matching = [p for p in report.problems if expected in p.message]
    assert matching, (
        f"{path.name}: no problem says {expected!r}: {[str(p) for p in report.problems]}"
    )
    assert {_node_shape(p.shape) for p in matching} == {shape}
    assert len({p.message for p in report.problems}) == 1, [str(p) for p in report.problems]


def _node_shape(source_shape: str) -> str:
    """The node shape a result came from (property shapes are blank nodes inside it)."""
    for node_shape in SHAPES.subjects(SH.property, None):
        if any(str(prop) == source_shape for prop in SHAPES.objects(node_shape, SH.property)):
            return str(node_shape)
    return source_shape


def test_every_shape_has_an_invalid_fixture() -> None:
    shapes_named = {_header(p, "shape") for p in INVALID}
    declared = {
        "dks:" + str(s).rsplit("#", 1)[1]
        for s in SHAPES.subjects(RDF.type, SH.NodeShape)
        if str(s).startswith("https://w3id.org/digikommun/shapes#")
    }
    assert declared <= shapes_named, declared - shapes_named
