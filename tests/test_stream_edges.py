"""The streaming build's pyshacl batches (:func:`kg.pipeline.stream.validate_batches`) judge a
target node that no input file describes, too (issue 22's review: skipping those "orphans" left
the suite green). Such a node is judged once, after every batch, over the whole store."""

from __future__ import annotations

from kg.pipeline.synth import synthesise
from tests.test_stream_build import _problems, small_batches  # noqa: F401 - a fixture

GHOST = "https://w3id.org/digikommun/id/municipality/described-nowhere"

#: sh:closed is not compiled to SPARQL, so this shape goes to pyshacl in batches; its target
#: node is named by the shape only, no file describes it, so it has no label.
GHOST_SHAPE = f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/digikommun/shapes#GhostShape> a sh:NodeShape ;
    sh:targetNode <{GHOST}> ;
    sh:closed true ; sh:ignoredProperties ( rdf:type rdfs:label ) ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ;
                  sh:message "The named municipality has a label."@en ] ;
    sh:message "The named municipality has a type and labels only."@en .
"""


def test_a_target_node_no_file_describes_is_judged_in_the_streaming_build(
    tmp_path,
    small_batches,  # noqa: F811 - the fixture
) -> None:
    project = synthesise(tmp_path / "p", 3000).root
    (project / "shapes" / "ghost.ttl").write_text(GHOST_SHAPE, encoding="utf-8")
    memory = _problems(project, tmp_path, "memory")
    streamed = _problems(project, tmp_path, "stream")
    assert streamed == memory
    assert any("The named municipality has a label." in line for line in streamed), streamed


LAST_COUNTY = """<https://w3id.org/digikommun/id/county/zz-last>
    a <https://w3id.org/digikommun/ontology#County> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Sista länet"@sv , "Last county"@en ;
    <https://w3id.org/digikommun/ontology#iso31662Code> "SE-ZZ" .
"""


def test_the_files_of_the_last_short_batch_are_validated_too(
    tmp_path,
    small_batches,  # noqa: F811 - the fixture
) -> None:
    """The files after the last full batch form a short batch of their own: a shape left to
    pyshacl still judges what only they describe (here a county in the last file, which has a
    property the closed shape does not allow)."""
    from tests.test_stream_build import CLOSED_SHAPE

    project = synthesise(tmp_path / "p", 3000).root
    (project / "shapes" / "closed.ttl").write_text(CLOSED_SHAPE, encoding="utf-8")
    (project / "data" / "ttl" / "synth" / "zz-last.ttl").write_text(LAST_COUNTY, encoding="utf-8")
    memory = _problems(project, tmp_path, "memory")
    streamed = _problems(project, tmp_path, "stream")
    assert streamed == memory
    assert any("zz-last.ttl" in line and "only a type and labels" in line for line in streamed), (
        streamed
    )
