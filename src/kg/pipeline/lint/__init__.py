"""Ontology lint: the editors' house rules, one SPARQL query per rule in ``rules/``.

Why SPARQL files and not Python: a rule is then a small, readable statement of the constraint
that an editor can run by hand in any SPARQL tool, and adding a rule means adding a file.
Each ``rules/*.rq`` starts with a comment header (``# rule:``, ``# message:``, ``# why:``) and
selects ``?focus`` (the node to name) plus, optionally, ``?value`` (the offending term, located
in the file), ``?graph`` (where the offending triple lives) and ``?detail``.

The rules run over one pyoxigraph store (it loads the 3 MB of vendored vocabularies in a tenth
of a second, where rdflib takes seconds) holding every input in a named graph of its own, and a
bookkeeping graph ``<urn:kg:files>`` that says what kind of input each graph is. The store is in
memory unless ``lint`` is given a folder: the streaming build gives it one, so that a project of
ten million triples is linted in the memory of its largest file, not of all of them (5.7 GiB
measured at 10 M in memory).
"""

from __future__ import annotations

import re
from dataclasses import asdict, astuple, dataclass, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from kg.namespaces import PREFIXES, graph_iri
from kg.pipeline.holes import WHAT, find_holes
from kg.pipeline.lint.term_hints import TermIndex
from kg.pipeline.load import DATA_GLOBS, SHAPE_GLOBS, InputFile
from kg.pipeline.locate import LazyLocator, Locator

RULES_DIR = Path(__file__).parent / "rules"
FILES_GRAPH = "urn:kg:files"
KIND = "urn:kg:kind"
CATALOG = "ontology/external/catalog.ttl"
FIXTURE_GLOBS = {
    "valid-fixture": "tests/fixtures/shapes/valid/*.ttl",
    "invalid-fixture": "tests/fixtures/shapes/invalid/*.ttl",
}
#: Rules whose offending ``?value`` is a misspelt term, for which lint names the one meant.
SUGGESTING = ("undeclared-term", "unknown-external-term")
_HEADER = re.compile(r"^#\s*(\w+):\s*(.*)$")
_SHORT = {
    **PREFIXES,
    "dks": "https://w3id.org/digikommun/shapes#",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
    "cpov": "http://data.europa.eu/m8g/",
    "au": "http://inspire.ec.europa.eu/ont/au#",
}


@dataclass(frozen=True)
class Rule:
    name: str
    message: str
    why: str
    query: str
    path: Path


@dataclass(frozen=True)
class LintProblem:
    rule: str
    message: str
    focus: str
    label: str
    value: str
    detail: str
    file: str
    line: int
    column: int = 0
    severity: str = "error"
    #: The term most likely meant, for a rule in SUGGESTING (kg.pipeline.lint.term_hints).
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else "(no file)"
        if self.column:
            where += f":{self.column}"
        label = f" ({self.label})" if self.label else ""
        value = f" [{self.value}]" if self.value and self.value != self.focus else ""
        detail = f" ({self.detail})" if self.detail else ""
        head = f"{where}: {self.severity}: {self.focus}{label}{value}"
        hint = f" → did you mean {self.hint}?" if self.hint else ""
        return f"{head}: {self.message}{detail} [{self.rule}]{hint}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_rules(directory: Path = RULES_DIR) -> list[Rule]:
    """Every ``*.rq`` in the folder, sorted by name; a rule without a header is an error."""
    rules = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = {}
        for line in text.splitlines():
            match = _HEADER.match(line)
            if match:
                header[match.group(1)] = match.group(2).strip()
            elif line.strip() and not line.startswith("#"):
                break
        missing = {"rule", "message", "why"} - header.keys()
        if missing:
            raise ValueError(f"{path.name}: header lacks {', '.join(sorted(missing))}")
        if header["rule"] != path.stem:
            raise ValueError(f"{path.name}: '# rule: {header['rule']}' must match the file name")
        rules.append(Rule(header["rule"], header["message"], header["why"], text, path))
    return rules


class Inputs:
    """The project's inputs in one store, with the way back from a graph to its file."""

    def __init__(self, root: Path, directory: Path | None = None) -> None:
        """``directory``, when given, holds the store on disk (it must not exist yet)."""
        self.root = root
        self.store = ox.Store(str(directory)) if directory is not None else ox.Store()
        self.on_disk = directory is not None
        self.files: dict[str, InputFile] = {}  # graph IRI -> file
        self.syntax: list[LintProblem] = []
        for pattern in DATA_GLOBS:
            for path in sorted(root.glob(pattern)):
                kind = "ontology" if path.parent.name == "ontology" else "data"
                self._add(path, graph_iri(path.stem), kind)
        for pattern in SHAPE_GLOBS:
            for path in sorted(root.glob(pattern)):
                self._add(path, f"urn:kg:shapes:{path.stem}", "shapes")
        for kind, pattern in FIXTURE_GLOBS.items():
            for path in sorted(root.glob(pattern)):
                self._add(path, f"urn:kg:{kind}:{path.stem}", kind)
                if kind == "invalid-fixture":
                    self._fixture_header(path)
        for path in sorted(root.glob("ontology/releases/*.ttl")):
            self._add(path, f"urn:kg:release:{path.stem}", "release")
        catalog = root / CATALOG
        if catalog.is_file():
            self._add(catalog, "urn:kg:catalog", "catalog")
            self._load_external(catalog.parent)

    def _add(self, path: Path, graph: str, kind: str) -> None:
        relative = path.relative_to(self.root).as_posix()
        name = ox.NamedNode(graph)
        holes = find_holes(path.read_text(encoding="utf-8"), relative)
        for hole in holes:  # a Turtle syntax error too, but one the editor was told to fix
            self.syntax.append(
                LintProblem(
                    "unfilled-hole",
                    f"unfilled hole left by `kg quote`: put {WHAT.get(hole.name, 'a value')}",
                    hole.name,
                    "",
                    "",
                    "",
                    relative,
                    hole.line,
                    hole.column,
                )
            )
        if holes:
            return
        # on disk, a bulk load (no transaction: a file with an error stops lint anyway) writes
        # the indexes directly, four times faster than a transaction per file
        load = self.store.bulk_load if self.on_disk else self.store.load
        try:
            load(
                path=str(path),
                format=ox.RdfFormat.TURTLE,
                to_graph=name,
                base_iri=path.resolve().as_uri(),
            )
        except SyntaxError as err:
            self.syntax.append(
                LintProblem(
                    "syntax",
                    f"Turtle syntax error: {err.msg}",
                    relative,
                    "",
                    "",
                    "",
                    relative,
                    err.lineno or 0,
                    err.offset or 0,
                )
            )
            return
        self.files[graph] = InputFile(path, relative, ox_to_uri(graph), "")
        self.store.add(
            ox.Quad(name, ox.NamedNode(KIND), ox.Literal(kind), ox.NamedNode(FILES_GRAPH))
        )

    def _fixture_header(self, path: Path) -> None:
        """``# shape: dks:X`` in an invalid fixture becomes ``<fixture> kg:exercises dks:X``."""
        for line in path.read_text(encoding="utf-8").splitlines()[:5]:
            if line.startswith("# shape:"):
                shape = line.split(":", 1)[1].strip().replace("dks:", _SHORT["dks"])
                self.store.add(
                    ox.Quad(
                        ox.NamedNode(f"urn:kg:invalid-fixture:{path.stem}"),
                        ox.NamedNode("urn:kg:exercises"),
                        ox.NamedNode(shape),
                        ox.NamedNode(FILES_GRAPH),
                    )
                )

    def _load_external(self, folder: Path) -> None:
        """Each vendored vocabulary named in the catalog goes into the catalog entry's graph."""
        query = """SELECT ?vocab ?file WHERE { GRAPH <urn:kg:catalog> {
            ?vocab <urn:kg:file> ?file } }"""
        for row in self.store.query(query):
            vocab, file = row["vocab"].value, row["file"].value
            path = folder / file
            fmt = ox.RdfFormat.N_QUADS if file.endswith(".nq") else ox.RdfFormat.TURTLE
            graph = ox.NamedNode(vocab)
            self.store.extend(  # one transaction per vocabulary, not one per triple
                ox.Quad(quad.subject, quad.predicate, quad.object, graph)
                for quad in ox.parse(path=str(path), format=fmt)
            )
            self.store.add(
                ox.Quad(
                    graph, ox.NamedNode(KIND), ox.Literal("external"), ox.NamedNode(FILES_GRAPH)
                )
            )


def ox_to_uri(iri: str) -> URIRef:
    """The Locator speaks rdflib; lint speaks pyoxigraph."""
    return URIRef(iri)


def short(iri: str) -> str:
    """``dk:Term`` rather than the full IRI: what an editor typed in the file."""
    for prefix, namespace in sorted(_SHORT.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def lint(
    root: Path, rules: list[Rule] | None = None, directory: Path | None = None
) -> list[LintProblem]:
    """Run every rule over the project at ``root``; an empty list means the model is clean.
    ``directory`` (a folder that does not exist yet) keeps the inputs' store on disk there."""
    inputs = Inputs(root, directory)
    if inputs.syntax:  # the other rules would report the consequences, not the cause
        return inputs.syntax
    problems: list[LintProblem] = []
    locators: dict[str, Locator] = {}
    # every file's text, read only if a problem is not found in its own graph's file
    every = LazyLocator([f for g, f in inputs.files.items() if not g.startswith("urn:kg:release")])
    index = TermIndex(inputs.store)
    for rule in rules if rules is not None else load_rules():
        for row in inputs.store.query(rule.query, use_default_graph_as_union=False):
            problem = _problem(rule, row, inputs, locators, every)
            value = _get(row, "value")
            if rule.name in SUGGESTING and isinstance(value, ox.NamedNode):
                meant = index.suggest(value.value)
                problem = replace(problem, hint=short(meant) if meant else "")
            problems.append(problem)
    # ties broken by every field: a set's order changes from one run to the next
    problems = sorted(
        set(problems), key=lambda p: (p.file, p.line, p.rule, p.focus, p.value, astuple(p))
    )
    return problems


def _get(row, name: str):
    """A variable of a result row, or None when the rule does not select it."""
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


def _problem(rule: Rule, row, inputs: Inputs, locators: dict[str, Locator], every: LazyLocator):
    focus, value = _get(row, "focus"), _get(row, "value")
    graph, detail = _get(row, "graph"), _get(row, "detail")
    target = value if isinstance(value, ox.NamedNode) else focus
    locator = every
    if isinstance(graph, ox.NamedNode) and graph.value in inputs.files:
        locator = locators.setdefault(graph.value, Locator([inputs.files[graph.value]]))
    location = locator.find(ox_to_uri(target.value)) if isinstance(target, ox.NamedNode) else None
    if location is None and isinstance(focus, ox.NamedNode):
        location = locator.find(ox_to_uri(focus.value)) or every.find(ox_to_uri(focus.value))
    if location is None and isinstance(graph, ox.NamedNode) and graph.value in inputs.files:
        file, line = inputs.files[graph.value].relative, 0
    else:
        file, line = (location.path, location.line) if location else ("", 0)
    return LintProblem(
        rule=rule.name,
        message=rule.message,
        focus=_term(focus),
        label=_label(inputs.store, focus),
        value=_term(value),
        detail=detail.value if detail is not None else "",
        file=file,
        line=line,
    )


def _term(node) -> str:
    if node is None:
        return ""
    if isinstance(node, ox.NamedNode):
        return short(node.value)
    if isinstance(node, ox.Literal):
        return node.value
    return "[]"


def _label(store: ox.Store, node) -> str:
    if not isinstance(node, ox.NamedNode):
        return ""
    labels = {}
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    query = f"SELECT ?l WHERE {{ GRAPH ?g {{ <{node.value}> {label} ?l }} }}"
    # the least label of each language: the same whichever order the store returns them in
    # (an in-memory store and one on disk do not return them in the same order)
    for value, language in sorted(
        (row["l"].value, row["l"].language or "") for row in store.query(query)
    ):
        labels.setdefault(language, value)
    return labels.get("sv") or labels.get("en") or next(iter(labels.values()), "")
