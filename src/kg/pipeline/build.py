"""Run the whole pipeline and write one artifact plus its manifest, atomically.

Same inputs give byte-identical outputs: quads are written sorted, the manifest holds no clock
time, and the dataset version is a hash of the inputs. A failed build raises before anything is
written, and files are replaced by rename, so the last good artifact always survives.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral

from kg.namespaces import INFERRED_GRAPH
from kg.pipeline.diagram import ontology_graph, render_all
from kg.pipeline.errors import NonConformingDataError, PipelineError
from kg.pipeline.load import Triple, discover, load_shapes, load_union
from kg.pipeline.locate import Locator
from kg.pipeline.materialise import UnsupportedByFastReasonerError, materialise_store
from kg.pipeline.quality import QUALITY_FILES, write_quality_report
from kg.pipeline.quotes import check_quotes
from kg.pipeline.reason import reason
from kg.pipeline.search_index import SCHEMA_VERSION as SEARCH_SCHEMA
from kg.pipeline.search_index import SEARCH_INDEX_NAME, add_search_index
from kg.pipeline.validate import ValidationReport, validate
from kg.store import dumps
from kg.store.base import STORE_PREFIX, store_dir_name

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
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        store = build_dir / store_dir_name(recorded)
    except (OSError, ValueError, KeyError):
        return False
    if not (build_dir / SEARCH_INDEX_NAME).is_file():  # a build from before the index existed
        return False
    if recorded.get("search_index", {}).get("schema") != SEARCH_SCHEMA:  # an older index
        return False
    pictures = all((build_dir / name).is_file() for name in recorded.get("pictures", {"-": ""}))
    pictures = pictures and all((build_dir / name).is_file() for name in QUALITY_FILES)
    downloads = build_dir / dumps.directory_name(recorded.get("version", "")) / dumps.CHECKSUMS
    current = recorded.get("version") == input_version(root)[0]
    return downloads.is_file() and store.is_dir() and pictures and current


def check(root: Path) -> tuple[dict[str, set[str]], Graph, ValidationReport]:
    """Load and validate without writing anything: the core of ``kg validate``. Returns each
    input graph's N-Quads lines under its name, the union of all inputs, and the report."""
    checked = _check(root)
    return checked.lines, checked.union, checked.report


@dataclass
class _Checked:
    #: Each input's graph as the set of its N-Quads lines, under the graph's name.
    lines: dict[str, set[str]]
    union: Graph
    #: Every asserted triple once, in pyoxigraph: SPARQL targets and the fast reasoner use it.
    store: ox.Store
    report: ValidationReport


def _check(root: Path, phase: Callable[[str], None] = lambda name: None) -> _Checked:
    files = discover(root)
    union, graphs = load_union(files)
    phase("load (rdflib)")
    lines = {str(name): _nquads(graphs.pop(name), name) for name in list(graphs)}
    phase("N-Quads lines")
    store = ox.Store()
    for graph in lines.values():  # graph by graph: never all of N-Triples in memory at once
        store.bulk_load(
            _without_graph_names("".join(graph).encode("utf-8")), format=ox.RdfFormat.N_TRIPLES
        )
    phase("working store (pyoxigraph)")
    report = validate(union, load_shapes(root), Locator(files), store=store)
    phase("validate (pyshacl)")
    return _Checked(lines, union, store, report)


def _phases(report: Callable[[str], None] | None) -> Callable[[str], None]:
    """A callback that reports each phase's seconds and the peak resident memory so far."""
    if report is None:
        return lambda name: None
    import resource
    import time

    last = [time.monotonic()]

    def phase(name: str) -> None:
        now = time.monotonic()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        report(f"{name}: {now - last[0]:.1f} s (RSS {_rss_mib()}, peak so far {peak:.0f} MiB)")
        last[0] = now

    return phase


def _rss_mib() -> str:
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return "?"
    return f"{kib // 1024} MiB"


#: Inputs larger than this (bytes of Turtle, about 300,000 triples) are built by the streaming
#: build when the mode is ``auto``.
STREAM_ABOVE_BYTES = 32 * 1024 * 1024


def streams(root: Path, mode: str) -> bool:
    """Whether ``mode`` (``memory``, ``stream`` or ``auto``) builds ``root`` streaming."""
    if mode not in ("memory", "stream", "auto"):
        raise PipelineError(f"build mode {mode!r} is not one of memory, stream, auto")
    if mode != "auto":
        return mode == "stream"
    return sum(f.path.stat().st_size for f in discover(root)) > STREAM_ABOVE_BYTES


def build(
    root: Path,
    build_dir: Path,
    force: bool = False,
    reasoner: str = "owlrl",
    timings: Callable[[str], None] | None = None,
    mode: str = "memory",
) -> BuildResult:
    """``reasoner`` is ``owlrl`` (the reference) or ``fast`` (kg.pipeline.materialise): both
    give the same inferred graph on our ontology, so the artifact does not depend on it.
    ``timings``, when given, receives one line per phase (seconds, peak memory). ``mode``
    ``stream`` (or ``auto`` on large inputs) builds with :mod:`kg.pipeline.stream`, whose
    memory does not grow with the graph; it always reasons with the fast materialiser."""
    phase = _phases(timings)
    version_id, hashes = input_version(root)
    if not force and is_up_to_date(root, build_dir):
        manifest = json.loads((build_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        return BuildResult(
            version_id, build_dir / ARTIFACT_NAME, manifest, ValidationReport(()), skipped=True
        )
    if streams(root, mode):
        return _build_streaming(root, build_dir, version_id, hashes, phase)
    checked = _check(root, phase)
    report = checked.report
    if not report.conforms:
        raise NonConformingDataError(
            f"{len(report.violations)} SHACL violation(s); nothing was written:\n  "
            + "\n  ".join(str(p) for p in report.violations)
        )
    quote_problems = check_quotes(checked.union, root)
    if quote_problems:
        raise NonConformingDataError(
            f"{len(quote_problems)} quote(s) do not match their source text; nothing was written:"
            "\n  " + "\n  ".join(str(p) for p in quote_problems)
        )
    phase("quotes")
    lint_problems = _lint(root)
    phase("lint (for the quality report)")
    pictures = render_all(ontology_graph(checked.union))
    phase("ontology diagram")
    lines = checked.lines
    if reasoner == "fast":
        del checked.union  # the largest thing held; the fast reasoner works on the store
        inferred: Iterable[Triple] = materialise_store(checked.store)
    else:
        inferred = reason(checked.union)
    lines[str(INFERRED_GRAPH)] = _nquads(inferred, URIRef(INFERRED_GRAPH))
    phase(f"reason ({reasoner})")
    del checked
    counts = {name: len(lines[name]) for name in sorted(lines) if lines[name]}
    ordered = sorted(line for graph in lines.values() for line in graph)
    del lines
    phase("sort")
    manifest = _manifest(version_id, hashes, _sha256_of_lines(ordered), counts, report, pictures)
    write_build(build_dir, ordered, manifest, phase, pictures, (report.problems, lint_problems))
    phase("write")
    return BuildResult(version_id, build_dir / ARTIFACT_NAME, manifest, report)


def _manifest(
    version_id: str,
    hashes: dict[str, str],
    artifact_sha256: str,
    counts: dict[str, int],
    report: ValidationReport,
    pictures: dict[str, str],
) -> dict:
    """The manifest, the same for both builds (the quality report and index are added later)."""
    return {
        "version": version_id,
        "artifact": ARTIFACT_NAME,
        "artifact_sha256": artifact_sha256,
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
        "pictures": {
            name: hashlib.sha256(svg.encode("utf-8")).hexdigest() for name, svg in pictures.items()
        },
    }


def _fail_on(report: ValidationReport, quote_problems: list) -> None:
    if not report.conforms:
        raise NonConformingDataError(
            f"{len(report.violations)} SHACL violation(s); nothing was written:\n  "
            + "\n  ".join(str(p) for p in report.violations)
        )
    if quote_problems:
        raise NonConformingDataError(
            f"{len(quote_problems)} quote(s) do not match their source text; nothing was written:"
            "\n  " + "\n  ".join(str(p) for p in quote_problems)
        )


def _build_streaming(
    root: Path,
    build_dir: Path,
    version_id: str,
    hashes: dict[str, str],
    phase: Callable[[str], None],
) -> BuildResult:
    """The streaming build (:mod:`kg.pipeline.stream`): the same artifact and manifest as the
    in-memory build, with memory bounded by a batch of files instead of the whole graph."""
    from kg.pipeline import stream
    from kg.pipeline.background import Background

    build_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=build_dir, prefix=".stream-", suffix=".tmp"))
    # lint reads the input files itself: it runs beside loading and validation
    linting = Background(stream.lint_on_disk, str(root), str(workdir / "lint-store"))
    reasoning = None
    try:
        streamed = stream.stream_check(root, workdir, phase)
        reasoning = streamed.reasoning
        report = streamed.report
        _fail_on(report, streamed.quote_problems)
        del streamed.store  # closes the working store
        lint_problems = linting.result()
        phase(
            "lint (for the quality report, in a process of its own since the start, "
            f"{linting.cpu_seconds:.0f} s CPU there)"
        )
        pictures = render_all(ontology_graph(streamed.ontology))
        phase("ontology diagram")
        try:
            assert reasoning is not None and streamed.inferred is not None
            reasoning.result()
        except UnsupportedByFastReasonerError as err:
            raise UnsupportedByFastReasonerError(
                f"{err}; the streaming build reasons only with the fast materialiser, so build "
                "this project with KG_BUILD_MODE=memory KG_REASONER=owlrl"
            ) from None
        phase(
            "reason (fast, on a backup of the on-disk store, in a process of its own, "
            f"{reasoning.cpu_seconds:.0f} s CPU there)"
        )
        ordered = workdir / ARTIFACT_NAME
        stream.sort_unique([streamed.unsorted, streamed.inferred], ordered, workdir)
        streamed.unsorted.unlink()
        streamed.inferred.unlink()
        sha256, graph_counts = stream.summarise(ordered)
        counts = {name: graph_counts[name] for name in sorted(graph_counts)}
        phase("sort (GNU sort, on disk)")
        manifest = _manifest(version_id, hashes, sha256, counts, report, pictures)
        write_build(
            build_dir, [], manifest, phase, pictures, (report.problems, lint_problems), ordered
        )
        phase("write")
    finally:
        linting.stop()
        if reasoning is not None:
            reasoning.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return BuildResult(version_id, build_dir / ARTIFACT_NAME, manifest, report)


def _lint(root: Path) -> list:
    """The house rules' findings, for the quality report (advice: they never stop a build)."""
    from kg.pipeline.lint import (
        lint,  # lint reads the inputs itself; imported here, where it is used
    )

    return lint(root)


def _nquads(triples: Iterable[Triple], graph: URIRef) -> set[str]:
    """N-Quads lines of one graph, each triple once."""
    name = graph.n3()
    return {f"{_triple_nt(triple)} {name} .\n" for triple in triples}


def _triple_nt(triple: Triple) -> str:
    s, p, o = triple
    return f"{s.n3()} {p.n3()} {_literal_nt(o)}"


def _literal_nt(term: object) -> str:
    """N-Triples form of an object; literals use rdflib's N-Triples escaping, not Turtle's."""
    if isinstance(term, Literal):
        return _quoteLiteral(term)
    return term.n3()  # type: ignore[attr-defined]


def _sha256_of_lines(lines: list[str]) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(lines):
        digest.update(chunk)
    return digest.hexdigest()


def _chunks(lines: list[str], size: int = 8192) -> Iterator[bytes]:
    """The lines as UTF-8, a few thousand at a time (never the whole file in memory)."""
    for start in range(0, len(lines), size):
        yield "".join(lines[start : start + size]).encode("utf-8")


#: Lines of kg.nq per bulk load into the on-disk store.
STORE_BATCH_LINES = 250_000


def write_build(
    build_dir: Path,
    lines: list[str],
    manifest: dict,
    phase: Callable[[str], None] = lambda name: None,
    pictures: dict[str, str] | None = None,
    quality: tuple[Iterable[object], Iterable[object]] | None = None,
    written: Path | None = None,
) -> None:
    """Write the artifact, its on-disk store, the pictures drawn from the ontology (file name
    → SVG) and the manifest; nothing is visible before all are complete, and the manifest
    (which names the others) is renamed last. ``quality`` (the SHACL results and the lint
    problems) adds the quality report, computed over the new store (``kg.pipeline.quality``).
    ``lines`` (the artifact's sorted lines) is emptied once they are written; ``written``,
    when given, is the artifact already written (the streaming build's), moved in instead.

    The store holds every named graph plus their set union as its default graph, which is what
    the server answers from: it opens in milliseconds, whatever the size, with no copying.
    Stores of older builds are removed, except the one the previous manifest named, which a
    server that has not been reloaded yet may still be reading.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    previous = _recorded_store(build_dir)
    previous_dumps = _recorded_dumps(build_dir)
    staging = Path(tempfile.mkdtemp(dir=build_dir, prefix=".staging-", suffix=".tmp"))
    try:
        artifact = staging / ARTIFACT_NAME
        if written is not None:
            shutil.move(written, artifact)
        with artifact.open("ab") as out:
            for chunk in _chunks(lines):
                out.write(chunk)
        lines.clear()  # the caller's list: the store is loaded from the file, not from memory
        phase("write kg.nq")
        downloads = staging / dumps.directory_name(manifest["version"])
        dumps.write(artifact, downloads, manifest["version"], sum(manifest["graphs"].values()))
        phase("dumps")
        store_dir = staging / "store"
        store = ox.Store(str(store_dir))
        # A few hundred thousand lines per bulk load: one load of everything would hold
        # gigabytes of sort buffers at a million triples (measured), for a few seconds less.
        with artifact.open("rb") as quads:
            while batch := list(islice(quads, STORE_BATCH_LINES)):
                data = b"".join(batch)
                store.bulk_load(data + _without_graph_names(data), format=ox.RdfFormat.N_QUADS)
        store.optimize()
        store.flush()
        phase("on-disk store (Oxigraph bulk load)")
        add_search_index(store, staging, manifest)  # the search box's and /reconcile's index
        phase("search index (SQLite FTS5)")
        if quality is not None:
            manifest["quality"] = write_quality_report(
                store, staging, manifest["version"], *quality
            )
            phase("quality report")
        del store  # closes the database before it is moved
        for name, svg in (pictures or {}).items():
            (staging / name).write_text(svg, encoding="utf-8")
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        target = build_dir / store_dir_name(manifest)
        if target.is_dir():  # the same artifact was built before: its store is the same
            shutil.rmtree(store_dir)
        else:
            store_dir.rename(target)
        _replace_dir(downloads, build_dir / downloads.name)
        reports = QUALITY_FILES if quality is not None else ()
        for name in (ARTIFACT_NAME, SEARCH_INDEX_NAME, *(pictures or {}), *reports, MANIFEST_NAME):
            (staging / name).replace(build_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    keep = {store_dir_name(manifest), previous}
    for old in build_dir.glob(STORE_PREFIX + "*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    keep = {dumps.directory_name(manifest["version"]), previous_dumps}
    for old in build_dir.glob(dumps.DIRECTORY_PREFIX + "*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _replace_dir(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; a directory already there (the same version built again,
    perhaps by newer code) is moved aside first, so files a server has open stay readable."""
    if target.is_dir():
        aside = target.with_name(f".{target.name}.old")
        shutil.rmtree(aside, ignore_errors=True)
        target.rename(aside)
        new.rename(target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        new.rename(target)


def _without_graph_names(chunk: bytes) -> bytes:
    """The same lines as triples of the default graph: a graph name is an IRI, so it is the
    last word but one of its line."""
    return b"".join(line.rsplit(b" ", 2)[0] + b" .\n" for line in chunk.splitlines() if line)


def _recorded_dumps(build_dir: Path) -> str | None:
    return _recorded(build_dir, lambda manifest: dumps.directory_name(manifest["version"]))


def _recorded_store(build_dir: Path) -> str | None:
    return _recorded(build_dir, store_dir_name)


def _recorded(build_dir: Path, name: Callable[[dict], str]) -> str | None:
    """The ``name`` of a directory of the build the current manifest describes, if any."""
    try:
        return name(json.loads((build_dir / MANIFEST_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return None
