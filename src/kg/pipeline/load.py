"""Parse every input file into its own named graph, so each fact keeps its file as provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from kg.namespaces import graph_iri
from kg.pipeline.errors import InputSyntaxError, PipelineError, SyntaxProblem, UnfilledHoleError
from kg.pipeline.holes import find_holes

#: Where inputs live, relative to the project root. Shapes are loaded apart: they check the
#: data and are not part of the published dataset.
DATA_GLOBS = ("ontology/*.ttl", "data/ttl/**/*.ttl")
SHAPE_GLOBS = ("shapes/*.ttl",)


@dataclass(frozen=True)
class InputFile:
    path: Path
    relative: str
    graph: URIRef
    sha256: str


def discover(root: Path, globs: tuple[str, ...] = DATA_GLOBS) -> list[InputFile]:
    """Find the inputs in a stable order; two files may not share a stem (their graph name)."""
    files: list[InputFile] = []
    seen: dict[str, str] = {}
    for pattern in globs:
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            stem = path.stem
            if stem in seen:
                raise PipelineError(
                    f"{relative}: graph name '{stem}' is already used by {seen[stem]}; "
                    "rename one of the files"
                )
            seen[stem] = relative
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            files.append(InputFile(path, relative, URIRef(graph_iri(stem)), digest))
    return files


def parse_file(path: Path, relative: str, graph: Graph | None = None) -> Graph:
    """Parse one Turtle file, turning rdflib's syntax error into file, line and column; a
    hole that ``kg quote`` left (``?FILL_IN_SPEAKER``) is reported as such, every one of them."""
    target = graph if graph is not None else Graph()
    text = path.read_text(encoding="utf-8")
    if "?FILL_IN_" in text and (holes := find_holes(text, relative)):
        raise UnfilledHoleError([str(h) for h in holes])
    try:
        target.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as err:
        raise InputSyntaxError(_syntax_problem(relative, text, err)) from None
    except Exception as err:  # rdflib raises assorted errors for bad IRIs and literals
        raise InputSyntaxError(SyntaxProblem(relative, 0, 0, str(err))) from None
    return target


def _syntax_problem(relative: str, text: str, err: BadSyntax) -> SyntaxProblem:
    offset = getattr(err, "_i", 0) or 0
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SyntaxProblem(relative, line, column, str(getattr(err, "_why", err)))


def load_dataset(files: list[InputFile]) -> Dataset:
    """Load each file into the named graph derived from its stem."""
    dataset = Dataset()
    for item in files:
        parse_file(item.path, item.relative, dataset.graph(item.graph))
    return dataset


Triple = tuple[Node, Node, Node]


class _RecordingGraph(Graph):
    """A graph that also notes every triple the parser adds, in the list ``recorded``.

    One parse then fills both the union (a set, what the shapes check) and each file's own
    graph (what the artifact holds), instead of a Dataset plus a second, copied union. The
    files' ``@prefix`` lines are not bound here, so that reports shorten IRIs as before.
    """

    def __init__(self) -> None:
        super().__init__()
        self.recorded: list[Triple] | None = None

    def add(self, triple: Triple) -> _RecordingGraph:  # type: ignore[override]
        if self.recorded is not None:
            self.recorded.append(triple)
        super().add(triple)
        return self

    def bind(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        if self.recorded is None:
            super().bind(*args, **kwargs)  # type: ignore[arg-type]


def load_union(files: list[InputFile]) -> tuple[Graph, dict[URIRef, list[Triple]]]:
    """Parse every file once: the union of all of them as one graph, plus each file's triples
    (in parse order, possibly repeated) under its graph name."""
    union = _RecordingGraph()
    graphs: dict[URIRef, list[Triple]] = {}
    try:
        for item in files:
            union.recorded = graphs.setdefault(item.graph, [])
            parse_file(item.path, item.relative, union)
    finally:
        union.recorded = None
    return union, graphs


def load_shapes(root: Path) -> Graph:
    shapes = Graph()
    for item in discover(root, SHAPE_GLOBS):
        parse_file(item.path, item.relative, shapes)
    return shapes
