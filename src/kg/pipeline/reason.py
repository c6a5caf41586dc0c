"""Materialise the OWL 2 RL closure and keep only the new triples a consumer can use.

owlrl adds thousands of triples that say nothing (every IRI is an ``owl:Thing``, every literal
has its own datatype, the W3C vocabularies restated). We keep an inferred triple only when it is
about one of our own resources or terms, and we fail on a contradiction instead of hiding it.
"""

from __future__ import annotations

from dataclasses import dataclass

import owlrl
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal

from kg.namespaces import BASE
from kg.pipeline.errors import InconsistentDataError

_TRIVIAL_CLASSES = {
    OWL.Thing,
    RDFS.Resource,
    OWL.Nothing,
    RDFS.Class,
    OWL.Class,
    RDFS.Datatype,
    RDF.Property,
    OWL.NamedIndividual,
}
# Domains and ranges that owlrl copies down sub-properties restate the vocabulary, not the data.
_TRIVIAL_PREDICATES = {
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.domain,
    RDFS.range,
}


@dataclass(frozen=True)
class Inconsistency:
    description: str
    triples: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        involved = "; ".join(" ".join(t) for t in self.triples)
        return f"{self.description} [{involved}]" if involved else self.description


def closure(asserted: Graph) -> Graph:
    """Run owlrl on a copy; the input graph is never modified."""
    working = Graph()
    for triple in asserted:
        working.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(working)
    return working


def useful_inferences(asserted: Graph, closed: Graph) -> Graph:
    """The new triples that are about our resources and tell a consumer something."""
    inferred = Graph()
    for s, p, o in closed:
        if (s, p, o) in asserted or not _is_useful(s, p, o):
            continue
        inferred.add((s, p, o))
    return inferred


def _is_useful(s: object, p: object, o: object) -> bool:
    if isinstance(s, (BNode, Literal)) or isinstance(o, BNode):
        return False
    if not str(s).startswith(BASE):
        return False  # statements about other vocabularies' own terms
    if p in _TRIVIAL_PREDICATES or (s == o and p != RDF.type):
        return False
    if p == RDF.type and o in _TRIVIAL_CLASSES:
        return False
    if p in (RDFS.subClassOf, RDFS.subPropertyOf) and o in _TRIVIAL_CLASSES:
        return False
    # owlrl restates that our terms are OWL classes and properties: the ontology says so already.
    return not (p == RDF.type and str(o).startswith(str(OWL)))


def find_inconsistencies(closed: Graph) -> list[Inconsistency]:
    """OWL 2 RL contradictions: owl:Nothing members, disjoint classes shared, and functional
    data properties with two distinct values (owlrl itself only flags some of these)."""
    problems: list[Inconsistency] = []
    for member in closed.subjects(RDF.type, OWL.Nothing):
        problems.append(
            Inconsistency(
                f"<{member}> is a member of owl:Nothing",
                ((str(member), str(RDF.type), str(OWL.Nothing)),),
            )
        )
    for a, b in closed.subject_objects(OWL.disjointWith):
        for member in set(closed.subjects(RDF.type, a)) & set(closed.subjects(RDF.type, b)):
            problems.append(
                Inconsistency(
                    f"<{member}> belongs to the disjoint classes <{a}> and <{b}>",
                    (
                        (str(member), "rdf:type", str(a)),
                        (str(member), "rdf:type", str(b)),
                        (str(a), "owl:disjointWith", str(b)),
                    ),
                )
            )
    for prop in closed.subjects(RDF.type, OWL.FunctionalProperty):
        for subject in set(closed.subjects(prop, None)):
            values = {v for v in closed.objects(subject, prop) if isinstance(v, Literal)}
            if len({(v.value if v.value is not None else str(v), v.datatype) for v in values}) > 1:
                problems.append(
                    Inconsistency(
                        f"<{subject}> has {len(values)} values for the functional property "
                        f"<{prop}>",
                        tuple((str(subject), str(prop), v.n3()) for v in sorted(values)),
                    )
                )
    seen: set[str] = set()
    unique = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            unique.append(problem)
    return unique


def reason(asserted: Graph) -> Graph:
    """The useful inferred triples; raises InconsistentDataError naming the triples involved."""
    closed = closure(asserted)
    problems = find_inconsistencies(closed)
    if problems:
        raise InconsistentDataError(
            "the data are inconsistent under OWL 2 RL:\n  " + "\n  ".join(str(p) for p in problems)
        )
    return useful_inferences(asserted, closed)
