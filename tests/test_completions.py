"""The workbench's term lists (/completions/{class,property}.json)."""

from __future__ import annotations


def test_our_classes_come_with_swedish_and_english_labels(client) -> None:
    terms = {t["curie"]: t for t in client.get("/completions/class.json").get_json()}
    assert terms["dk:Municipality"]["label"] == {"sv": "kommun", "en": "municipality"}
    assert "dk:forEdition" not in terms


def test_properties_include_ours_and_those_the_data_uses(client) -> None:
    terms = {t["curie"]: t for t in client.get("/completions/property.json").get_json()}
    assert terms["dk:forEdition"]["iri"] == "https://w3id.org/digikommun/ontology#forEdition"
    assert "skos:altLabel" in terms  # used in the data, declared elsewhere
    assert "dk:Municipality" not in terms


def test_an_unknown_kind_is_a_404(client) -> None:
    assert client.get("/completions/individual.json").status_code == 404
