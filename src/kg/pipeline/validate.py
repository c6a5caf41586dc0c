"""Check the data against the SHACL shapes and report each problem in one actionable line."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, Namespace, URIRef

from kg.pipeline.locate import Locator
from kg.pipeline.shacl.hints import hint

SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS_PREF = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")


@dataclass(frozen=True)
class Problem:
    severity: str  # Violation, Warning or Info
    focus: str
    label: str
    path: str
    message: str
    value: str
    shape: str
    file: str
    line: int
    #: The likely fix (``kg.pipeline.shacl.hints``): the term meant, or the values allowed.
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else "(no file)"
        label = f" ({self.label})" if self.label else ""
        prop = f" {self.path}:" if self.path else ":"
        value = f" [value: {self.value}]" if self.value else ""
        hint = f" → {self.hint}" if self.hint else ""
        return f"{where}: {self.severity}: <{self.focus}>{label}{prop} {self.message}{value}{hint}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ValidationReport:
    problems: tuple[Problem, ...]

    @property
    def violations(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "Violation"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def summary(self) -> dict[str, int]:
        return {"violations": len(self.violations), "warnings": len(self.warnings)}


def union_graph(dataset: Dataset) -> Graph:
    """All named graphs as one graph: what the shapes and the reasoner look at."""
    union = Graph()
    for context in dataset.graphs():
        for triple in context:
            union.add(triple)
    return union


def validate(
    data: Graph,
    shapes: Graph,
    locator: Locator | None = None,
    store: ox.Store | None = None,
) -> ValidationReport:
    """Run pyshacl (no inference: subclass targets follow rdfs:subClassOf in the data).

    ``store``, when given, holds the same triples as ``data`` in its default graph: SPARQL-based
    targets are then selected there (see :func:`resolve_sparql_targets`), and pyshacl checks
    every constraint as before. The data graph is validated in place (pyshacl would otherwise
    copy it whole, because of advanced mode) unless a shape has SHACL rules, which write to it.
    """
    if store is not None:
        shapes = resolve_sparql_targets(shapes, store)
    _, results, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=(None, SH.rule, None) not in shapes,
    )
    problems = [
        _problem(results, result, data, locator, shapes)
        for result in results.subjects(RDF.type, SH.ValidationResult)
    ]
    problems.sort(key=lambda p: (p.file, p.line, p.focus, p.path, p.message))
    return ValidationReport(tuple(problems))


#: Names a SPARQL target may use that only pyshacl binds; such targets are left to pyshacl.
_PRE_BOUND = ("$currentShape", "?currentShape", "$shapesGraph", "?shapesGraph")


def resolve_sparql_targets(shapes: Graph, store: ox.Store) -> Graph:
    """The shapes, with each SPARQL-based target replaced by the nodes its query selects.

    A target ``sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this …" ]`` makes pyshacl run
    the query with rdflib's SPARQL engine; a query that scans every triple (our namespace
    hygiene shape does) takes minutes at a million triples. The same query on pyoxigraph, over
    the same triples, selects the same focus nodes in seconds; they are then given to pyshacl
    as ``sh:targetNode``, which by definition targets exactly those nodes, and pyshacl checks
    every constraint as before. Targets that need more than a plain query (pre-bound
    variables, parameters, blank-node results) are left to pyshacl.
    """
    resolved = Graph()
    for prefix, namespace in shapes.namespaces():
        resolved.bind(prefix, namespace, override=True, replace=True)
    for triple in shapes:
        resolved.add(triple)
    for shape, target in list(shapes.subject_objects(SH.target)):
        nodes = _sparql_target_nodes(shapes, target, store)
        if nodes is None:
            continue
        resolved.remove((shape, SH.target, target))
        if isinstance(target, BNode):
            resolved.remove((target, None, None))
        for node in nodes:
            resolved.add((shape, SH.targetNode, node))
    return resolved


def _sparql_target_nodes(shapes: Graph, target: object, store: ox.Store) -> list[URIRef] | None:
    if set(shapes.objects(target, RDF.type)) != {SH.SPARQLTarget}:
        return None
    selects = list(shapes.objects(target, SH.select))
    if len(selects) != 1 or any(name in str(selects[0]) for name in _PRE_BOUND):
        return None
    known = {SH.select, SH.prefixes, RDF.type}
    if any(p not in known for p in shapes.predicates(target)):
        return None
    prologue = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
        for holder in shapes.objects(target, SH.prefixes)
        for d in shapes.objects(holder, SH.declare)
    )
    nodes: list[URIRef] = []
    for row in store.query(prologue + str(selects[0])):
        value = row["this"]
        if not isinstance(value, ox.NamedNode):
            return None  # blank nodes are not shared with rdflib; literals are left alike
        nodes.append(URIRef(value.value))
    return nodes


@dataclass(frozen=True)
class ShaclResult:
    """One SHACL validation result as terms: what both validators (pyshacl, and
    ``kg.pipeline.shacl.over_store`` over the on-disk store) report, and what their parity test
    compares."""

    focus: object
    path: object | None
    value: object | None
    shape: object
    component: object
    severity: object
    message: str | None

    def key(self) -> tuple[str, str, str, str, str]:
        """(focus, path, component, severity, message): what must agree between validators
        (a property shape's blank node is compared by the shape, not by its label)."""
        path = "" if self.path is None else str(self.path)
        focus = "_:" if isinstance(self.focus, BNode) else str(self.focus)  # labels differ
        return (focus, path, str(self.component), str(self.severity), str(self.message))


def pyshacl_results(data: Graph, shapes: Graph) -> list[ShaclResult]:
    """pyshacl's results, run as :func:`validate` runs it, read into :class:`ShaclResult`."""
    _, results, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    return [
        ShaclResult(
            *(
                results.value(r, p)
                for p in (
                    SH.focusNode,
                    SH.resultPath,
                    SH.value,
                    SH.sourceShape,
                    SH.sourceConstraintComponent,
                    SH.resultSeverity,
                )
            ),
            message=str(results.value(r, SH.resultMessage) or "") or None,
        )
        for r in results.subjects(RDF.type, SH.ValidationResult)
    ]


def problem_of(
    result: ShaclResult, data: object, locator: Locator | None, shapes: Graph
) -> Problem:
    """The report line of a result found without pyshacl: the same fields as :func:`_problem`
    (``data`` is a graph, or a ``kg.pipeline.store_view.StoreView`` of the store)."""
    results = Graph()
    node = BNode()
    for predicate, term in (
        (SH.focusNode, result.focus),
        (SH.resultPath, result.path),
        (SH.value, result.value),
        (SH.sourceShape, result.shape),
        (SH.sourceConstraintComponent, result.component),
        (SH.resultSeverity, result.severity),
    ):
        if term is not None:
            results.add((node, predicate, term))
    if result.message:
        results.add((node, SH.resultMessage, Literal(result.message)))
    return _problem(results, node, data, locator, shapes)  # type: ignore[arg-type]


def _problem(
    results: Graph, result: object, data: Graph, locator: Locator | None, shapes: Graph
) -> Problem:
    def one(predicate: URIRef) -> object:
        return results.value(result, predicate)

    focus = one(SH.focusNode)
    severity = str(one(SH.resultSeverity) or SH.Violation).rsplit("#", 1)[-1]
    path = one(SH.resultPath)
    message = one(SH.resultMessage)
    value = one(SH.value)
    location = locator.find(focus) if locator else None
    return Problem(
        severity=severity,
        focus=str(focus),
        label=label_of(data, focus),
        path=_short(data, path),
        message=str(message) if message else "constraint not met",
        value=_short(data, value),
        shape=str(one(SH.sourceShape) or ""),
        file=location.path if location else "",
        line=location.line if location else 0,
        hint=hint(results, result, data, shapes),
    )


def label_of(graph: Graph, node: object) -> str:
    """A human label for a node, preferring Swedish, for error messages and pages."""
    # Sorted, so that the label named does not depend on the order the triples were read in
    # (a node with two labels of one language is itself reported; both builds name the same).
    labels = sorted(graph.objects(node, RDFS.label), key=str) + sorted(
        graph.objects(node, SKOS_PREF), key=str
    )
    for lang in ("sv", "en", None):
        for label in labels:
            if isinstance(label, Literal) and label.language == lang:
                return str(label)
    return str(labels[0]) if labels else ""


def _short(graph: Graph, node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:  # an IRI that no prefix covers
            return f"<{node}>"
    return str(node)
