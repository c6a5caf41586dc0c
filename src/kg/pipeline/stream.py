"""The streaming build: memory bounded by the largest batch of input files, not by the graph.

The in-memory build (``build._check``) holds the union of every input in rdflib, about 2.8 GB
per million triples, so a 10 M-triple project cannot be built on a 24 GiB machine. Here:

1. **Load.** Each file is parsed alone (by pyoxigraph where ``kg.pipeline.fast_parse`` shows
   that gives rdflib's very lines, else by rdflib, so syntax errors keep file and line; every
   N-Quads line is written exactly as the in-memory build writes it), appended to an unsorted
   N-Quads file on disk, and bulk-loaded into an on-disk Oxigraph working store: once under its
   graph name, once into the default graph (the union, what the shapes and rules read).
2. **Validate** over the store itself: ``kg.pipeline.shacl.plan`` compiles each shape into SPARQL
   queries over its focus nodes, ``kg.pipeline.shacl.over_store`` runs them over a chunk of focus
   nodes at a time on the store's default graph (the union of every file, what the in-memory build
   validates) and reports what pyshacl would (``tests/test_shacl_store.py`` proves the parity). A
   shape the compiler refuses (a feature it does not translate) is validated by pyshacl, in batches
   of consecutive files: a batch's data graph is what the shapes can reach from the batch's subjects
   (every triple about them and the nodes they point to, the ``rdf:Statement`` records about them
   and the pages those cite, the triples records describe, the class and property hierarchy); each
   focus node is judged in the first batch whose file describes it, and SPARQL targets are selected
   once over the whole store.
3. **Quotes** are checked over the store (``kg.pipeline.store_view`` answers the checker's
   graph calls from the store's indexes).
4. **Reason** with ``materialise.materialise_store`` on a backup of the working store (hard
   links, made once loading is done), in a process of its own while 2 and 3 run: rules as
   SPARQL queries whose rows are bulk-loaded back in batches; the asserted triples are told apart
   by their named graphs, not a copy. ``kg lint`` (for the quality report) runs from the start
   in a third process, with its store on disk. The two cores are both used; errors are still
   reported in the same order (validation, quotes, then the reasoner's).
5. **Sort** the N-Quads lines with GNU ``sort`` (external merge sort on disk, byte order, which
   for UTF-8 is Python's code-point order), so the artifact and its hash are byte-identical to
   the in-memory build's.

Hints in violation messages (``kg.pipeline.shacl.hints``: "did you mean …") are computed over
the whole store, as the in-memory build computes them over its union; only for shapes left to
pyshacl are they computed from a batch's data graph, and may name fewer candidates.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kg.namespaces import INFERRED_GRAPH
from kg.pipeline.background import Background
from kg.pipeline.fast_parse import fast_lines
from kg.pipeline.load import InputFile, discover, load_shapes, parse_file
from kg.pipeline.locate import LazyLocator
from kg.pipeline.quotes import QuoteProblem, check_quotes
from kg.pipeline.shacl.over_store import validate_store
from kg.pipeline.shacl.plan import SH, top_level_shapes
from kg.pipeline.store_view import StoreView
from kg.pipeline.validate import Problem, ValidationReport, resolve_sparql_targets, validate

SH_TARGET_NODE = URIRef("http://www.w3.org/ns/shacl#targetNode")

#: Asserted triples per validation batch: consecutive files are validated together until
#: their triples reach this many (a batch's data graph holds about twice as many in rdflib).
BATCH_TRIPLES = 60_000

#: Memory GNU sort may use for its buffer before it spills sorted runs to disk. Sort's
#: resident set grows with its input up to this (0.35 GiB at 1 M asserted triples, the whole
#: 1 GiB from about 3 M, measured), beside the build's own; with runs of 256 MiB it merged
#: a few files and used 4.5 s of CPU at 3 M (6.9 s with 1 GiB), peaking at 0.25 GiB.
SORT_BUFFER = "256M"


@dataclass
class Streamed:
    """What the checks produced: the working store, the unsorted lines, the problems."""

    store: ox.Store
    unsorted: Path
    report: ValidationReport
    quote_problems: list[QuoteProblem]
    ontology: Graph
    triples: dict[str, int] = field(default_factory=dict)
    #: The reasoner, running in a process of its own (:func:`reason_over`).
    reasoning: Background | None = None
    #: Where the reasoner writes the inferred graph's lines.
    inferred: Path | None = None


def load_files(files: list[InputFile], store: ox.Store, unsorted: Path) -> dict[str, int]:
    """Parse each file alone into the store (its named graph and the default graph) and append
    its N-Quads lines to ``unsorted``; returns each graph's number of distinct triples."""
    from kg.pipeline.build import _nquads, _without_graph_names

    counts: dict[str, int] = {}
    with unsorted.open("ab") as out:
        for item in files:
            lines = fast_lines(item.path, item.graph)
            if lines is None:  # rdflib: its syntax errors name file and line
                lines = _nquads(parse_file(item.path, item.relative), item.graph)
            data = "".join(lines).encode("utf-8")
            counts[str(item.graph)] = len(lines)
            del lines
            out.write(data)
            store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
            store.bulk_load(_without_graph_names(data), format=ox.RdfFormat.N_TRIPLES)
    return counts


def batches(files: list[InputFile], counts: dict[str, int]) -> Iterator[list[InputFile]]:
    """Consecutive files, grouped until their triples reach :data:`BATCH_TRIPLES`."""
    batch: list[InputFile] = []
    size = 0
    for item in files:
        batch.append(item)
        size += counts.get(str(item.graph), 0)
        if size >= BATCH_TRIPLES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_HIERARCHY = (
    "CONSTRUCT { ?a ?h ?b } WHERE { VALUES ?h { "
    "<http://www.w3.org/2000/01/rdf-schema#subClassOf> "
    "<http://www.w3.org/2000/01/rdf-schema#subPropertyOf> } ?a ?h ?b }"
)


def _context_queries(graphs: str) -> list[str]:
    """CONSTRUCT queries for a batch's data graph; ``graphs`` is a VALUES list of graph names.
    Each one selects the batch's subjects from their named graphs and reads the default graph
    (the union) around them."""
    subjects = f"VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?any ?thing }}"
    return [
        # every triple about the batch's subjects, from every file
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ {subjects} }} }} "
        "?s ?p ?o }",
        # every triple about the nodes they point to (sh:class reads the value's types)
        f"CONSTRUCT {{ ?o ?q ?v }} WHERE {{ {{ SELECT DISTINCT ?o WHERE {{ {subjects} "
        "?s ?p ?o FILTER isIRI(?o) } } ?o ?q ?v }",
        # the source records about them, and the pages those records cite
        f"CONSTRUCT {{ ?r ?q ?v . ?page ?pq ?pv }} WHERE {{ {{ SELECT DISTINCT ?s WHERE "
        f"{{ {subjects} }} }} ?r <{_RDF}subject> ?s ; ?q ?v . OPTIONAL {{ "
        "?r <http://www.w3.org/ns/prov#wasDerivedFrom> ?page . ?page ?pq ?pv } }",
        # the statements that use a selector of the batch (kg.pipeline.quotes)
        f"CONSTRUCT {{ ?st ?q ?v }} WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ {subjects} }} }} "
        "?st <https://w3id.org/digikommun/ontology#textSelector> ?s ; ?q ?v }",
        # the triples that the batch's records describe
        f"CONSTRUCT {{ ?x ?y ?z }} WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ {subjects} }} }} "
        f"?s <{_RDF}subject> ?x ; <{_RDF}predicate> ?y ; <{_RDF}object> ?z . ?x ?y ?z }}",
        _HIERARCHY,
    ]


def context_graph(store: ox.Store, graphs: list[URIRef], ontology: bytes) -> Graph:
    """The batch's data graph in rdflib (parsed from N-Triples, as the inputs were parsed)."""
    names = " ".join(f"<{g}>" for g in graphs)
    data = Graph()
    data.parse(data=ontology, format="nt")
    for query in _context_queries(names):
        triples = store.query(query)
        data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    return data


def subjects_of(store: ox.Store, graphs: list[URIRef]) -> set[str]:
    names = " ".join(f"<{g}>" for g in graphs)
    query = f"SELECT DISTINCT ?s WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    return {_key(row[0]) for row in store.query(query)}


def _key(term: object) -> str:
    """A node as one string, the same for pyoxigraph and rdflib terms (IRIs and blank nodes)."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term) if isinstance(term, URIRef) else "_:" + str(term)


def _batch_shapes(shapes: Graph, targets: dict, judged: set[str]) -> Graph:
    """The resolved shapes with each SPARQL target narrowed to the nodes judged here."""
    batch = Graph()
    for prefix, namespace in shapes.namespaces():
        batch.bind(prefix, namespace, override=True, replace=True)
    for triple in shapes:
        if triple[1] != SH_TARGET_NODE:
            batch.add(triple)
    for shape, nodes in targets.items():
        for node in nodes:
            if str(node) in judged:
                batch.add((shape, SH_TARGET_NODE, node))
    return batch


def validate_batches(
    shapes: Graph,
    files: list[InputFile],
    counts: dict[str, int],
    store: ox.Store,
    ontology: bytes,
    locator: LazyLocator,
) -> list[Problem]:
    """pyshacl, batch by batch, for ``shapes`` (those the compiler refused); see the module's
    docstring."""
    shapes = resolve_sparql_targets(shapes, store)
    targets: dict = {}
    for shape, node in shapes.subject_objects(SH_TARGET_NODE):
        targets.setdefault(shape, []).append(node)
    seen: set[str] = set()
    problems: list[Problem] = []
    for batch in batches(files, counts):
        names = [f.graph for f in batch]
        judged = subjects_of(store, names) - seen
        seen |= judged
        data = context_graph(store, names, ontology)
        report = validate(data, _batch_shapes(shapes, targets, judged), locator)
        problems += [p for p in report.problems if p.focus in judged]
        del data
    orphans = {str(n) for nodes in targets.values() for n in nodes} - seen
    if orphans:
        data = context_graph(store, [], ontology)
        report = validate(data, _batch_shapes(shapes, targets, orphans), locator)
        problems += [p for p in report.problems if p.focus in orphans]
    return problems


_TARGETING = (
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
)


def only_shapes(shapes: Graph, keep: set[object]) -> Graph:
    """The shapes graph with every top-level shape but ``keep`` untargeted, so that pyshacl
    checks only those (shapes they refer to stay, as they are)."""
    kept = Graph()
    for prefix, namespace in shapes.namespaces():
        kept.bind(prefix, namespace, override=True, replace=True)
    dropped = set(top_level_shapes(shapes)) - keep
    for s, p, o in shapes:
        if not (s in dropped and p in _TARGETING):
            kept.add((s, p, o))
    return kept


def validate_streamed(
    root: Path,
    files: list[InputFile],
    counts: dict[str, int],
    store: ox.Store,
    ontology: bytes,
    phase: Callable[[str], None],
) -> tuple[ValidationReport, list[QuoteProblem]]:
    """The shapes over the store (compiled to SPARQL; pyshacl in batches for any shape the
    compiler refuses), then the quotes."""
    shapes = load_shapes(root)
    locator = LazyLocator(files)
    problems, done = validate_store(store, shapes, locator)  # type: ignore[arg-type]
    phase("validate (SHACL compiled to SPARQL, over the on-disk store)")
    if done.unsupported:
        rest = only_shapes(shapes, set(done.unsupported))
        problems += validate_batches(rest, files, counts, store, ontology, locator)
        phase(f"validate (pyshacl in batches, {len(done.unsupported)} shapes not compiled)")
    quote_problems = check_quotes(StoreView(store), root)  # type: ignore[arg-type]
    phase("quotes (over the on-disk store)")
    problems.sort(key=lambda p: (p.file, p.line, p.focus, p.path, p.message))
    return ValidationReport(tuple(problems)), quote_problems


def ontology_ntriples(store: ox.Store, files: list[InputFile]) -> bytes:
    """The ontology files' triples as N-Triples: every batch's data graph includes them."""
    names = " ".join(f"<{f.graph}>" for f in files if f.relative.startswith("ontology/"))
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    return ox.serialize(store.query(query), format=ox.RdfFormat.N_TRIPLES) or b""


def stream_check(
    root: Path, workdir: Path, phase: Callable[[str], None] = lambda name: None
) -> Streamed:
    """Load every input into an on-disk working store under ``workdir``, start the reasoner on
    a backup of it in a process of its own, and validate the working store meanwhile."""
    files = discover(root)
    store = ox.Store(str(workdir / "working-store"))
    unsorted = workdir / "quads.unsorted.nq"
    counts = load_files(files, store, unsorted)
    phase("load (file by file into the on-disk store)")
    store.flush()
    # A backup on the same disk is hard links to the store's immutable files: instant, and
    # from then on independent, so the reasoner's writes never reach what validation reads.
    reason_store, inferred = workdir / "reason-store", workdir / "inferred.unsorted.nq"
    store.backup(str(reason_store))
    reasoning = Background(reason_over, str(reason_store), str(inferred))
    try:
        ontology_nt = ontology_ntriples(store, files)
        ontology = Graph().parse(data=ontology_nt, format="nt")
        report, quote_problems = validate_streamed(root, files, counts, store, ontology_nt, phase)
    except BaseException:
        reasoning.stop()
        raise
    return Streamed(store, unsorted, report, quote_problems, ontology, counts, reasoning, inferred)


def reason_over(store_dir: str, inferred: str) -> int:
    """Materialise over the on-disk store at ``store_dir`` (a backup of the working store, in
    a process of its own) and write the inferred graph's lines, unsorted, to ``inferred``.
    Returns how many lines were written (each triple once); the store is removed after."""
    from kg.pipeline.build import _triple_nt
    from kg.pipeline.materialise import materialise_store

    name = URIRef(INFERRED_GRAPH).n3()
    written = 0
    store = ox.Store(store_dir)
    with Path(inferred).open("w", encoding="utf-8") as out:
        for triple in materialise_store(store, asserted_in_named_graphs=True):
            out.write(f"{_triple_nt(triple)} {name} .\n")
            written += 1
    del store
    shutil.rmtree(store_dir, ignore_errors=True)
    return written


def lint_on_disk(root: str, directory: str) -> list:
    """``kg lint`` with its store on disk at ``directory``: run beside loading and validation
    (it reads the input files itself), for the quality report."""
    from kg.pipeline.lint import lint

    problems = lint(Path(root), directory=Path(directory))
    shutil.rmtree(directory, ignore_errors=True)
    return problems


def sort_unique(unsorted: list[Path], target: Path, workdir: Path) -> None:
    """GNU sort in byte order, each line once; it spills to ``workdir``, never all in memory."""
    sort = shutil.which("sort")
    if sort is None:
        raise RuntimeError("the streaming build needs GNU sort (coreutils)")
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run(
        [sort, "-u", "-S", SORT_BUFFER, "-T", str(workdir), "-o", str(target)]
        + [str(path) for path in unsorted],
        check=True,
        env=env,
    )


def summarise(sorted_quads: Path) -> tuple[str, dict[str, int]]:
    """The artifact's SHA-256 and each graph's number of lines, read in one pass."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    with sorted_quads.open("rb") as lines:
        for line in lines:
            digest.update(line)
            graph = line.rsplit(b" ", 2)[1][1:-1].decode("utf-8")
            counts[graph] = counts.get(graph, 0) + 1
    return digest.hexdigest(), counts
