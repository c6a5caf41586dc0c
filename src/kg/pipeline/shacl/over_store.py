"""Validate the on-disk store with the compiled shapes (``kg.pipeline.shacl.plan``): no pyshacl,
no copy of the graph in memory.

Each check is one SPARQL query over a chunk of its shape's focus nodes (:data:`FOCUS_CHUNK`,
so that what Oxigraph holds for a query does not grow with the graph), evaluated over the
store's default graph (the union of every input file, as the in-memory build validates). The
rows become the results pyshacl would report (focus node, path, value, source shape,
constraint component, severity, message), then the same report lines (file and line, label,
hint). Shapes the plan could not compile, or whose SPARQL target selects blank nodes, are
returned untouched: the caller validates them with pyshacl.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph

from kg.pipeline.locate import Locator
from kg.pipeline.shacl.node_tests import NotCompiledError, evaluate, leaves
from kg.pipeline.shacl.plan import TARGETS, Check, Plan, compile_shapes
from kg.pipeline.store_view import StoreView, to_rdflib
from kg.pipeline.validate import Problem, ShaclResult, problem_of


@dataclass
class StoreValidation:
    results: list[ShaclResult]
    #: Top-level shapes not checked here (left to pyshacl), with the reason.
    unsupported: dict[object, str] = field(default_factory=dict)


def _constant(term: object) -> str:
    if isinstance(term, ox.BlankNode):
        raise NotCompiledError("a SPARQL target selects a blank node")
    return str(term)


def _targets(plan: Plan, store: ox.Store) -> dict[object, str]:
    """Each compiled shape's focus-node pattern, SPARQL targets replaced by their nodes."""
    selected: dict[str, str] = {}
    refused: dict[str, str] = {}
    for mark, query in plan.sparql_targets.items():
        try:
            nodes = " ".join(sorted({_constant(row["this"]) for row in store.query(query)}))
            selected[mark] = f"VALUES ?this {{ {nodes} }}"
        except NotCompiledError as err:
            refused[mark] = str(err)
    targets = {}
    for shape, pattern in plan.targets.items():
        for mark, reason in refused.items():
            if mark in pattern:
                plan.unsupported[shape] = reason
        if shape in plan.unsupported:
            continue
        for mark, values in selected.items():
            pattern = pattern.replace(mark, values)
        targets[shape] = pattern
    return targets


#: Focus nodes per query. A check over all of a shape's focus nodes at once makes Oxigraph
#: hold a group (GROUP BY … COUNT(DISTINCT)) or a row of its DISTINCT set for every one of
#: them, which grows with the graph (0.75 GiB in the build's process at the end of validation
#: at 10 M triples); a check over a chunk holds only the chunk's. A chunk is a VALUES list,
#: which Oxigraph joins node by node (no scan of the whole predicate per chunk). The price is
#: CPU: over a 1 M-triple store all checks took 37 s against 30 s in one query each (chunks of
#: 100,000: 40 s, and a higher peak), measured; see bench/RESULTS.md.
FOCUS_CHUNK = 20_000


def run_plan(plan: Plan, store: ox.Store) -> list[ShaclResult]:
    """Every result of every compiled check; shapes refused at run time join
    ``plan.unsupported``. Each shape's focus nodes are selected once and its checks run over
    them :data:`FOCUS_CHUNK` at a time; the results come in the order of ``plan.checks``."""
    targets = _targets(plan, store)
    found: dict[int, list[ShaclResult]] = {}
    for root, pattern in targets.items():
        checks = [(n, c) for n, c in enumerate(plan.checks) if c.root == root]
        if not checks:
            continue
        for n, _ in checks:
            found[n] = []
        for chunk in focus_chunks(store, pattern):
            for n, check in checks:
                if chunk == pattern:  # a blank focus node: the whole pattern, from scratch
                    found[n] = []
                found[n] += _run(check, chunk, store)
    return [result for n in sorted(found) for result in found[n]]


def focus_chunks(store: ox.Store, pattern: str) -> Iterator[str]:
    """The shape's focus nodes (``pattern`` selects them, each once) as VALUES clauses of
    :data:`FOCUS_CHUNK` nodes; when a focus node is a blank node, which a query cannot name,
    the whole pattern comes last, and replaces what the chunks before it found."""
    chunk: list[str] = []
    for row in store.query(f"SELECT ?this WHERE {{ {pattern} }}"):
        node = row[0]
        if isinstance(node, ox.BlankNode):
            yield pattern
            return
        chunk.append(str(node))
        if len(chunk) >= FOCUS_CHUNK:
            yield f"VALUES ?this {{ {' '.join(chunk)} }}"
            chunk = []
    if chunk:
        yield f"VALUES ?this {{ {' '.join(chunk)} }}"


def _run(check: Check, targets: str, store: ox.Store) -> list[ShaclResult]:
    solutions = store.query(check.query.replace(TARGETS, targets))
    names = {v.value for v in solutions.variables}
    found = []
    for row in solutions:
        value = to_rdflib(row["v"]) if "v" in names else None
        if check.test is not None:
            columns = {}
            for n, leaf in enumerate(_leaf_texts(check)):
                bound = row[f"c{n}"]
                columns[leaf] = bound is not None and bound.value == "true"
            if evaluate(check.test, value, columns):
                continue
        focus = to_rdflib(row["this"])
        path = check.path
        if check.value == "sparql":
            path = to_rdflib(row["path"]) if "path" in names and row["path"] else None
            bound = row["value"] if "value" in names else None
            reported = to_rdflib(bound) if bound is not None else focus
        else:
            reported = {"v": value, "none": None}[check.value]
        found.append(
            ShaclResult(
                focus, path, reported, check.shape, check.component, check.severity, check.message
            )
        )
    return found


def _leaf_texts(check: Check) -> list[str]:
    return [leaf.text for leaf in leaves(check.test)]


def validate_store(
    store: ox.Store, shapes: Graph, locator: Locator | None = None
) -> tuple[list[Problem], StoreValidation]:
    """The report lines of every compiled shape, sorted as :func:`validate` sorts them, and
    what was checked (the results, and the shapes left to pyshacl)."""
    plan = compile_shapes(shapes)
    results = run_plan(plan, store)
    view = StoreView(store)
    problems = [problem_of(r, view, locator, shapes) for r in results]
    problems.sort(key=lambda p: (p.file, p.line, p.focus, p.path, p.message))
    return problems, StoreValidation(results, dict(plan.unsupported))
