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
