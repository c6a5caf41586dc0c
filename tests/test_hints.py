"""`kg validate` and `kg lint` name the likely fix (issue #19): the term meant for a misspelt
one, the nearest described IRI for a dangling reference, the values allowed for a wrong one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kg.cli import main
from kg.pipeline.suggest import closest_iri, closest_names
from tests.conftest import ROOT, copy_project

SLIPS = """
@prefix dk:         <https://w3id.org/digikommun/ontology#> .
@prefix rdf:        <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:       <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov:       <http://www.w3.org/ns/prov#> .
@prefix mun:        <https://w3id.org/digikommun/id/municipality/> .
@prefix edition:    <https://w3id.org/digikommun/id/edition/> .
@prefix nomination: <https://w3id.org/digikommun/id/nomination/> .
@prefix statement:  <https://w3id.org/digikommun/id/statement/> .
@prefix person:     <https://w3id.org/digikommun/id/person/> .
@prefix source:     <https://w3id.org/digikommun/id/source/> .

nomination:2021-slips a dk:Nomination ;
    rdfs:label "Felskrivningar"@sv , "Slips"@en ;
    dk:forEditon edition:2021 ;
    dk:forEdition edition:2091 ;
    dk:nominee mun:sundsvall ;
    dk:stage dk:Winer ;
    prov:wasDerivedFrom source:004 .

nomination:2021-wrong-kind a dk:Nomination ;
    rdfs:label "Fel sorts värde"@sv , "Wrong kind of value"@en ;
    dk:forEdition mun:sundsvall ;
    dk:nominee mun:sundsvall ;
    dk:stage dk:Winner ;
    prov:wasDerivedFrom source:004 .

statement:004-kriterium dk:speaker person:markus-mateby .
statement:004-kriterium rdf:comment "a slip of the namespace" .
"""


@pytest.fixture
def slips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(tmp_path)
    shutil.copytree(ROOT / "tests/fixtures/shapes", root / "tests/fixtures/shapes")
    (root / "data/ttl/sources/slips.ttl").write_text(SLIPS, encoding="utf-8")
    monkeypatch.setenv("KG_ROOT", str(root))
    monkeypatch.setenv("KG_BUILD_DIR", str(tmp_path / "build"))
    return root


def _line(out: str, *parts: str) -> str:
    found = [line for line in out.splitlines() if all(p in line for p in parts)]
    assert len(found) == 1, (parts, out)
    return found[0]


def test_validate_names_what_was_meant(slips: Path, capsys) -> None:
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    line = _line(out, "ontology#forEditon>")
    assert line.startswith("data/ttl/sources/slips.ttl:15: Violation:")
    assert line.endswith("→ dk:forEditon is not in the ontology; did you mean dk:forEdition?")
    assert _line(out, "ontology#Winer> rdfs:isDefinedBy").endswith("did you mean dk:Winner?")
    stage = _line(out, "ontology#stage>", "2021-slips")
    assert stage.endswith("→ did you mean dk:Winner? allowed: dk:Winner, dk:Nominated, dk:Finalist")
    dangling = _line(out, "ontology#forEdition>", "2021-slips")
    assert dangling.endswith("→ edition:2091 is not described anywhere; did you mean edition:2021?")
    speaker = _line(out, "ontology#speaker>")
    assert speaker.endswith(
        "person:markus-mateby is not described anywhere; did you mean person:markus-matteby?"
    )
    wrong = _line(out, "ontology#forEdition>", "2021-wrong-kind")
    assert "→ mun:sundsvall is not a dk:AwardEdition; allowed: edition:" in wrong
    assert main(["validate", "--format", "json"]) == 1
    hints = {p["hint"] for p in json.loads(capsys.readouterr().out)["problems"]}
    assert "dk:forEditon is not in the ontology; did you mean dk:forEdition?" in hints


def test_lint_names_what_was_meant(slips: Path, capsys) -> None:
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert _line(out, "[dk:forEditon]", "[undeclared-term]").endswith(
        "→ did you mean dk:forEdition?"
    )
    assert _line(out, "[dk:Winer]").endswith("→ did you mean dk:Winner?")
    assert _line(out, "[rdf:comment]").endswith("→ did you mean rdfs:comment?")


def test_no_suggestion_when_nothing_is_close() -> None:
    assert closest_names("forEditon", ["forEdition", "nominee"]) == ["forEdition"]
    assert closest_names("qqqq", ["forEdition", "nominee"]) == []
    base = "https://w3id.org/digikommun/id/"
    assert closest_iri(base + "edition/2091", [base + "edition/2021", base + "edition/2091x"]) in (
        base + "edition/2021",
        base + "edition/2091x",
    )
    assert closest_iri(base + "edition/zzzz", [base + "person/anna"]) is None
    assert closest_iri(base + "person/sundsvall", [base + "municipality/sundsvall"]) == (
        base + "municipality/sundsvall"
    )
