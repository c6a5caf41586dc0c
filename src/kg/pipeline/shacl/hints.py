"""The likely fix for a SHACL result, in words: the term or IRI meant, or the values allowed.

A shape says what is wrong ("A nomination names exactly one edition…"); an editor then wants
to know what to write instead. Three cases cover most slips:

* an undeclared ``dk:`` term (namespace hygiene): the nearest declared term;
* a reference to an IRI nothing describes (``edition:2091``): the nearest IRI that is
  described, preferring instances of the class the shape expects;
* a value of the wrong kind (``sh:in``, ``sh:class``): the values allowed, nearest first.
"""

from __future__ import annotations

import re

from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from kg.namespaces import DK, ONTOLOGY_IRI, PREFIXES
from kg.pipeline.suggest import closest_iri, closest_names

SH = Namespace("http://www.w3.org/ns/shacl#")
#: How many allowed values a hint lists before it says "…".
LISTED = 6


def hint(results: Graph, result: object, data: Graph, shapes: Graph) -> str:
    """One clause naming the likely fix, or "" when there is nothing better to say."""
    component = results.value(result, SH.sourceConstraintComponent)
    shape = results.value(result, SH.sourceShape)
    focus = results.value(result, SH.focusNode)
    value = results.value(result, SH.value)
    declared = (focus, RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)) in data
    if component == SH.HasValueConstraintComponent and _is_our_term(focus) and not declared:
        return _nearest_term(data, focus)
    if component == SH.InConstraintComponent and value is not None:
        allowed = [m for lst in shapes.objects(shape, SH["in"]) for m in Collection(shapes, lst)]
        return _allowed(data, value, allowed, "allowed")
    if component in (SH.ClassConstraintComponent, SH.OrConstraintComponent) and isinstance(
        value, URIRef
    ):
        classes = _expected_classes(shapes, shape)
        if classes:
            return _wrong_reference(data, value, classes)
    return ""


def _is_our_term(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(DK))


def _nearest_term(data: Graph, term: URIRef) -> str:
    """Nearest declared term, of the same kind where the spelling shows it (a capital for a
    class or concept, lower case for a property)."""
    declared = [str(t) for t in data.subjects(RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI))]
    declared = [t for t in declared if t.startswith(str(DK))]
    local = str(term)[len(DK) :]
    same_kind = [t for t in declared if t[len(DK) :][:1].isupper() == local[:1].isupper()]
    near = closest_iri(str(term), same_kind) or closest_iri(str(term), declared)
    shown = _short(data, term)
    if near:
        return f"{shown} is not in the ontology; did you mean {_short(data, URIRef(near))}?"
    return f"{shown} is not in the ontology"


def _expected_classes(shapes: Graph, shape: object) -> list[URIRef]:
    """``sh:class`` of the shape, or of each alternative of its ``sh:or``."""
    classes = list(shapes.objects(shape, SH["class"]))
    for alternatives in shapes.objects(shape, SH["or"]):
        for member in Collection(shapes, alternatives):
            classes += list(shapes.objects(member, SH["class"]))
    return [c for c in classes if isinstance(c, URIRef)]


def instances(data: Graph, classes: list[URIRef]) -> list[str]:
    """IRIs typed with one of ``classes`` or a subclass of one (the data are not reasoned)."""
    wanted: set[object] = set(classes)
    frontier = list(classes)
    while frontier:
        for sub in data.subjects(RDFS.subClassOf, frontier.pop()):
            if sub not in wanted:
                wanted.add(sub)
                frontier.append(sub)
    return sorted(
        {str(s) for c in wanted for s in data.subjects(RDF.type, c) if isinstance(s, URIRef)}
    )


def _wrong_reference(data: Graph, value: URIRef, classes: list[URIRef]) -> str:
    kinds = " or ".join(_short(data, c) for c in classes)
    candidates = instances(data, classes)
    shown = _short(data, value)
    if (value, None, None) not in data:  # dangling: nothing describes it
        near = closest_iri(str(value), candidates) or closest_iri(str(value), _described(data))
        if near:
            return f"{shown} is not described anywhere; did you mean {_short(data, URIRef(near))}?"
        return f"{shown} is not described anywhere"
    return _allowed(
        data, value, [URIRef(c) for c in candidates], f"{shown} is not a {kinds}; allowed"
    )


def _described(data: Graph) -> list[str]:
    """Every IRI that is the subject of a triple, apart from the vocabulary's own terms."""
    return [
        str(s)
        for s in set(data.subjects())
        if isinstance(s, URIRef) and not str(s).startswith((str(DK), str(OWL), str(RDFS)))
    ]


def _allowed(data: Graph, value: object, allowed: list, lead: str) -> str:
    """``lead: a, b, c`` with the value nearest to what was written first."""
    if not allowed:
        return ""
    names = {_short(data, a): a for a in allowed}
    near = closest_names(_short(data, value), names, n=len(names)) if names else []
    ordered = near + sorted(set(names) - set(near))
    more = ", …" if len(ordered) > LISTED else ""
    guess = f"did you mean {near[0]}? " if near else ""
    return f"{guess}{lead}: {', '.join(ordered[:LISTED])}{more}"


def _short(graph: Graph, node: object) -> str:
    """``edition:2019``, ``dk:Winner``: the prefixed name an editor writes in the data files."""
    if isinstance(node, URIRef):
        iri = str(node)
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and re.fullmatch(r"[\w.-]+", local):
                return f"{prefix}:{local}"
        return f"<{iri}>"
    return str(node)
