"""The hints' own rules (:mod:`kg.pipeline.shacl.hints`) at their edges (issue 22's review):
how many allowed values a hint lists, which kind of term it proposes, and how far down the
class hierarchy it looks for candidates."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from kg.namespaces import DK, ONTOLOGY_IRI
from kg.pipeline.shacl import hints

EX = "http://example.org/"


@pytest.mark.parametrize(("allowed", "listed", "more"), [(6, 6, False), (7, 6, True)])
def test_a_hint_lists_six_allowed_values_and_marks_any_more(allowed, listed, more) -> None:
    values = [URIRef(f"{EX}value{n}") for n in range(allowed)]
    text = hints._allowed(Graph(), Literal("something else"), values, "allowed")
    shown = text.split("allowed: ", 1)[1]
    assert shown.endswith(", …") is more, text
    assert len(shown.removesuffix(", …").split(", ")) == listed == hints.LISTED


def test_a_misspelt_class_is_offered_a_class_and_a_property_a_property() -> None:
    """dk:Stage (a class) and dk:stage (a property) differ only in case, which the nearness
    measure ignores: the capital decides which one an editor meant."""
    data = Graph()
    for term in ("stage", "Stage"):
        data.add((DK[term], RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)))
    assert hints._nearest_term(data, DK.Stagg).endswith("did you mean dk:Stage?")
    assert hints._nearest_term(data, DK.stagg).endswith("did you mean dk:stage?")


def test_candidates_include_instances_of_sub_sub_classes() -> None:
    data = Graph()
    data.add((URIRef(EX + "B"), RDFS.subClassOf, URIRef(EX + "A")))
    data.add((URIRef(EX + "C"), RDFS.subClassOf, URIRef(EX + "B")))
    data.add((URIRef(EX + "b"), RDF.type, URIRef(EX + "B")))
    data.add((URIRef(EX + "c"), RDF.type, URIRef(EX + "C")))
    data.add((URIRef(EX + "other"), RDF.type, URIRef(EX + "D")))
    assert hints.instances(data, [URIRef(EX + "A")]) == [EX + "b", EX + "c"]
