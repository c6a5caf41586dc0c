"""What changed between two builds (or a build and the working tree), for review.

A reviewer wants two things: which facts each named graph gained or lost, written with labels
rather than bare IRIs, and which ontology terms were added, changed, deprecated or removed.
Blank nodes get new identifiers on every parse, so triples with blank nodes are compared on
their named parts only and may show as changed; the project's data have none (shapes do, but
shapes are not part of a build).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.namespaces import DK, GRAPH, INFERRED_GRAPH, ONTOLOGY_IRI, PREFIXES
from kg.pipeline.errors import PipelineError
from kg.pipeline.load import discover, load_dataset

WORKTREE = "worktree"
_MODEL_GRAPHS = (URIRef(GRAPH["ontology"]), URIRef(GRAPH["alignments"]))


@dataclass
class GraphChange:
    graph: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Diff:
    old: str
    new: str
    graphs: list[GraphChange]
    terms: dict[str, list[str]]  # added / changed / deprecated / removed -> "dk:X (label)"

    @property
    def empty(self) -> bool:
        return not self.graphs and not any(self.terms.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "old": self.old,
            "new": self.new,
            "graphs": [g.__dict__ for g in self.graphs],
            "terms": self.terms,
        }


def load_side(spec: str | Path, root: Path) -> Dataset:
    """``worktree`` (the inputs as they are now), a build directory, or a ``.nq`` file."""
    if str(spec) == WORKTREE:
        return load_dataset(discover(root))
    path = Path(spec)
    if path.is_dir():
        path = path / "kg.nq"
    if not path.is_file():
        raise PipelineError(f"{spec}: neither 'worktree', a build directory nor a kg.nq file")
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    return dataset


def diff(old: str | Path, new: str | Path, root: Path) -> Diff:
    """Compare two sides; the inferred graph is left out when either side is the worktree."""
    before, after = load_side(old, root), load_side(new, root)
    skip = {INFERRED_GRAPH} if WORKTREE in (str(old), str(new)) else set()
    labels = _labels(after, before)
    changes = []
    names = {c.identifier for c in before.graphs()} | {c.identifier for c in after.graphs()}
    for name in sorted(names - skip - {DATASET_DEFAULT_GRAPH_ID}, key=str):
        a, b = _triples(before, name), _triples(after, name)
        if a == b:
            continue
        change = GraphChange(_short(name))
        change.added = sorted(_line(t, labels) for t in b - a)
        change.removed = sorted(_line(t, labels) for t in a - b)
        changes.append(change)
    return Diff(str(old), str(new), changes, _terms(before, after, labels))


def _triples(dataset: Dataset, name: object) -> set[tuple]:
    graph = dataset.graph(name)
    return {tuple(None if isinstance(x, BNode) else x for x in t) for t in graph}


def _model(dataset: Dataset) -> Graph:
    model = Graph()
    for name in _MODEL_GRAPHS:
        for triple in dataset.graph(name):
            model.add(triple)
    return model


def _terms(before: Dataset, after: Dataset, labels: Graph) -> dict[str, list[str]]:
    old, new = _model(before), _model(after)
    ours = URIRef(ONTOLOGY_IRI)
    old_terms = set(old.subjects(RDFS.isDefinedBy, ours))
    new_terms = set(new.subjects(RDFS.isDefinedBy, ours))
    deprecated = {
        t
        for t in new_terms
        if (t, OWL.deprecated, Literal(True)) in new
        and t in old_terms
        and (t, OWL.deprecated, Literal(True)) not in old
    }
    changed = {
        t
        for t in (old_terms & new_terms) - deprecated
        if {(p, o) for p, o in old.predicate_objects(t)} != set(new.predicate_objects(t))
    }

    def names(terms: set) -> list[str]:
        return sorted(_named(t, labels) for t in terms)

    return {
        "added": names(new_terms - old_terms),
        "changed": names(changed),
        "deprecated": names(deprecated),
        "removed": names(old_terms - new_terms),
    }


def _labels(*datasets: Dataset) -> Graph:
    """Labels from the first side that has any for a node: the new name wins over the old."""
    labels = Graph()
    for dataset in datasets:
        found = Graph()
        for s, p, o, _ in dataset.quads((None, RDFS.label, None, None)):
            if (s, None, None) not in labels:
                found.add((s, p, o))
        labels += found
    return labels


def _short(node: object) -> str:
    if isinstance(node, Literal):
        return node.n3()
    if node is None:
        return "[]"
    text = str(node)
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(namespace) and "/" not in text[len(namespace) :]:
            return f"{prefix}:{text[len(namespace) :]}"
    return f"<{text}>"


def _label(labels: Graph, node: URIRef) -> str:
    """Swedish first, then English, then any; the shortest of several, so output is stable."""
    found = list(labels.objects(node, RDFS.label))
    for lang in ("sv", "en", None):
        texts = sorted((len(str(x)), str(x)) for x in found if x.language == lang)
        if texts:
            return texts[0][1]
    return ""


def _named(node: object, labels: Graph) -> str:
    label = _label(labels, node) if isinstance(node, URIRef) else ""
    return f"{_short(node)} ({label})" if label else _short(node)


def _line(triple: tuple, labels: Graph) -> str:
    s, p, o = triple
    obj = _named(o, labels) if isinstance(o, URIRef) else _short(o)
    return f"{_named(s, labels)} {_short(p)} {obj}"


def format_diff(result: Diff) -> str:
    """The review text: per graph, + added and - removed triples, then the term summary."""
    lines = [f"--- {result.old}", f"+++ {result.new}"]
    if result.empty:
        return "\n".join([*lines, "no differences"]) + "\n"
    for change in result.graphs:
        lines.append(f"{change.graph}: +{len(change.added)} -{len(change.removed)}")
        lines += [f"  + {t}" for t in change.added] + [f"  - {t}" for t in change.removed]
    for kind, terms in result.terms.items():
        if terms:
            lines.append(f"terms {kind}: " + ", ".join(terms))
    return "\n".join(lines) + "\n"


__all__ = ["DK", "WORKTREE", "Diff", "GraphChange", "diff", "format_diff", "load_side"]
