"""RDF written as text, the same bytes in every process.

rdflib's writers follow Python's string hashes, which differ from process to process
(``PYTHONHASHSEED``): its stores keep triples in sets, its JSON-LD writer visits subjects from
a set, its RDF/XML writer declares namespaces and orders subjects from sets, and its Turtle
writer names a namespace it has no prefix for ``ns1``, ``ns2``, ... in the order it meets it.
So two gunicorn workers sent different bytes under one strong ETag, and the build's dumps got
other checksums in another process. Every RDF text the project writes therefore goes through
here, where the order is fixed before a writer sees the graph:

- Turtle (rdflib's, which sorts subjects, predicates and objects itself): every namespace
  the writer would have to name is named first, in sorted order.
- JSON-LD (rdflib's): its arrays are sets (except ``@list``), so they are sorted, and so are
  the keys.
- TriG, N-Quads, N-Triples and RDF/XML: written by Oxigraph, whose writers follow the order
  they are given, from the quads sorted (the embedded store writes query answers in these
  formats with Oxigraph too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.namespaces import PREFIXES

#: rdflib's names of the formats written here.
TURTLE, TRIG, NTRIPLES, NQUADS, JSONLD = "turtle", "trig", "nt", "nquads", "json-ld"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_OXIGRAPH_FORMATS = {
    TRIG: ox.RdfFormat.TRIG,
    NQUADS: ox.RdfFormat.N_QUADS,
    NTRIPLES: ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "pretty-xml": ox.RdfFormat.RDF_XML,
}


def new_graph() -> Graph:
    """An empty graph with the project's prefixes, the ones its pages and queries use."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def serialise(graph: Graph, fmt: str, **options: Any) -> str:
    """``graph`` in rdflib's format ``fmt``; in TriG and N-Quads its triples form the default
    graph. ``options`` go to rdflib's JSON-LD writer (a context, compaction)."""
    if fmt == TURTLE:
        _name_namespaces(graph)
        return graph.serialize(format=TURTLE)
    if fmt == JSONLD:
        return canonical_json(json.loads(graph.serialize(format=JSONLD, **options)), indent=2)
    return serialise_graphs({}, fmt, default=graph)


def serialise_graphs(graphs: Mapping[str, Graph], fmt: str, default: Graph | None = None) -> str:
    """The ``default`` graph and the named ``graphs`` in TriG or N-Quads (or the default graph
    alone in N-Triples or RDF/XML), written by Oxigraph from the quads in sorted order.

    Not rdflib's writers: their TriG of several graphs named ``ns1`` once per graph (two
    graphs, two namespaces, one prefix), and a TriG spliced from per-graph Turtle shifted the
    lines of multi-line literals."""
    quads = [(s, p, o, None) for s, p, o in default or ()]
    quads += [(s, p, o, URIRef(name)) for name, graph in graphs.items() for s, p, o in graph]
    quads.sort(key=lambda q: (q[3] is not None, *(t.n3() if t is not None else "" for t in q)))
    if fmt in (TRIG, NQUADS):
        items = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), _graph_name(g)) for s, p, o, g in quads]
    elif graphs:
        raise ValueError(f"{fmt} holds one graph; use TriG or N-Quads for several")
    else:
        items = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o, _ in quads]
    form = _OXIGRAPH_FORMATS[fmt]
    if form in (ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        body = ox.serialize(items, format=form, prefixes=_used_prefixes(quads))
    else:
        body = ox.serialize(items, format=form)
    return (body or b"").decode("utf-8")


def canonical_json(document: object, indent: int) -> str:
    """A JSON-LD document with its arrays and keys sorted: the same bytes for the same
    graph."""
    return json.dumps(_sorted_json(document), ensure_ascii=False, indent=indent, sort_keys=True)


def _sorted_json(value: object) -> object:
    """JSON-LD node and value arrays are sets, so sorting them changes nothing but the order;
    a list (``@list``) and a context keep theirs."""
    if isinstance(value, dict):
        return {
            k: (v if k in ("@list", "@context") else _sorted_json(v))
            for k, v in sorted(value.items())
        }
    if isinstance(value, list):
        items = [_sorted_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def _name_namespaces(graph: Graph) -> None:
    """Give every namespace the Turtle writer would name (a predicate's, a class's) a prefix
    now, in sorted order."""
    iris = sorted(
        {
            str(term)
            for _, p, o in graph
            for term in ((p, o) if p == RDF.type else (p,))
            if isinstance(term, URIRef)
        }
    )
    probe = new_graph()
    named: dict[str, str] = {}
    for iri in iris:
        try:
            prefix, namespace, _ = probe.namespace_manager.compute_qname(iri, generate=True)
        except ValueError:  # an IRI that cannot be split is written in full
            continue
        named.setdefault(prefix, namespace)
    for prefix, namespace in sorted(named.items()):
        if graph.namespace_manager.store.prefix(URIRef(namespace)) is None:
            graph.bind(prefix, namespace)


def _used_prefixes(quads: list[tuple[Node, Node, Node, URIRef | None]]) -> dict[str, str]:
    """The project's prefixes whose namespace some IRI of ``quads`` is in."""
    iris = {str(t) for quad in quads for t in quad if isinstance(t, URIRef)}
    return {
        prefix: namespace
        for prefix, namespace in PREFIXES.items()
        if any(iri.startswith(namespace) for iri in iris)
    }


def _graph_name(name: URIRef | None) -> Any:
    return ox.DefaultGraph() if name is None else ox.NamedNode(str(name))


def to_ox(term: Node | None) -> Any:
    """The Oxigraph term of an rdflib term (None stays None: a wildcard in a pattern)."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype and str(term.datatype) != _LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")
