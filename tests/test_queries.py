"""Every example query under queries/ runs and returns the answer its header promises.

The workbench and the examples page offer these files, so a broken example is a broken page.
Each file's ``# expected:`` prose has a machine-readable twin under it: ``# rows: N`` (or
``# rows: >= N``) and, when the prose states its numbers over some graphs only,
``# graphs: name …``. The prose's own count ("12 rows", "at least the 17 …") must agree with
``# rows:``, and ``# rows:`` with the real answer, so neither can drift alone.
"""

from __future__ import annotations

import re

import pytest

from kg.web.site.home import load_examples
from tests.conftest import ROOT

#: The competency questions (cq-*) have their own, stricter tests in tests/test_competency.py.
EXAMPLES = {e.slug: e for e in load_examples(ROOT / "queries") if not e.slug.startswith("cq-")}
REFERENCE = [
    "https://w3id.org/digikommun/graph/reference",
    "https://w3id.org/digikommun/graph/award-history",
    "https://w3id.org/digikommun/graph/ontology",
    "https://w3id.org/digikommun/graph/alignments",
]


#: Every example, competency questions included (the text questions have their own tests).
ALL_EXAMPLES = {e.slug: e for e in load_examples(ROOT / "queries")}
GRAPH_BASE = "https://w3id.org/digikommun/graph/"


def stated(example, name: str) -> str | None:
    match = re.search(rf"(?m)^#\s*{name}:\s*(.+)$", example.text)
    return match.group(1).strip() if match else None


def values(rows, name: str) -> list[str]:
    return [row[name].value for row in rows if name in row]


#: slug → (graphs the header's numbers are stated over, or None for the default graph, check)
CHECKS = {
    "award-names-over-time": (
        None,
        lambda rows: (
            values(rows, "name") == ["Sveriges IT-kommun", "Sveriges DigitaliseringsKommun"]
        ),
    ),
    "edition-with-most-nominees": (
        REFERENCE,
        lambda rows: (
            len(rows) == 1
            and values(rows, "municipalities") == ["8"]
            and values(rows, "year") == ["2015"]
        ),
    ),
    "editions-per-county": (
        REFERENCE,
        lambda rows: (
            len(rows) == 12
            and values(rows, "name")[0] == "Stockholms län"
            and (values(rows, "editions")[0], values(rows, "won")[0]) == ("6", "5")
        ),
    ),
    "municipalities-nominated-more-than-once": (
        REFERENCE,
        lambda rows: sorted(values(rows, "name")) == ["Nacka", "Sundsvall"],
    ),
    "winners-by-year": (
        None,
        lambda rows: (
            len(rows) == 12
            and values(rows, "winner")[0] == "Kalix"
            and values(rows, "winner")[-1] == "Värmdö"
        ),
    ),
    "quotes-per-source": (
        None,
        lambda rows: [int(v) for v in values(rows, "quotes")] == [7, 9, 6, 24, 3],
    ),
    "lidingo-2019-interview": (
        None,
        lambda rows: (
            sorted(values(rows, "speakerName")) == ["Daniel Broman"] * 3 + ["Sara Penje"] * 2
        ),
    ),
    "broman-interview-2019": (
        None,
        lambda rows: len(rows) == 9 and len(values(rows, "translation")) == 9,
    ),
    "nominees-answer-2019": (
        None,
        lambda rows: (
            values(rows, "municipalityName")
            == ["Karlskrona", "Karlstad", "Lidingö", "Södertälje", "Umeå"]
        ),
    ),
    "interviewees-2017": (
        None,
        lambda rows: (
            len(rows) == 8
            and set(values(rows, "attested")) == {"2017-05-09"}
            and "Catrin Ditz" in values(rows, "personName")
        ),
    ),
    "ceremony-2021": (
        None,
        lambda rows: (
            values(rows, "recipientName") == ["Jonas Walker", "Markus Matteby"]
            and set(values(rows, "start")) == {"2022-05"}
            and set(values(rows, "presenterName")) == {"Patrik Sundström"}
        ),
    ),
    "initiatives-per-municipality": (
        None,
        lambda rows: (
            len(rows) == 12
            and values(rows, "name")[:3] == ["Lidingö", "Sundsvall", "Karlskrona"]
            and values(rows, "initiatives")[:3] == ["22", "9", "8"]
        ),
    ),
    "trace-a-fact": (
        None,
        lambda rows: (
            [g.rsplit("/", 1)[1] for g in values(rows, "graph")]
            == ["award-history", "source-000", "source-001"]
        ),
    ),
}


def test_every_example_has_a_check_and_a_header() -> None:
    """A new query file without a check (or a check without its file) fails here."""
    assert len(EXAMPLES) >= 12
    assert set(EXAMPLES) == set(CHECKS)
    for example in EXAMPLES.values():
        assert example.description and example.expected
    for example in ALL_EXAMPLES.values():  # the workbench offers every one, in sv and en
        titles = example.titles
        assert example.slug not in titles.values() and titles["sv"] != titles["en"], titles


@pytest.mark.parametrize("slug", sorted(CHECKS))
def test_example_query_answers_as_promised(app, slug: str) -> None:
    graphs, check = CHECKS[slug]
    engine = app.extensions["kg_engine"]
    result = engine.query(EXAMPLES[slug].text, default_graphs=graphs)
    assert result.rows, f"{slug} returned no rows"
    assert check(result.rows), (
        f"{slug}: {[{k: v.value for k, v in r.items()} for r in result.rows]}"
    )


def test_examples_cover_all_five_texts() -> None:
    """The issue asks for examples across the five source texts."""
    for lang in ("sv", "en"):
        titles = " ".join(e.title(lang) for e in EXAMPLES.values())
        for n in range(5):
            assert f"(text 00{n})" in titles


def test_every_example_is_collected() -> None:
    """So that a stray filter cannot shrink the checks below."""
    assert len(ALL_EXAMPLES) == 25


@pytest.mark.parametrize("slug", sorted(ALL_EXAMPLES))
def test_the_prose_and_the_machine_readable_header_agree(slug: str) -> None:
    example = ALL_EXAMPLES[slug]
    rows = stated(example, "rows")
    assert example.expected and rows, f"{slug}: needs '# expected:' and '# rows:'"
    assert re.fullmatch(r"(>= )?\d+", rows), f"{slug}: '# rows: {rows}' is not N or >= N"
    at_least = re.search(r"\bat least (?:the )?(\d+)\b", example.expected)
    counted = re.search(r"\b(\d+) rows?\b", example.expected)
    if at_least:
        assert rows == f">= {at_least.group(1)}", f"{slug}: prose says at least {at_least[1]}"
    elif counted:
        assert rows == counted.group(1), f"{slug}: prose says {counted.group(0)}, header {rows}"
    over = example.expected.startswith("over the reference graphs")
    assert over == (stated(example, "graphs") is not None), f"{slug}: '# graphs:' and prose"


@pytest.mark.parametrize("slug", sorted(ALL_EXAMPLES))
def test_every_example_answers_with_the_rows_its_header_states(app, slug: str) -> None:
    example = ALL_EXAMPLES[slug]
    graphs = stated(example, "graphs")
    result = app.extensions["kg_engine"].query(
        example.text,
        default_graphs=[GRAPH_BASE + name for name in graphs.split()] if graphs else None,
    )
    rows = stated(example, "rows") or ""
    if rows.startswith(">= "):
        assert len(result.rows) >= int(rows[3:]), f"{slug}: {len(result.rows)} rows"
    else:
        assert len(result.rows) == int(rows), f"{slug}: {len(result.rows)} rows, header {rows}"
