"""Run the whole pipeline and write one artifact plus its manifest, atomically.

Same inputs give byte-identical outputs: quads are written sorted, the manifest holds no clock
time, and the dataset version is a hash of the inputs. A failed build raises before anything is
written, and files are replaced by rename, so the last good artifact always survives.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral

from kg.namespaces import INFERRED_GRAPH
from kg.pipeline.errors import NonConformingDataError
from kg.pipeline.load import discover, load_dataset, load_shapes
from kg.pipeline.locate import Locator
from kg.pipeline.quotes import check_quotes
from kg.pipeline.reason import reason
from kg.pipeline.validate import ValidationReport, union_graph, validate

ARTIFACT_NAME = "kg.nq"
MANIFEST_NAME = "manifest.json"
TOOLS = ("rdflib", "pyshacl", "owlrl", "pyoxigraph")


@dataclass
class BuildResult:
    version: str
    artifact: Path
    manifest: dict
    report: ValidationReport
    skipped: bool = False
    warnings: list[str] = field(default_factory=list)


def input_version(root: Path) -> tuple[str, dict[str, str]]:
    """The dataset version: a hash over every input file's path and content."""
    files = discover(root) + discover(root, ("shapes/*.ttl", "data/sources/*.txt"))
    hashes = {f.relative: f.sha256 for f in files}
    digest = hashlib.sha256()
    for relative in sorted(hashes):
        digest.update(f"{relative}\0{hashes[relative]}\n".encode())
    return digest.hexdigest()[:16], hashes


def is_up_to_date(root: Path, build_dir: Path) -> bool:
    manifest = build_dir / MANIFEST_NAME
    if not manifest.is_file() or not (build_dir / ARTIFACT_NAME).is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return False
    return recorded == input_version(root)[0]


def check(root: Path) -> tuple[Dataset, Graph, ValidationReport]:
    """Load and validate without writing anything: the core of ``kg validate``."""
    files = discover(root)
    dataset = load_dataset(files)
    union = union_graph(dataset)
    report = validate(union, load_shapes(root), Locator(files))
    return dataset, union, report


def build(root: Path, build_dir: Path, force: bool = False, reasoner: str = "owlrl") -> BuildResult:
    """``reasoner`` is ``owlrl`` (the reference) or ``fast`` (kg.pipeline.materialise): both
    give the same inferred graph on our ontology, so the artifact does not depend on it."""
    version_id, hashes = input_version(root)
    if not force and is_up_to_date(root, build_dir):
        manifest = json.loads((build_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        return BuildResult(
            version_id, build_dir / ARTIFACT_NAME, manifest, ValidationReport(()), skipped=True
        )
    dataset, union, report = check(root)
    if not report.conforms:
        raise NonConformingDataError(
            f"{len(report.violations)} SHACL violation(s); nothing was written:\n  "
            + "\n  ".join(str(p) for p in report.violations)
        )
    quote_problems = check_quotes(union, root)
    if quote_problems:
        raise NonConformingDataError(
            f"{len(quote_problems)} quote(s) do not match their source text; nothing was written:"
            "\n  " + "\n  ".join(str(p) for p in quote_problems)
        )
    if reasoner == "fast":
        from kg.pipeline.materialise import materialise

        inferred = materialise(union)
    else:
        inferred = reason(union)
    target = dataset.graph(URIRef(INFERRED_GRAPH))
    for triple in inferred:
        target.add(triple)
    lines = serialise_nquads(dataset)
    counts = graph_counts(dataset)
    manifest = {
        "version": version_id,
        "artifact": ARTIFACT_NAME,
        "artifact_sha256": hashlib.sha256("".join(lines).encode()).hexdigest(),
        "inputs": hashes,
        "graphs": counts,
        "triples": {
            "asserted": sum(n for g, n in counts.items() if g != str(INFERRED_GRAPH)),
            "inferred": counts.get(str(INFERRED_GRAPH), 0),
        },
        "validation": {
            "conforms": True,
            **report.summary(),
            "warning_messages": sorted({p.message for p in report.warnings}),
        },
        "tools": {name: version(name) for name in TOOLS},
    }
    write_atomically(
        build_dir,
        {
            ARTIFACT_NAME: "".join(lines),
            MANIFEST_NAME: json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False)
            + "\n",
        },
    )
    return BuildResult(version_id, build_dir / ARTIFACT_NAME, manifest, report)


def serialise_nquads(dataset: Dataset) -> list[str]:
    """N-Quads, one line per quad, sorted so that the bytes depend only on the content."""
    lines = []
    for context in dataset.graphs():
        name = context.identifier.n3()
        for s, p, o in context:
            lines.append(f"{s.n3()} {p.n3()} {_literal_nt(o)} {name} .\n")
    lines.sort()
    return lines


def _literal_nt(term: object) -> str:
    """N-Triples form of an object; literals use rdflib's N-Triples escaping, not Turtle's."""
    if isinstance(term, Literal):
        return _quoteLiteral(term)
    return term.n3()  # type: ignore[attr-defined]


def graph_counts(dataset: Dataset) -> dict[str, int]:
    return {
        str(c.identifier): len(c)
        for c in sorted(dataset.graphs(), key=lambda c: str(c.identifier))
        if len(c)
    }


def write_atomically(directory: Path, files: dict[str, str]) -> None:
    """Write every file to a temporary name first; only then rename them into place."""
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, content in files.items():
            handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(content)
            staged.append((name, Path(temp)))
        for name, temp in staged:  # the manifest is last: readers trust the artifact it names
            temp.replace(directory / name)
    finally:
        for _, temp in staged:
            temp.unlink(missing_ok=True)
