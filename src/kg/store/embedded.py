"""The embedded pyoxigraph engine: loads the N-Quads artifact once, answers from memory."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import PREFIXES
from kg.store.base import (
    Bindings,
    Boolean,
    QueryResult,
    QuerySyntaxError,
    Term,
    Triples,
    read_manifest,
)


class EmbeddedEngine:
    def __init__(self, store: ox.Store, version: str) -> None:
        self._store = store
        self.version = version
        self._counts: dict[str, int] | None = None

    @classmethod
    def from_artifact(cls, artifact: Path, manifest: Path) -> EmbeddedEngine:
        store = ox.Store()
        store.bulk_load(path=str(artifact), format=ox.RdfFormat.N_QUADS)
        materialise_union(store)
        return cls(store, read_manifest(manifest)["version"])

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        options: dict[str, object] = {}
        if default_graphs is not None:
            options["default_graph"] = [ox.NamedNode(g) for g in default_graphs] or [
                ox.DefaultGraph()
            ]
        # otherwise the store's default graph, which holds the set union (materialise_union)
        if named_graphs is not None:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            result = self._store.query(sparql, base_iri=base_iri, prefixes=PREFIXES, **options)
        except SyntaxError as err:
            raise QuerySyntaxError(str(err)) from None
        return _convert(result, max_rows)

    def graph_counts(self) -> dict[str, int]:
        if self._counts is None:
            counts: dict[str, int] = {}
            for quad in self._store:
                if isinstance(quad.graph_name, ox.NamedNode):
                    counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
            self._counts = dict(sorted(counts.items()))
        return self._counts


def materialise_union(store: ox.Store) -> None:
    """Copy every named graph's triples into the default graph, once, at load.

    The default graph is the union of the named graphs, and an RDF graph is a set. pyoxigraph's
    ``use_default_graph_as_union`` is a bag: a triple stated in two graphs (a label in the
    ontology and in a source) comes back twice, so counts and rows differed from rdflib's
    (measured on ``queries/edition-with-most-nominees.rq``: 5 rows instead of 2). A real
    default graph is a set and is also what a remote store holds after ``kg publish``.
    """
    quads = list(store.quads_for_pattern(None, None, None, None))
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)


def _convert(result: object, max_rows: int | None) -> QueryResult:
    if isinstance(result, ox.QueryBoolean):
        return Boolean(bool(result))
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        limit = None if max_rows is None else max_rows + 1
        rows = []
        for solution in islice(result, limit):
            row = {}
            for name in variables:
                value = solution[name]
                if value is not None:
                    row[name] = term(value)
            rows.append(row)
        truncated = max_rows is not None and len(rows) > max_rows
        return Bindings(variables, rows[:max_rows] if truncated else rows, truncated)
    limit = None if max_rows is None else max_rows + 1
    triples = [(term(t.subject), term(t.predicate), term(t.object)) for t in islice(result, limit)]  # type: ignore[arg-type]
    truncated = max_rows is not None and len(triples) > max_rows
    return Triples(triples[:max_rows] if truncated else triples, truncated)


def term(value: object) -> Term:
    if isinstance(value, ox.NamedNode):
        return Term("uri", value.value)
    if isinstance(value, ox.BlankNode):
        return Term("bnode", value.value)
    if isinstance(value, ox.Literal):
        if value.language:
            return Term("literal", value.value, lang=value.language)
        return Term("literal", value.value, datatype=value.datatype.value)
    return Term("triple", str(value))
