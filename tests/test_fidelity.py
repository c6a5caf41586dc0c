"""Regression tests for what an outside reading of the transcription found (issue #15, item 7).

Each test names the finding; the data records the resolution in an editorial note.
"""

from __future__ import annotations

import pytest


def test_text_004_criterion_has_no_guessed_speaker(sparql_rows) -> None:
    """Text 004 introduces the criterion with an impersonal "söker man efter": no speaker."""
    rows = sparql_rows("SELECT ?who WHERE { statement:004-kriterium dk:speaker|dk:speaksFor ?who }")
    assert rows == []
    flag = sparql_rows("SELECT ?f WHERE { statement:004-kriterium dk:speakerNotStated ?f }")
    assert flag == [{"f": "true"}]


def test_each_criterion_sentence_has_at_most_one_speaker(sparql_rows) -> None:
    rows = sparql_rows(
        """SELECT ?s (COUNT(DISTINCT ?who) AS ?n) WHERE { ?x dk:criterion ?s . ?s dk:speaker ?who }
           GROUP BY ?s HAVING (COUNT(DISTINCT ?who) > 1)"""
    )
    assert rows == []


@pytest.mark.parametrize(
    "initiative",
    [
        "sundsvall-oppen-kallkod",
        "sundsvall-separat-datalagring",
        "sundsvall-innovationsframjande-kultur",
        "sundsvall-digital-mognad",
        "karlskrona-digitaliseringsarbete",
        "umea-digitalisering",
        "sodertalje-samlat-grepp",
        "karlstad-somlos-organisation",
        "lidingo-digitalt-forst",
        "lidingo-digitaliseringsledord",
        "lidingo-dataskydd",
        "lidingo-it-upphandlingar",
    ],
)
def test_initiative_is_not_typed_more_strongly_than_its_text(sparql_rows, initiative: str) -> None:
    """The texts call none of these a strategy, programme or project."""
    rows = sparql_rows(f"SELECT ?k WHERE {{ initiative:{initiative} dk:initiativeKind ?k }}")
    assert rows == []


def test_verksamhetsutveckling_is_developing_operations(sparql_rows) -> None:
    rows = sparql_rows(
        """SELECT ?t WHERE { ?s dk:translation|dcterms:description ?t
             FILTER(LANG(?t) = "en" && CONTAINS(LCASE(?t), "business development")) }"""
    )
    assert rows == []
