"""A fast OWL 2 RL materialiser for the subset of OWL our ontology uses, on pyoxigraph.

owlrl is the reference: complete OWL 2 RL, pure Python, and its time grows faster than the
graph (47 s at 50k triples). Our ontology uses only class and property hierarchies, domains,
ranges and functional properties, so the rules that can fire are few: scm-sco, scm-spo,
cax-sco, prp-spo1, prp-dom, prp-rng and prp-fp. Here they run as SPARQL updates on pyoxigraph
until nothing changes (a fixpoint), and the result goes through the very same filter as
``reason.py`` keeps, so the inferred graph is the same as owlrl's (tested on the real data).

Anything outside the subset (an ``owl:inverseOf``, a restriction, ``owl:sameAs`` in the data,
two values of a functional object property, which owlrl would turn into ``owl:sameAs``) raises
:class:`UnsupportedByFastReasoner` instead of silently giving a smaller closure: use owlrl then.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import BASE
from kg.pipeline.errors import InconsistentDataError, PipelineError
from kg.pipeline.reason import _TRIVIAL_CLASSES, _TRIVIAL_PREDICATES

OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SUBPROPERTY = "http://www.w3.org/2000/01/rdf-schema#subPropertyOf"
PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

#: The schema rules: the class and property hierarchies closed, as SPARQL updates (their
#: results are the ontology's few hundred triples, whatever the size of the data).
SCHEMA_RULES = {
    "scm-sco": "INSERT { ?a rdfs:subClassOf ?c } WHERE { ?a rdfs:subClassOf/rdfs:subClassOf+ ?c }",
    "scm-spo": "INSERT { ?a rdfs:subPropertyOf ?c } "
    "WHERE { ?a rdfs:subPropertyOf/rdfs:subPropertyOf+ ?c }",
}

#: The rules about the data, as queries whose rows (subject, predicate, object) are the triples
#: to add that are not there yet. In this order, with the hierarchies closed first, one pass
#: derives everything on our ontology (a domain's type is then closed upwards by cax-sco), and
#: a second pass finds nothing and proves the fixpoint.
DATA_RULES = {
    "prp-spo1": "SELECT ?x ?q ?y WHERE { ?p rdfs:subPropertyOf ?q . ?x ?p ?y "
    "FILTER NOT EXISTS { ?x ?q ?y } }",
    "prp-dom": "SELECT ?x (rdf:type AS ?a) ?c WHERE { ?p rdfs:domain ?c . ?x ?p ?y "
    "FILTER NOT EXISTS { ?x a ?c } }",
    "prp-rng": "SELECT ?y (rdf:type AS ?a) ?c WHERE { ?p rdfs:range ?c . ?x ?p ?y "
    "FILTER (!isLiteral(?y)) FILTER NOT EXISTS { ?y a ?c } }",
    "cax-sco": "SELECT ?x (rdf:type AS ?a) ?d WHERE { ?c rdfs:subClassOf ?d . ?x a ?c "
    "FILTER NOT EXISTS { ?x a ?d } }",
}

#: Every rule that can fire on our ontology (OWL 2 RL's names).
RULES = {**SCHEMA_RULES, **DATA_RULES}

#: Rows of a rule bulk-loaded into the store at a time, while the rule's query still streams:
#: what a rule holds in memory, whatever the size of the graph (one INSERT … WHERE held all of
#: a rule's triples, 6.2 GiB at 10 M triples). Bulk loading writes sorted files straight into
#: RocksDB's levels, so the rules' triples never wait in its write buffers (memtables, up to
#: 128 MiB per index each). Written with ``Store.extend`` in batches of 10,000 instead, they
#: did, and the reasoner's process peaked at 0.40, 0.78 and 1.21 GiB at 1, 3 and 10 M triples;
#: bulk-loaded 50,000 at a time, at 0.29 and 0.33 GiB at 1 and 3 M, for the same CPU time
#: (10,000 at a time: 0.27 GiB, and 25 % more CPU, as RocksDB merges more small files).
WRITE_BATCH = 50_000

#: OWL vocabulary whose rules are not implemented here; any use of it needs owlrl.
UNSUPPORTED = [
    OWL + name
    for name in (
        "inverseOf",
        "sameAs",
        "equivalentClass",
        "equivalentProperty",
        "TransitiveProperty",
        "SymmetricProperty",
        "InverseFunctionalProperty",
        "propertyChainAxiom",
        "someValuesFrom",
        "allValuesFrom",
        "hasValue",
        "intersectionOf",
        "unionOf",
        "oneOf",
        "hasKey",
        "maxCardinality",
        "maxQualifiedCardinality",
        "complementOf",
        "AsymmetricProperty",
        "IrreflexiveProperty",
        "propertyDisjointWith",
        "AllDisjointClasses",
        "AllDifferent",
        "differentFrom",
    )
]


class UnsupportedByFastReasonerError(PipelineError):
    """The data use OWL the fast materialiser does not implement; build with owlrl instead."""


#: Where the asserted triples are kept apart inside the working store, so that what the rules
#: added can be told from what was there, without a copy of every triple in Python.
ASSERTED = ox.NamedNode("urn:x-kg:asserted")


def to_store(graph: Graph) -> ox.Store:
    """An rdflib graph into pyoxigraph's default graph (N-Triples is the cheap common form)."""
    return store_of_ntriples(graph.serialize(format="nt", encoding="utf-8"))


def store_of_ntriples(data: bytes) -> ox.Store:
    """A working store: ``data`` in its default graph, each triple once."""
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    return store


def check_supported(store: ox.Store) -> None:
    values = " ".join(f"<{iri}>" for iri in UNSUPPORTED)
    query = (
        f"SELECT DISTINCT ?t WHERE {{ VALUES ?t {{ {values} }} "
        "{ ?s ?t ?o } UNION { ?s ?p ?t } }"
    )
    used = sorted(row[0].value for row in store.query(query))
    if used:
        raise UnsupportedByFastReasonerError(
            "the fast materialiser does not implement "
            + ", ".join(used)
            + "; use KG_REASONER=owlrl"
        )


def _schema_size(store: ox.Store) -> int:
    query = PREFIXES + (
        "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?h { rdfs:subClassOf rdfs:subPropertyOf "
        "rdfs:domain rdfs:range } ?a ?h ?b }"
    )
    return int(next(iter(store.query(query)))[0].value)


def apply_rule(store: ox.Store, query: str) -> int:
    """Stream the rule's rows and bulk-load them into the store's default graph,
    :data:`WRITE_BATCH` at a time; returns how many rows there were (a triple derived twice
    counts twice).

    The query reads a snapshot of the store taken when it started, so the triples written
    while it runs do not change its rows (Oxigraph's reads are snapshot-isolated); had they
    been seen, the rule's NOT EXISTS would only have left them out, for the same closure."""
    rows = 0
    results = iter(store.query(PREFIXES + query))
    while batch := [ox.Triple(s, p, o) for s, p, o in islice(results, WRITE_BATCH)]:
        rows += len(batch)
        data = ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)
        store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    return rows


def run_to_fixpoint(store: ox.Store) -> int:
    """Apply every rule until a pass adds nothing; returns the number of passes."""
    passes = 0
    while True:
        passes += 1
        schema = _schema_size(store)
        for rule in SCHEMA_RULES.values():
            store.update(PREFIXES + rule)
        added = 0
        for rule in DATA_RULES.values():
            # No store.flush() here: RocksDB's manual flush waits, without a timeout, until it
            # would not stall writes, and over a bulk-loaded store it waited for ever (3 M
            # triples, twice; the background flushes bound the write buffers all the same).
            added += apply_rule(store, rule)
        if added == 0 and _schema_size(store) == schema:
            return passes


def find_problems(store: ox.Store) -> list[str]:
    """The inconsistencies reason.py reports, plus merges only owlrl can carry out."""
    problems = [
        f"<{row[0].value}> is a member of owl:Nothing"
        for row in store.query(PREFIXES + "SELECT ?x WHERE { ?x a owl:Nothing }")
    ]
    problems += [
        f"<{r[0].value}> belongs to the disjoint classes <{r[1].value}> and <{r[2].value}>"
        for r in store.query(
            PREFIXES + "SELECT ?x ?a ?b WHERE { ?a owl:disjointWith ?b . ?x a ?a, ?b }"
        )
    ]
    problems += [
        f"<{s.value}> has {count} values for the functional property <{p.value}>"
        for s, p, count in functional_clashes(store)
    ]
    merges = list(
        store.query(
            PREFIXES + "SELECT ?s ?p WHERE { ?p a owl:FunctionalProperty . ?s ?p ?a, ?b "
            "FILTER (!isLiteral(?a) && ?a != ?b) } LIMIT 1"
        )
    )
    if merges:
        raise UnsupportedByFastReasonerError(
            f"<{merges[0][0].value}> has two values for the functional property "
            f"<{merges[0][1].value}>; owlrl would make them owl:sameAs. Use KG_REASONER=owlrl"
        )
    return problems


def functional_clashes(store: ox.Store) -> list[tuple[ox.NamedNode, ox.NamedNode, int]]:
    """Subjects with two distinct literal values of a functional property, with how many.

    Only the clashing pairs are grouped: grouping every subject of a functional property (as
    ``COUNT(DISTINCT ?v) … HAVING > 1`` does) holds a group per subject, millions at 10 M."""
    pairs = store.query(
        PREFIXES + "SELECT DISTINCT ?s ?p WHERE { ?p a owl:FunctionalProperty . "
        "?s ?p ?a FILTER isLiteral(?a) ?s ?p ?b FILTER (isLiteral(?b) && !sameTerm(?a, ?b)) }"
    )
    clashes = []
    for s, p in pairs:
        values = {q.object for q in store.quads_for_pattern(s, p, None, ox.DefaultGraph())}
        clashes.append((s, p, sum(isinstance(v, ox.Literal) for v in values)))
    return clashes


_TRIVIAL_CLASS_IRIS = {str(c) for c in _TRIVIAL_CLASSES}
_TRIVIAL_PREDICATE_IRIS = {str(p) for p in _TRIVIAL_PREDICATES}


def _is_useful(s: object, p: ox.NamedNode, o: object) -> bool:
    """reason.py's filter, on pyoxigraph terms."""
    if not isinstance(s, ox.NamedNode) or isinstance(o, ox.BlankNode):
        return False
    if not s.value.startswith(BASE):
        return False
    if p.value in _TRIVIAL_PREDICATE_IRIS or (s == o and p.value != RDF_TYPE):
        return False
    if isinstance(o, ox.NamedNode):
        if p.value in (RDF_TYPE, SUBCLASS, SUBPROPERTY) and o.value in _TRIVIAL_CLASS_IRIS:
            return False
        if p.value == RDF_TYPE and o.value.startswith(OWL):
            return False
    return True


def materialise(asserted: Graph) -> Graph:
    """The useful inferred triples, as ``reason.reason`` returns them, computed fast."""
    inferred = Graph()
    for triple in materialise_store(to_store(asserted)):
        inferred.add(triple)
    return inferred


def materialise_store(
    store: ox.Store, asserted_in_named_graphs: bool = False
) -> Iterator[tuple[Node, Node, Node]]:
    """The useful inferred triples of a working store (:func:`store_of_ntriples`), each once,
    as rdflib terms; the store's default graph is left holding the whole closure.

    The asserted triples are first copied into :data:`ASSERTED`, which the rules never read, so
    that what the rules add can be told apart inside the store. A store that already holds
    every asserted triple in named graphs as well (the streaming build's on-disk working store,
    ``asserted_in_named_graphs``) needs no copy: what no named graph states was inferred."""
    check_supported(store)
    if asserted_in_named_graphs:
        asserted = "GRAPH ?asserted { ?s ?p ?o }"
    else:
        store.update(f"INSERT {{ GRAPH {ASSERTED} {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}")
        asserted = f"GRAPH {ASSERTED} {{ ?s ?p ?o }}"
    run_to_fixpoint(store)
    problems = find_problems(store)
    if problems:
        raise InconsistentDataError(
            "the data are inconsistent under OWL 2 RL:\n  " + "\n  ".join(sorted(problems))
        )
    new = store.query(f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ {asserted} }} }}")
    for s, p, o in new:
        if _is_useful(s, p, o):
            yield _node(s), _node(p), _node(o)


def _node(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:  # rdflib keeps simple literals untyped, as the input
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
