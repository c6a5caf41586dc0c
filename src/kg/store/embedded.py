"""The embedded pyoxigraph engine over the built artifact.

A small artifact is loaded into memory, where queries run fastest. A large one is served from
the on-disk Oxigraph store that ``kg build`` writes beside it (named graphs plus their set
union as the default graph, see :func:`kg.pipeline.build.write_build`): it opens read-only in
milliseconds whatever its size, with nothing copied. RocksDB handles must not cross a fork, so
a forked child (a query process, a preloaded gunicorn worker) opens the store again.

Besides the engine-neutral :meth:`EmbeddedEngine.query`, :meth:`EmbeddedEngine.query_as` lets
Oxigraph write the answer itself (in Rust) in the formats where its writer and ours agree:
SPARQL JSON results, and Turtle, N-Triples and RDF/XML graphs. Turning each solution into
Python terms and serialising them again in Python cost more than running the query.
"""

from __future__ import annotations

import io
import json
import os
import weakref
from collections.abc import Callable
from functools import lru_cache, partial
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from kg.lexer import declared_prefixes, shape
from kg.namespaces import PREFIXES
from kg.store.base import (
    Bindings,
    Boolean,
    QueryResult,
    QuerySyntaxError,
    Serialised,
    Term,
    Triples,
    read_manifest,
    store_dir_name,
)

SPARQL_JSON = "application/sparql-results+json"
#: Bytes of SPARQL JSON kept before an answer counts as large (see ``_solutions_json``).
JSON_BUDGET_BYTES = 1 << 20
#: Graph formats Oxigraph writes for CONSTRUCT and DESCRIBE answers, by media type.
NATIVE_GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
#: Artifacts with more quads than this are served from the on-disk store (``KG_MEMORY_MAX_QUADS``).
MEMORY_MAX_QUADS = 200_000


class EmbeddedEngine:
    #: Oxigraph's store may be queried from several threads at once (and releases the GIL).
    thread_safe = True

    def __init__(
        self,
        store: ox.Store,
        version: str,
        *,
        counts: dict[str, int] | None = None,
        path: Path | None = None,
    ) -> None:
        self._store = store
        self.version = version
        self._counts: dict[str, int] | None = dict(sorted(counts.items())) if counts else None
        self._merges: dict[tuple[tuple[str, ...], tuple[str, ...]], ox.Store] = {}
        #: The on-disk store this engine reads, or None when the data are in memory.
        self.path = path
        self._inherited: list[ox.Store] = []
        if path is not None:
            _ON_DISK.add(self)

    @classmethod
    def from_artifact(
        cls, artifact: Path, manifest: Path, memory_max_quads: int = MEMORY_MAX_QUADS
    ) -> EmbeddedEngine:
        info = read_manifest(manifest)
        counts = info.get("graphs")
        on_disk = _store_dir(artifact, info)
        size = sum(counts.values()) if counts else None
        if on_disk is not None and (size is None or size > memory_max_quads):
            store = ox.Store.read_only(str(on_disk))
            return cls(store, info["version"], counts=counts, path=on_disk)
        store = ox.Store()
        store.bulk_load(path=str(artifact), format=ox.RdfFormat.N_QUADS)
        # Oxigraph merges several default graphs (and use_default_graph_as_union) as a bag: a
        # triple stated in two graphs would be counted twice. SPARQL's merge is a set, and
        # rdflib's engine agrees, so the union is written once into the store's default graph
        # (a store is a set of quads).
        store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        return cls(store, info["version"], counts=counts)

    def _reopen_after_fork(self) -> None:
        """In a forked child: open the store again. The inherited handle is kept, unused and
        never closed, because closing it could touch state the parent's RocksDB still owns."""
        assert self.path is not None
        self._inherited.append(self._store)
        self._store = ox.Store.read_only(str(self.path))
        self._merges.clear()

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        result = self._evaluate(sparql, default_graphs, named_graphs, base_iri)
        return _convert(result, max_rows)

    def query_as(
        self,
        sparql: str,
        media_type: str | None,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
        count_rows: bool = True,
    ) -> Serialised | QueryResult:
        """The answer written by Oxigraph as ``media_type`` where it can, else as
        :meth:`query` gives it (the caller serialises that).

        ``count_rows=False`` is for a caller that knows the row count already (no caller in the
        endpoint since the proven-cheap path went, issue 23): a SPARQL JSON answer too small to
        reach the row cap is then not read back, and comes with ``rows`` -1."""
        result = self._evaluate(sparql, default_graphs, named_graphs, base_iri)
        if isinstance(result, ox.QuerySolutions) and media_type == SPARQL_JSON:
            again = partial(self._evaluate, sparql, default_graphs, named_graphs, base_iri)
            return _solutions_json(result, max_rows, again, count_rows=count_rows)
        if isinstance(result, ox.QueryTriples) and media_type in NATIVE_GRAPH_FORMATS:
            limit = None if max_rows is None else max_rows + 1
            triples = list(islice(result, limit))
            truncated = max_rows is not None and len(triples) > max_rows
            if truncated:
                triples = triples[:max_rows]
            body = ox.serialize(triples, format=NATIVE_GRAPH_FORMATS[media_type], prefixes=PREFIXES)
            return Serialised("graph", len(triples), truncated, body)
        return _convert(result, max_rows)

    def _evaluate(
        self,
        sparql: str,
        default_graphs: list[str] | None,
        named_graphs: list[str] | None,
        base_iri: str | None,
    ) -> object:
        options: dict[str, object] = {}
        store = self._store
        if default_graphs is None and named_graphs is None:
            default_graphs, named_graphs = _bag_free_dataset(sparql, base_iri)
        if default_graphs is not None or named_graphs is not None:
            # A protocol dataset replaces the query's FROM / FROM NAMED; an unspecified part is
            # empty (SPARQL 1.1 Protocol 2.1.4), and so is a graph the store does not hold.
            default_graphs = sorted(set(default_graphs or []))
            if len(default_graphs) > 1:
                store = self._merged(tuple(default_graphs), tuple(sorted(set(named_graphs or []))))
                options["default_graph"] = ox.DefaultGraph()
            else:
                options["default_graph"] = [ox.NamedNode(g) for g in default_graphs] or [
                    _EMPTY_GRAPH
                ]
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []] or [
                _EMPTY_GRAPH
            ]
        try:
            return store.query(sparql, base_iri=base_iri, prefixes=_defaults_for(sparql), **options)
        except SyntaxError as err:
            raise QuerySyntaxError(str(err)) from None

    def _merged(self, default_graphs: tuple[str, ...], named_graphs: tuple[str, ...]) -> ox.Store:
        """A scratch store whose default graph is the set union of ``default_graphs``."""
        key = (default_graphs, named_graphs)
        if key not in self._merges:
            scratch = ox.Store()
            for name in default_graphs:
                scratch.extend(
                    [
                        _in_default_graph(q)
                        for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(name))
                    ]
                )
            for name in named_graphs:
                scratch.extend(self._store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
            if len(self._merges) >= 8:
                self._merges.pop(next(iter(self._merges)))
            self._merges[key] = scratch
        return self._merges[key]

    def graph_counts(self) -> dict[str, int]:
        if self._counts is None:
            counts: dict[str, int] = {}
            for quad in self._store:
                if isinstance(quad.graph_name, ox.NamedNode):
                    counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
            self._counts = dict(sorted(counts.items()))
        return self._counts


_ON_DISK: weakref.WeakSet[EmbeddedEngine] = weakref.WeakSet()


def _reopen_in_child() -> None:
    for engine in list(_ON_DISK):
        engine._reopen_after_fork()


os.register_at_fork(after_in_child=_reopen_in_child)


def _store_dir(artifact: Path, manifest: dict) -> Path | None:
    """The on-disk store ``kg build`` wrote for this artifact, if it is there (builds made
    before it existed have none, and are loaded into memory)."""
    if not manifest.get("artifact_sha256"):
        return None
    path = artifact.parent / store_dir_name(manifest)
    return path if (path / "CURRENT").is_file() else None


def _bag_free_dataset(
    sparql: str, base_iri: str | None
) -> tuple[list[str] | None, list[str] | None]:
    """The query's own FROM and FROM NAMED graphs when it names two or more FROM graphs, else
    (None, None) (Oxigraph's own reading of the clauses is right then).

    Oxigraph merges several FROM graphs as a bag, so a triple stated in two of them would be
    counted twice; SPARQL's merge is a set (section 13.2.2). Handed over as a protocol dataset,
    the graphs are merged as a set by :meth:`EmbeddedEngine._merged`. rdflib's parser resolves
    the IRIs (prefixes, BASE) for the few queries that need it."""
    if shape(sparql).words.count("FROM") - shape(sparql).words.count("NAMED") < 2:
        return None, None
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        algebra = translateQuery(parseQuery(sparql), base=base_iri, initNs=PREFIXES).algebra
    except Exception:  # Oxigraph reports the syntax error itself
        return None, None
    clauses = algebra.get("datasetClause") or ()
    default = [str(dict.get(c, "default")) for c in clauses if dict.get(c, "default")]
    named = [str(dict.get(c, "named")) for c in clauses if dict.get(c, "named")]
    return default, named


#: A graph name no data uses: the only way to give pyoxigraph an empty default graph or an empty
#: set of named graphs (an empty list means "not set").
_EMPTY_GRAPH = ox.NamedNode("urn:x-kg:empty-graph")


def _in_default_graph(quad: ox.Quad) -> ox.Quad:
    return ox.Quad(quad.subject, quad.predicate, quad.object, ox.DefaultGraph())


class _BudgetExceededError(Exception):
    """Oxigraph's writer produced more than the budget allows."""


class _CappedBuffer(io.RawIOBase):
    """Collects what Oxigraph writes, and stops it once ``limit`` bytes are passed: Oxigraph
    writes every solution, where the row cap needs only the first ``max_rows``."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self._limit = limit

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        if len(self.data) > self._limit:
            raise _BudgetExceededError
        return len(chunk)


def _solutions_json(
    result: ox.QuerySolutions,
    max_rows: int | None,
    retry: Callable[[], object],
    *,
    count_rows: bool = True,
) -> Serialised | QueryResult:
    """SPARQL JSON written by Oxigraph, read back once (in C) to count rows and apply the cap.

    An answer too large for the byte budget is evaluated again on the engine-neutral path,
    which stops after ``max_rows``; that costs a second evaluation, for large answers only.
    """
    buffer = _CappedBuffer(JSON_BUDGET_BYTES if max_rows is None else _budget(max_rows))
    try:
        result.serialize(buffer, format=ox.QueryResultsFormat.JSON)
    except _BudgetExceededError:
        return _convert(retry(), max_rows)
    body = bytes(buffer.data)
    # Every solution takes at least three bytes ("{}" and a comma): a shorter body is under the cap.
    if not count_rows and (max_rows is None or len(body) < 3 * max_rows + 2):
        return Serialised("select", -1, False, body)
    parsed = json.loads(body)
    bindings = parsed["results"]["bindings"]
    truncated = max_rows is not None and len(bindings) > max_rows
    if truncated:
        del bindings[max_rows:]
        body = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Serialised("select", len(bindings), truncated, body)


def _defaults_for(sparql: str) -> dict[str, str] | None:
    """Our default prefixes that the query does not declare itself: Oxigraph parses every
    prefix it is given (about 20 µs for ours), and a client's query often declares them all."""
    return _undeclared(declared_prefixes(sparql))


@lru_cache(maxsize=256)
def _undeclared(declared: frozenset[str]) -> dict[str, str] | None:
    rest = {name: iri for name, iri in PREFIXES.items() if name not in declared}
    return rest or None


def _budget(max_rows: int) -> int:
    return max(JSON_BUDGET_BYTES, 256 * max_rows)


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
