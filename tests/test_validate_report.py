"""`kg validate` and `kg build` report problems an editor can act on: file, line, label, rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from kg.cli import main
from kg.pipeline.reason import closure, find_inconsistencies
from tests.conftest import ROOT, copy_project

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(tmp_path)
    monkeypatch.setenv("KG_ROOT", str(root))
    monkeypatch.setenv("KG_BUILD_DIR", str(tmp_path / "build"))
    return root


def test_violation_names_file_line_label_property_rule(project: Path, capsys) -> None:
    shutil.copy(FIXTURES / "nomination-without-edition.ttl", project / "data/ttl/sources")
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "dk:forEdition" in x)
    assert line.startswith("data/ttl/sources/nomination-without-edition.ttl:6: Violation: ")
    assert "(Testby, vinnare 2019)" in line
    assert "A nomination names exactly one edition" in line
    assert main(["validate", "--format", "json"]) == 1
    problem = json.loads(capsys.readouterr().out)["problems"][0]
    assert (problem["file"], problem["line"], problem["severity"]) == (
        "data/ttl/sources/nomination-without-edition.ttl",
        6,
        "Violation",
    )


def test_syntax_error_names_file_line_and_column(project: Path, capsys) -> None:
    (project / "data/ttl/sources/broken.ttl").write_text(
        "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n\n"
        'dk:a dk:b "x"\ndk:c dk:d dk:e .\n',
        encoding="utf-8",
    )
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "data/ttl/sources/broken.ttl:4:" in err and "syntax error" in err


def test_warnings_pass_unless_strict(project: Path, capsys) -> None:
    (project / "data/ttl/sources/warned.ttl").write_text(
        "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/digikommun/id/initiative/x> a dk:Initiative ;\n"
        '    rdfs:label "x"@sv , "x"@en .\n',
        encoding="utf-8",
    )
    assert main(["validate"]) == 0
    assert "Warning" in capsys.readouterr().out
    assert main(["validate", "--strict"]) == 1


INCONSISTENT = """
@prefix dk: <https://w3id.org/digikommun/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://w3id.org/digikommun/id/test/> .
dk:Person owl:disjointWith dk:Organisation .
ex:both a dk:Person , dk:Organisation .
ex:nothing a owl:Nothing .
ex:edition dk:year "2019"^^xsd:gYear , "2020"^^xsd:gYear .
"""


def test_inconsistencies_name_the_triples() -> None:
    graph = Graph().parse(ROOT / "ontology" / "ontology.ttl").parse(data=INCONSISTENT)
    found = [str(p) for p in find_inconsistencies(closure(graph))]
    test = "https://w3id.org/digikommun/id/test/"
    assert any(f"<{test}both> belongs to the disjoint classes" in p for p in found), found
    assert any(
        f"{test}nothing http://www.w3.org/1999/02/22-rdf-syntax-ns#type" in p for p in found
    ), found
    year = next(p for p in found if "functional property" in p)
    assert '"2019"' in year and '"2020"' in year


def test_build_fails_on_inconsistency(project: Path, capsys) -> None:
    (project / "data/ttl/sources/contradiction.ttl").write_text(
        "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<https://w3id.org/digikommun/id/test/x> a owl:Nothing .\n",
        encoding="utf-8",
    )
    assert main(["build"]) == 1
    assert "owl:Nothing" in capsys.readouterr().err
