"""Files the fast parse must leave to rdflib, in spellings ``tests/test_fast_parse.py`` did not
try (issue 22's review): each would otherwise give the streaming build other lines, or accept a
file the in-memory build refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.pipeline.errors import PipelineError
from kg.pipeline.fast_parse import fast_lines
from kg.pipeline.load import parse_file
from tests.test_fast_parse import GRAPH, PREFIXES


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (
            'ex:a ex:b "s"^^<http://www.w3.org/2001/XMLSchema#string> .',
            "xsd:string written as a full IRI: rdflib keeps it, pyoxigraph drops it",
        ),
        ('ex:a ex:b "x"@sv-Latn-SE .', "a capital in a later sub-tag"),
    ],
    ids=["xsd-string-as-full-iri", "capital-in-a-later-sub-tag"],
)
def test_other_spellings_rdflib_must_parse_are_refused(tmp_path: Path, body: str, why: str) -> None:
    path = tmp_path / "f.ttl"
    path.write_text(PREFIXES + body + "\n", encoding="utf-8")
    assert fast_lines(path, GRAPH) is None, why


def test_a_hole_inside_a_string_is_left_to_rdflibs_path_which_refuses_it(tmp_path: Path) -> None:
    """``kg quote``'s holes are refused wherever they stand, even inside a string, where the
    Turtle itself is valid: the fast parse must not load what the in-memory build refuses."""
    path = tmp_path / "f.ttl"
    path.write_text(PREFIXES + 'ex:a ex:b "?FILL_IN_LABEL_SV" .\n', encoding="utf-8")
    assert fast_lines(path, GRAPH) is None
    with pytest.raises(PipelineError, match="FILL_IN_LABEL_SV"):
        parse_file(path, "f.ttl")
