"""The streaming build (kg.pipeline.stream) gives the in-memory build's bytes and problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.pipeline.build import build, streams
from kg.pipeline.errors import InputSyntaxError, NonConformingDataError, PipelineError
from kg.pipeline.synth import synthesise
from kg.settings import Settings
from tests.conftest import ROOT, copy_project


def _same_build(a: Path, b: Path) -> None:
    assert (a / "kg.nq").read_bytes() == (b / "kg.nq").read_bytes()
    assert json.loads((a / "manifest.json").read_text()) == json.loads(
        (b / "manifest.json").read_text()
    )
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of a few hundred triples, so that a small project is validated in many batches
    and facts about one node come from files of other batches."""
    from kg.pipeline import stream, synth

    monkeypatch.setattr(stream, "BATCH_TRIPLES", 400)
    monkeypatch.setattr(synth, "TRIPLES_PER_FILE", 500)  # many files, so many batches


def test_streaming_equals_in_memory_on_a_synthetic_project(tmp_path, small_batches) -> None:
    project = synthesise(tmp_path / "p", 6000).root
    build(project, tmp_path / "memory", force=True, reasoner="fast", mode="memory")
    build(project, tmp_path / "stream", force=True, mode="stream")
    _same_build(tmp_path / "memory", tmp_path / "stream")


def test_streaming_equals_the_reference_build_of_the_real_project(
    built: Settings, tmp_path
) -> None:
    """The real project's artifact and manifest (its hash, counts, quality report and index
    hashes) are byte-identical to the in-memory owlrl build's."""
    build(ROOT, tmp_path / "stream", force=True, mode="stream")
    _same_build(built.build_dir, tmp_path / "stream")


def _problems(root: Path, tmp_path: Path, mode: str) -> list[str]:
    """The build's error lines without their hints: a hint ("did you mean …", "allowed: …")
    names candidates from the data the validator saw, a batch in the streaming build."""
    with pytest.raises(NonConformingDataError) as caught:
        build(root, tmp_path / mode, force=True, reasoner="fast", mode=mode)
    return [line.split(" → ")[0] for line in str(caught.value).splitlines()]


BROKEN = """@prefix dk: <https://w3id.org/digikommun/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/digikommun/id/municipality/synth-001> rdfs:label "Ett andra namn"@sv .

<https://w3id.org/digikommun/id/nomination/extra> a dk:Nomination ;
    rdfs:label "Nominering extra"@sv , "Extra nomination"@en ;
    dk:forEdition <https://w3id.org/digikommun/id/municipality/synth-002> ;
    dk:nominee <https://w3id.org/digikommun/id/municipality/synth-003> ;
    dk:stage dk:Winnner ;
    <http://www.w3.org/ns/prov#wasDerivedFrom> <https://w3id.org/digikommun/id/source/synth-0000> .
"""


def test_streaming_reports_the_problems_the_in_memory_build_reports(
    tmp_path, small_batches
) -> None:
    """Problems that need facts from other files (a second Swedish name for a municipality
    described elsewhere, an edition that is a municipality, a misspelt term used only as an
    object) are found by both builds alike, each once, with file and line."""
    project = synthesise(tmp_path / "p", 3000).root
    (project / "data" / "ttl" / "synth" / "zz-broken.ttl").write_text(BROKEN, encoding="utf-8")
    memory = _problems(project, tmp_path, "memory")
    streamed = _problems(project, tmp_path, "stream")
    assert streamed == memory
    text = "\n".join(streamed)
    assert "data/ttl/synth/synth-0001.ttl:" in text  # the municipality, where it is described
    assert "zz-broken.ttl:6" in text  # the nomination
    assert "Winnner" in text
    assert len(streamed) == 5  # the headline and four problems, none twice


def test_a_syntax_error_names_file_and_line_in_the_streaming_build(tmp_path) -> None:
    project = copy_project(tmp_path / "p")
    bad = project / "data" / "ttl" / "sources" / "source-001.ttl"
    lines = bad.read_text(encoding="utf-8").splitlines()
    lines.insert(20, "this is not turtle .")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputSyntaxError) as caught:
        build(project, tmp_path / "b", force=True, mode="stream")
    assert "data/ttl/sources/source-001.ttl:21" in str(caught.value)
    assert not (tmp_path / "b" / "kg.nq").exists()


def test_auto_streams_only_large_inputs(tmp_path, monkeypatch) -> None:
    import kg.pipeline.build as module

    assert streams(ROOT, "stream") and not streams(ROOT, "memory")
    assert not streams(ROOT, "auto")  # the real project is far below the threshold
    monkeypatch.setattr(module, "STREAM_ABOVE_BYTES", 1000)
    assert streams(ROOT, "auto")
    with pytest.raises(PipelineError, match="build mode"):
        streams(ROOT, "fast")


CLOSED_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dk: <https://w3id.org/digikommun/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/digikommun/shapes#ClosedCountyShape> a sh:NodeShape ;
    sh:targetClass dk:County ;
    sh:closed true ; sh:ignoredProperties ( rdf:type rdfs:label ) ;
    sh:message "A county has only a type and labels."@en .
"""

EXTRA_COUNTY_FACT = """<https://w3id.org/digikommun/id/county/synth-03>
    <https://w3id.org/digikommun/ontology#iso31662Code> "SE-AB" .
"""


def test_a_shape_the_compiler_refuses_is_checked_by_pyshacl(tmp_path, small_batches) -> None:
    """sh:closed is not compiled to SPARQL: the streaming build leaves that shape to pyshacl
    (in batches) and reports its violation as the in-memory build does."""
    project = synthesise(tmp_path / "p", 3000).root
    (project / "shapes" / "closed.ttl").write_text(CLOSED_SHAPE, encoding="utf-8")
    (project / "data" / "ttl" / "synth" / "zz-county.ttl").write_text(
        EXTRA_COUNTY_FACT, encoding="utf-8"
    )
    memory = _problems(project, tmp_path, "memory")
    streamed = _problems(project, tmp_path, "stream")
    assert streamed == memory
    assert any("A county has only a type and labels." in line for line in streamed)


def test_a_step_in_a_process_of_its_own_gives_its_value_and_its_error() -> None:
    from kg.pipeline.background import Background

    assert Background(sum, [1, 2, 3]).result() == 6
    with pytest.raises(ValueError, match="invalid literal"):
        Background(int, "not a number").result()


def test_a_stopped_step_ends_without_an_answer() -> None:
    import time

    from kg.pipeline.background import Background

    step = Background(time.sleep, 3600)
    step.stop()
    assert not step._process.is_alive()
    assert step._process.exitcode is not None and step._process.exitcode < 0  # a signal


INVERSE = """<https://w3id.org/digikommun/ontology#forEdition>
    <http://www.w3.org/2002/07/owl#inverseOf> <https://w3id.org/digikommun/ontology#forEdition> .
"""


def test_the_reasoners_refusal_comes_back_from_its_process(tmp_path) -> None:
    """The reasoner runs in a process of its own: its error reaches the build as it was
    raised there, with the advice to build in memory with owlrl, and nothing is written."""
    from kg.pipeline.materialise import UnsupportedByFastReasonerError

    project = synthesise(tmp_path / "p", 2000).root
    (project / "data" / "ttl" / "synth" / "zz-inverse.ttl").write_text(INVERSE, encoding="utf-8")
    with pytest.raises(UnsupportedByFastReasonerError) as caught:
        build(project, tmp_path / "b", force=True, mode="stream")
    assert "owl#inverseOf" in str(caught.value)
    assert "KG_BUILD_MODE=memory KG_REASONER=owlrl" in str(caught.value)
    assert not (tmp_path / "b" / "kg.nq").exists()


def test_a_step_reports_the_cpu_time_it_used_in_its_process() -> None:
    from kg.pipeline.background import Background

    step = Background(sum, range(3_000_000))
    assert step.result() == sum(range(3_000_000))
    assert step.cpu_seconds > 0  # at least the interpreter's start, whatever the machine
