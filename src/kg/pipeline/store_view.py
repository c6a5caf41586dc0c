"""A read-only, rdflib-shaped view of an Oxigraph store's default graph.

The report's helpers (labels, "did you mean" hints, the quote check) were written against an
rdflib ``Graph`` and ask it a few questions each: the objects of a node, the subjects of a type.
The streaming build keeps its graph in an on-disk store; this view answers the same calls from
the store's indexes, one pattern at a time, so those helpers work unchanged without the graph
ever being copied into memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef

from kg.store.rdf_text import to_ox

_XSD_STRING = str(XSD.string)


def to_rdflib(term: object) -> object:
    """The rdflib term for a pyoxigraph term (a plain literal has no datatype, as parsed)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else datatype)
    if term is None:
        return None
    raise TypeError(f"not an RDF term: {term!r}")


class StoreView:
    """The calls of ``rdflib.Graph`` that the report helpers make, over ``store``'s default
    graph. ``namespace_manager`` is a fresh graph's, as the builds' data graphs have."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.namespace_manager = Graph().namespace_manager
        self._all_subjects: list[object] | None = None

    def triples(self, pattern: tuple) -> Iterator[tuple]:
        s, p, o = (to_ox(t) for t in pattern)
        if isinstance(s, ox.Literal) or (p is not None and not isinstance(p, ox.NamedNode)):
            return
        for quad in self.store.quads_for_pattern(s, p, o, ox.DefaultGraph()):
            yield to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)

    def __contains__(self, pattern: tuple) -> bool:
        return next(self.triples(pattern), None) is not None

    def subjects(self, predicate: object = None, obj: object = None) -> Iterator[object]:
        if predicate is None and obj is None:  # every subject: a hint may ask once per result
            if self._all_subjects is None:
                self._all_subjects = list(self._subjects(None, None))
            return iter(self._all_subjects)
        return self._subjects(predicate, obj)

    def _subjects(self, predicate: object, obj: object) -> Iterator[object]:
        seen = set()
        for s, _, _ in self.triples((None, predicate, obj)):
            if s not in seen:
                seen.add(s)
                yield s

    def objects(self, subject: object = None, predicate: object = None) -> Iterator[object]:
        for _, _, o in self.triples((subject, predicate, None)):
            yield o

    def subject_objects(self, predicate: object = None) -> Iterator[tuple]:
        for s, _, o in self.triples((None, predicate, None)):
            yield s, o

    def value(self, subject: object = None, predicate: object = None) -> object:
        return next(self.objects(subject, predicate), None)
