"""Check the data against the SHACL shapes and report each problem in one actionable line."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef

from kg.pipeline.locate import Locator

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

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else "(no file)"
        label = f" ({self.label})" if self.label else ""
        prop = f" {self.path}:" if self.path else ":"
        value = f" [value: {self.value}]" if self.value else ""
        return f"{where}: {self.severity}: <{self.focus}>{label}{prop} {self.message}{value}"

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


def validate(data: Graph, shapes: Graph, locator: Locator | None = None) -> ValidationReport:
    """Run pyshacl (no inference: subclass targets follow rdfs:subClassOf in the data)."""
    _, results, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    problems = [
        _problem(results, result, data, locator)
        for result in results.subjects(RDF.type, SH.ValidationResult)
    ]
    problems.sort(key=lambda p: (p.file, p.line, p.focus, p.path, p.message))
    return ValidationReport(tuple(problems))


def _problem(results: Graph, result: object, data: Graph, locator: Locator | None) -> Problem:
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
    )


def label_of(graph: Graph, node: object) -> str:
    """A human label for a node, preferring Swedish, for error messages and pages."""
    labels = list(graph.objects(node, RDFS.label)) + list(graph.objects(node, SKOS_PREF))
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
