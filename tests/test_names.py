"""One name per language in the default graph, as consumers who ask for "the Swedish label" need.

The shapes check the asserted files (dks:OneNamePerLanguageShape, dks:PreferredLabelShape); these
tests check what is served, the inferred graph included, because an alignment axiom such as
``dk:postTitle rdfs:subPropertyOf rdfs:label`` adds a second label only after reasoning.
"""

from __future__ import annotations

ID = "https://w3id.org/digikommun/id/"


def test_no_thing_has_two_labels_in_one_language(sparql_rows) -> None:
    rows = sparql_rows(
        """SELECT ?s ?lang (COUNT(DISTINCT ?l) AS ?n) WHERE { ?s rdfs:label ?l }
           GROUP BY ?s (LANG(?l) AS ?lang) HAVING (COUNT(DISTINCT ?l) > 1)"""
    )
    assert rows == []


def test_every_labelled_thing_has_its_label_as_preferred_label(sparql_rows) -> None:
    rows = sparql_rows(
        f"""SELECT ?s ?l WHERE {{
             ?s rdfs:label ?l FILTER(STRSTARTS(STR(?s), "{ID}"))
             FILTER NOT EXISTS {{ ?s skos:prefLabel ?l }} }}"""
    )
    assert rows == []
    # and the check above is not vacuous: hundreds of things are labelled
    count = sparql_rows(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s rdfs:label ?l "
        f'FILTER(STRSTARTS(STR(?s), "{ID}")) }}'
    )
    assert int(count[0]["n"]) > 300


def test_other_forms_a_source_uses_stay_in_its_graph_as_alternative_labels(sparql_rows) -> None:
    rows = sparql_rows("""SELECT ?g ?alt WHERE { GRAPH ?g { mun:lidingo skos:altLabel ?alt } }""")
    assert {"g": "https://w3id.org/digikommun/graph/source-000", "alt": "Lidingö stad"} in rows
    labels = sparql_rows('SELECT ?l WHERE { mun:lidingo rdfs:label ?l FILTER(LANG(?l) = "sv") }')
    assert labels == [{"l": "Lidingö"}]


def test_readme_example_gives_one_row_per_nominee(sparql_rows) -> None:
    """Issue #15: the README's first example returned 16 rows for 5 nominees."""
    rows = sparql_rows(
        "SELECT ?m WHERE { ?n dk:forEdition edition:2019 ; dk:nominee/rdfs:label ?m "
        'FILTER(LANG(?m) = "sv") }'
    )
    assert sorted(r["m"] for r in rows) == [
        "Karlskrona",
        "Karlstad",
        "Lidingö",
        "Södertälje",
        "Umeå",
    ]


def test_a_nomination_label_says_it_is_a_nomination(sparql_rows) -> None:
    """Issue #15: text 002 names Lidingö only as a nominee, so the label is no winner's title."""
    rows = sparql_rows(
        'SELECT ?l WHERE { nomination:2019-lidingo rdfs:label ?l FILTER(LANG(?l) = "sv") }'
    )
    assert rows == [{"l": "Lidingö, nominering till Sveriges DigitaliseringsKommun 2019"}]
