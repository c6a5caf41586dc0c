"""rdflib's SPARQL engine over the same artifact: the slow but independent reference.

It exists so that the same protocol tests and a parity test can run against two engines.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from pyparsing import ParseException
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import SPARQLError

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


class RdflibEngine:
    def __init__(self, dataset: Dataset, version: str) -> None:
        self._dataset = dataset
        self.version = version

    @classmethod
    def from_artifact(cls, artifact: Path, manifest: Path) -> RdflibEngine:
        dataset = Dataset(default_union=True)
        dataset.parse(str(artifact), format="nquads")
        return cls(dataset, read_manifest(manifest)["version"])

    def _view(self, default_graphs: list[str] | None, named_graphs: list[str] | None) -> Graph:
        """The dataset a query sees: everything, or only the graphs a dataset names.

        A named dataset is copied into a fresh Dataset whose default graph is the set union of
        ``default_graphs``; a graph the store does not hold is simply empty.
        """
        if default_graphs is None and named_graphs is None:
            return self._dataset
        view = Dataset(default_union=False)
        for name in default_graphs or []:
            for triple in self._dataset.graph(URIRef(name)):
                view.default_graph.add(triple)
        for name in named_graphs or []:
            target = view.graph(URIRef(name))
            for triple in self._dataset.graph(URIRef(name)):
                target.add(triple)
        return view

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        try:
            prepared = prepareQuery(sparql, initNs=PREFIXES, base=base_iri)
        except ParseException as err:
            raise QuerySyntaxError(f"error at {err.lineno}:{err.col}: {err.msg}") from None
        except (SPARQLError, Exception) as err:  # rdflib reports unknown prefixes as Exception
            raise QuerySyntaxError(str(err)) from None
        clauses = prepared.algebra.get("datasetClause") or []
        if clauses:
            # rdflib would fetch a FROM IRI that names no graph here (file or network). Take the
            # clauses out of its hands: they name graphs of this store, or empty ones, and a
            # protocol dataset replaces them (SPARQL 1.1 Protocol 2.1.4).
            prepared.algebra["datasetClause"] = None
            if default_graphs is None and named_graphs is None:
                default_graphs = [str(c.default) for c in clauses if c.default]
                named_graphs = [str(c.named) for c in clauses if c.named]
        result = self._view(default_graphs, named_graphs).query(prepared)
        limit = None if max_rows is None else max_rows + 1
        if result.type == "ASK":
            return Boolean(bool(result.askAnswer))
        if result.type == "SELECT":
            variables = [str(v) for v in result.vars]
            rows = [
                {str(k): term(v) for k, v in row.asdict().items() if v is not None}
                for row in islice(result, limit)
            ]
            truncated = max_rows is not None and len(rows) > max_rows
            return Bindings(variables, rows[:max_rows] if truncated else rows, truncated)
        triples = [tuple(term(x) for x in t) for t in islice(result, limit)]
        truncated = max_rows is not None and len(triples) > max_rows
        return Triples(triples[:max_rows] if truncated else triples, truncated)  # type: ignore[arg-type]

    def graph_counts(self) -> dict[str, int]:
        return {
            str(c.identifier): len(c)
            for c in sorted(self._dataset.graphs(), key=lambda c: str(c.identifier))
            if len(c)
        }


def term(value: object) -> Term:
    if isinstance(value, URIRef):
        return Term("uri", str(value))
    if isinstance(value, BNode):
        return Term("bnode", str(value))
    if isinstance(value, Literal):
        if value.language:
            return Term("literal", str(value), lang=value.language)
        datatype = (
            str(value.datatype) if value.datatype else ("http://www.w3.org/2001/XMLSchema#string")
        )
        return Term("literal", str(value), datatype=datatype)
    return Term("triple", str(value))
