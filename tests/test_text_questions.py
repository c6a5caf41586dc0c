"""Further competency questions, at least eight per source text, answered from the built graph.

Each question is a query file under queries/text-00N/ whose header says, in plain English, what it
asks and which text answers it, and gives the expected answer as JSON on a `# expect:` line:

* ``{"rows": N}``: the query returns exactly N rows;
* ``{"contains": [{"var": "value", ...}, ...]}``: for each object, some row has those values;
* ``{"equals": [[v1, v2, ...], ...]}``: the rows, in order, with their values in the order of the
  query's variables (``null`` for an unbound variable).

Values are compared as the lexical form of the RDF term (an IRI's string, a literal's text), so
``"2019"``, ``"true"`` and ``"3"`` match the typed literals the query returns; JSON numbers and
booleans are compared in the same lexical form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.settings import Settings
from kg.store import Bindings, open_engine
from tests.conftest import ROOT

QUERIES = ROOT / "queries"
TEXTS = [f"text-00{i}" for i in range(5)]
FILES = sorted(QUERIES.glob("text-*/*.rq"))
EXPECTED_TOTAL = 47
MINIMUM_PER_TEXT = 8


def header(path: Path) -> dict[str, str]:
    """The `# key: value` lines at the top of a query file."""
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        key, sep, value = line[2:].partition(": ")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def lexical(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture(scope="module")
def engine(built: Settings):
    return open_engine(built)


def test_every_text_has_its_questions() -> None:
    assert len(FILES) == EXPECTED_TOTAL
    directories = {path.parent.name for path in FILES}
    assert directories == set(TEXTS)
    for text in TEXTS:
        count = sum(1 for path in FILES if path.parent.name == text)
        assert count >= MINIMUM_PER_TEXT, text


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_header_is_complete(path: Path) -> None:
    fields = header(path)
    assert fields.get("title"), "missing # title:"
    description = fields.get("description", "")
    assert description, "missing # description:"
    assert f"text {path.parent.name[-3:]}" in description, "the description names the text"
    expect = json.loads(fields["expect"])
    assert isinstance(expect, dict) and expect
    assert set(expect) <= {"rows", "contains", "equals"}
    text = path.read_text(encoding="utf-8")
    assert "PREFIX " in text, "declare prefixes: consumers run the file elsewhere"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_question_has_the_expected_answer(path: Path, engine) -> None:
    expect = json.loads(header(path)["expect"])
    result = engine.query(path.read_text(encoding="utf-8"))
    assert isinstance(result, Bindings)
    assert not result.truncated
    rows = [
        {name: (term.value if term is not None else None) for name, term in row.items()}
        for row in result.rows
    ]
    if "rows" in expect:
        assert len(rows) == expect["rows"], rows
    for wanted in expect.get("contains", []):
        wanted = {k: lexical(v) for k, v in wanted.items()}
        assert any(all(row.get(k) == v for k, v in wanted.items()) for row in rows), (
            wanted,
            rows,
        )
    if "equals" in expect:
        actual = [[row.get(name) for name in result.variables] for row in rows]
        expected = [[lexical(v) for v in values] for values in expect["equals"]]
        assert actual == expected
