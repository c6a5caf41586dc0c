"""Reference data: every municipality has its SCB code and county, and the codes are sound."""

from __future__ import annotations

import re

import pytest

from kg.settings import Settings
from kg.store import open_engine

CODES = """
SELECT ?m ?code ?county ?countyCode ?name WHERE {
  ?m a dk:Municipality .
  OPTIONAL { ?m dk:municipalityCode ?code }
  OPTIONAL { ?m dk:inCounty ?county . ?county dk:countyCode ?countyCode }
  OPTIONAL { ?m skos:prefLabel ?name FILTER (lang(?name) = "sv") }
}"""


@pytest.fixture(scope="module")
def municipalities(built: Settings) -> list[dict[str, str]]:
    result = open_engine(built).query(CODES)
    return [{k: v.value for k, v in row.items()} for row in result.rows]


def test_every_municipality_has_code_county_and_name(municipalities) -> None:
    incomplete = [r["m"] for r in municipalities if not {"code", "countyCode", "name"} <= r.keys()]
    assert incomplete == []
    assert len(municipalities) >= 31


def test_codes_are_four_digits_unique_and_start_with_the_county_code(municipalities) -> None:
    codes = [r["code"] for r in municipalities]
    assert all(re.fullmatch(r"[0-9]{4}", c) for c in codes)
    assert len(codes) == len(set(codes))
    assert all(r["code"][:2] == r["countyCode"] for r in municipalities)


def test_known_codes(municipalities) -> None:
    by_name = {r["name"]: r["code"] for r in municipalities}
    assert by_name["Lidingö"] == "0186"
    assert by_name["Sundsvall"] == "2281"
    assert by_name["Upplands-Bro"] == "0139"


def test_codes_state_scb_as_their_source(built: Settings) -> None:
    query = """ASK { GRAPH <https://w3id.org/digikommun/graph/reference> {
        mun:lidingo prov:wasDerivedFrom ?list . ?list dcterms:publisher orgn:scb } }"""
    assert open_engine(built).query(query).value is True


def test_seed_and_reference_meet_on_one_nomination(built: Settings) -> None:
    """Issue 10: where a seed and a reference page agree, the consumer sees two sources."""
    query = """SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g {
        <https://w3id.org/digikommun/id/nomination/2021-sundsvall> dk:stage dk:Winner } }"""
    rows = open_engine(built).query(query).rows
    assert int(rows[0]["n"].value) >= 2


def _rows(built: Settings, query: str) -> list[dict[str, str]]:
    return [{k: v.value for k, v in r.items()} for r in open_engine(built).query(query).rows]


def test_joint_nomination_2023_has_three_nominees(built: Settings) -> None:
    rows = _rows(
        built,
        """SELECT ?name WHERE {
        <https://w3id.org/digikommun/id/nomination/2023-mora-orsa-alvdalen>
            dk:forEdition edition:2023 ; dk:nominee/skos:prefLabel ?name
        FILTER (lang(?name) = "sv") } ORDER BY ?name""",
    )
    assert [r["name"] for r in rows] == ["Mora", "Orsa", "Älvdalen"]


def test_2015_and_2023_nominees(built: Settings) -> None:
    rows = _rows(
        built,
        """SELECT ?year (COUNT(DISTINCT ?n) AS ?nominations) WHERE {
        ?n dk:forEdition ?e . ?e dk:year ?year FILTER (?year IN ("2015"^^xsd:gYear,
        "2023"^^xsd:gYear)) } GROUP BY ?year ORDER BY ?year""",
    )
    assert [(r["year"], r["nominations"]) for r in rows] == [("2015", "8"), ("2023", "5")]


def test_tenth_edition_and_advisory_seat_with_page_and_reading_date(built: Settings) -> None:
    rows = _rows(
        built,
        """SELECT ?number ?page ?read WHERE {
        GRAPH <https://w3id.org/digikommun/graph/award-history> {
          edition:2019 dk:editionNumber ?number ; prov:wasDerivedFrom ?page .
          ?page dcterms:date ?read } }""",
    )
    assert {r["number"] for r in rows} == {"10"}
    assert {r["read"] for r in rows} == {"2026-11-24"}
    seat = """ASK { GRAPH <https://w3id.org/digikommun/graph/award-history> {
        ?x dk:advisorySeat orgn:digg } }"""
    assert open_engine(built).query(seat).value is True


def test_award_keeps_one_identity_through_the_renaming(built: Settings) -> None:
    rows = _rows(
        built,
        """SELECT ?name ?from WHERE {
        award:sveriges-digitaliseringskommun dk:awardName ?n .
        ?n dk:nameText ?name ; dk:validFrom ?from } ORDER BY ?from""",
    )
    assert [r["name"] for r in rows] == ["Sveriges IT-kommun", "Sveriges DigitaliseringsKommun"]
