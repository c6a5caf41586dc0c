"""pyoxigraph's parse gives the streaming build rdflib's very lines, or is not used (issue 27)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.pipeline.build import _nquads
from kg.pipeline.fast_parse import fast_lines
from kg.pipeline.load import discover, parse_file
from kg.pipeline.synth import synthesise
from tests.conftest import ROOT

GRAPH = discover(ROOT)[0].graph


def _compare(root: Path) -> int:
    """Every file of ``root``: the fast lines equal rdflib's, or the file is refused.
    Returns how many were parsed fast."""
    fast = 0
    for item in discover(root):
        lines = fast_lines(item.path, item.graph)
        if lines is not None:
            fast += 1
            assert lines == _nquads(parse_file(item.path, item.relative), item.graph), item.relative
    return fast


def test_the_real_project_files_give_rdflibs_lines() -> None:
    assert _compare(ROOT) >= len(discover(ROOT)) // 2  # most files take the fast path


def test_a_synthetic_project_is_parsed_fast_and_the_same(tmp_path: Path) -> None:
    project = synthesise(tmp_path / "p", 3000).root
    assert _compare(project) == len(discover(project))


PREFIXES = (
    "@prefix ex: <http://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('ex:a ex:b "x"@sv-SE .', "a capital in a language tag: pyoxigraph lower-cases it"),
        ('ex:a ex:b "x"@SV .', "a capital in a language tag"),
        ("ex:a ex:b [ ex:c 1 ] .", "a blank node: rdflib names it at random"),
        ('ex:a ex:b "s"^^xsd:string .', "rdflib keeps the explicit xsd:string"),
        ("_:x ex:b 1 .", "a blank node"),
        ("ex:a ex:b ?FILL_IN_SPEAKER .", "a kg quote hole: rdflib's path reports it"),
        ("ex:a ex:b .", "a syntax error: rdflib's message names the line"),
    ],
)
def test_files_rdflib_must_parse_are_refused(tmp_path: Path, body: str, why: str) -> None:
    path = tmp_path / "f.ttl"
    path.write_text(PREFIXES + body + "\n", encoding="utf-8")
    assert fast_lines(path, GRAPH) is None, why


def test_literals_are_written_as_rdflib_writes_them(tmp_path: Path) -> None:
    """Normalised lexical forms, escapes, plain and typed strings, numbers as written."""
    path = tmp_path / "f.ttl"
    path.write_text(
        PREFIXES + 'ex:a ex:b "01"^^xsd:integer, 1.50, 1e3, true, "x\\ty\\"z\\u00e5", '
        '"é"@sv, """two\nlines""", <rel> .\n',
        encoding="utf-8",
    )
    lines = fast_lines(path, GRAPH)
    assert lines is not None
    assert lines == _nquads(parse_file(path, "f.ttl"), GRAPH)
    assert any('"1"^^<http://www.w3.org/2001/XMLSchema#integer>' in line for line in lines)
