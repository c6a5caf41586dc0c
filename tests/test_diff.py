"""``kg diff``: what a reviewer sees when an editor adds, changes, deprecates or removes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.cli import main
from kg.pipeline.diff import diff, format_diff
from tests.conftest import copy_project, quick_build

EDIT = """
dk:Prize a owl:Class ; rdfs:label "pris"@sv , "prize"@en ;
    skos:definition "Ett pris."@sv , "A prize."@en ;
    rdfs:isDefinedBy <https://w3id.org/digikommun/ontology> .
dk:advisorySeat owl:deprecated true ;
    dcterms:isReplacedBy dk:subOrganisationOf .
"""


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One build of a scratch copy, then edits in its working tree (a build takes seconds)."""
    root = copy_project(tmp_path_factory.mktemp("project"))
    build_dir = root / "build"
    quick_build(root, build_dir, force=True)
    with (root / "ontology" / "ontology.ttl").open("a", encoding="utf-8") as out:
        out.write(EDIT)
    text = (root / "ontology" / "ontology.ttl").read_text(encoding="utf-8")
    text = text.replace('rdfs:label "kommun"@sv', 'rdfs:label "primärkommun"@sv')
    (root / "ontology" / "ontology.ttl").write_text(text, encoding="utf-8")
    with (root / "data/ttl/sources/source-000.ttl").open("a", encoding="utf-8") as out:
        out.write('\nmun:lidingo skos:altLabel "Lidingö kommun"@sv .\n')
    return root, build_dir


def test_terms_added_changed_and_deprecated(edited: tuple[Path, Path]) -> None:
    root, build_dir = edited
    result = diff(build_dir, "worktree", root)
    assert result.terms["added"] == ["dk:Prize (pris)"]
    assert result.terms["deprecated"] == ["dk:advisorySeat (rådgivande plats i)"]
    assert result.terms["changed"] == ["dk:Municipality (primärkommun)"]
    assert result.terms["removed"] == []


def test_triples_per_graph_with_labels(edited: tuple[Path, Path]) -> None:
    root, build_dir = edited
    result = diff(build_dir, "worktree", root)
    graphs = {g.graph: g for g in result.graphs}
    assert set(graphs) == {"graph:ontology", "graph:source-000"}
    assert graphs["graph:source-000"].added == [
        'mun:lidingo (Lidingö) skos:altLabel "Lidingö kommun"@sv'
    ]
    assert graphs["graph:source-000"].removed == []
    text = format_diff(result)
    assert "graph:ontology: +" in text
    assert '  - dk:Municipality (primärkommun) rdfs:label "kommun"@sv' in text
    assert "terms deprecated: dk:advisorySeat" in text


def test_cli(edited: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    root, build_dir = edited
    monkeypatch.setenv("KG_ROOT", str(root))
    assert main(["diff", str(build_dir), str(build_dir)]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["diff", str(build_dir), "worktree", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["terms"]["added"] == ["dk:Prize (pris)"]
    assert main(["diff", str(root / "missing"), "worktree"]) == 2
