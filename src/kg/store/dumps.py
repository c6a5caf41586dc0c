"""The build's downloadable dumps: written once by the build beside its artifact, read by the
server from there.

Writing a dump serialises the whole graph. In a web worker that cost 4 s of CPU for this
project and 36 s and a third of a gigabyte for a 150,000-quad one, once per worker, outside
the query limits, for whoever asked first; a 10-million-triple build would not fit in memory
at all. So the build writes them, and the server only sends files.

Every dump is the same bytes in every process and on every rebuild of the same inputs, so
the published checksums hold (:mod:`kg.store.rdf_text`; gzip without a timestamp). The
N-Quads dump is the artifact itself, gzipped as it is streamed. TriG, Turtle and JSON-LD hold
the whole graph in memory to write it, so they are written only for graphs of at most
:data:`PRETTY_MAX_QUADS` quads.

Each build's dumps are in a directory named after its version, so that a server not yet
reloaded still finds the files of the version it serves.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.namespaces import PREFIXES
from kg.store import rdf_text
from kg.store.base import Term

#: The largest graph (quads in all named graphs) whose dumps are also written in TriG, Turtle
#: and JSON-LD: rdflib holds the whole graph to write them (measured: 36 s of CPU and about
#: 320 MiB for 150,000 quads).
PRETTY_MAX_QUADS = 200_000
DIRECTORY_PREFIX = "downloads-"
CHECKSUMS = "SHA256SUMS"

_Graphs = dict[str, Graph]


@dataclass(frozen=True)
class Kind:
    """A dump as the catalogue and the pages describe it."""

    suffix: str
    media_type: str
    title_sv: str
    title_en: str
    #: EU file-type authority code, for dcterms:format in the catalog.
    file_type: str

    def name(self, version: str) -> str:
        return f"digikommun-{version}{self.suffix}"


TRIG = Kind(
    ".trig",
    "application/trig",
    "Hela datamängden, med namngivna grafer (TriG)",
    "The whole dataset, with named graphs (TriG)",
    "RDF_TRIG",
)
NQUADS = Kind(
    ".nq.gz",
    "application/gzip",
    "Hela datamängden, med namngivna grafer (N-Quads, gzip)",
    "The whole dataset, with named graphs (N-Quads, gzip)",
    "RDF_N_QUADS",
)
DEFAULT_TURTLE = Kind(
    "-default.ttl",
    "text/turtle",
    "Standardgrafen: påstådda och härledda tripler (Turtle)",
    "The default graph: asserted and inferred triples (Turtle)",
    "RDF_TURTLE",
)
JSONLD = Kind(
    ".jsonld",
    "application/ld+json",
    "Hela datamängden, med namngivna grafer (JSON-LD)",
    "The whole dataset, with named graphs (JSON-LD)",
    "JSON_LD",
)
KINDS = (TRIG, NQUADS, DEFAULT_TURTLE, JSONLD)


@dataclass(frozen=True)
class Dump:
    """One written dump: what it is, where it lies, and what its bytes are."""

    kind: Kind
    path: Path
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def directory_name(version: str) -> str:
    return DIRECTORY_PREFIX + version


def written(build_dir: Path, version: str) -> list[Dump]:
    """The dumps the build of ``version`` wrote, in the order of :data:`KINDS`; none when that
    build wrote none (an older build, or a directory removed by hand)."""
    folder = build_dir / directory_name(version)
    try:
        lines = (folder / CHECKSUMS).read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    sums = dict(reversed(line.split("  ", 1)) for line in lines if "  " in line)
    found = []
    for kind in KINDS:
        path = folder / kind.name(version)
        if kind.name(version) in sums and path.is_file():
            found.append(Dump(kind, path, path.stat().st_size, sums[kind.name(version)]))
    return found


def write(artifact: Path, folder: Path, version: str, quads: int) -> None:
    """Write the dumps of ``artifact`` (the build's N-Quads) and their ``SHA256SUMS`` into
    ``folder``, which must not exist yet."""
    folder.mkdir()
    makers: list[tuple[Kind, Callable[[], bytes]]] = []
    if quads <= PRETTY_MAX_QUADS:
        graphs = _graphs(artifact)
        makers = [
            (TRIG, lambda: rdf_text.serialise_graphs(graphs, rdf_text.TRIG).encode()),
            (DEFAULT_TURTLE, lambda: rdf_text.serialise(_union(graphs), rdf_text.TURTLE).encode()),
            (JSONLD, lambda: _jsonld(graphs).encode()),
        ]
    sums = {NQUADS: _gzip_stream(artifact, folder / NQUADS.name(version))}
    for kind, make in makers:
        body = make()
        (folder / kind.name(version)).write_bytes(body)
        sums[kind] = f"{hashlib.sha256(body).hexdigest()}  {kind.name(version)}\n"
    lines = [sums[kind] for kind in KINDS if kind in sums]
    (folder / CHECKSUMS).write_text("".join(lines), encoding="ascii")


def _gzip_stream(artifact: Path, target: Path) -> str:
    """``artifact`` gzipped into ``target`` a block at a time; its ``SHA256SUMS`` line."""
    with (
        artifact.open("rb") as source,
        target.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0) as packed,
    ):
        shutil.copyfileobj(source, packed, 1 << 20)
    with target.open("rb") as packed_file:
        digest = hashlib.file_digest(packed_file, "sha256")
    return f"{digest.hexdigest()}  {target.name}\n"


def _term(value: object):
    """The rdflib term the server's pages would make of this Oxigraph term."""
    if isinstance(value, ox.NamedNode):
        return Term("uri", value.value).to_rdflib()
    if isinstance(value, ox.BlankNode):
        return Term("bnode", value.value).to_rdflib()
    if value.language:
        return Term("literal", value.value, lang=value.language).to_rdflib()
    return Term("literal", value.value, datatype=value.datatype.value).to_rdflib()


def _graphs(artifact: Path) -> _Graphs:
    """Every named graph of the artifact, in the order of their names."""
    graphs: _Graphs = {}
    for quad in ox.parse(path=str(artifact), format=ox.RdfFormat.N_QUADS):
        name = quad.graph_name.value
        graph = graphs.get(name)
        if graph is None:
            graph = graphs[name] = rdf_text.new_graph()
        graph.add((_term(quad.subject), _term(quad.predicate), _term(quad.object)))
    return dict(sorted(graphs.items()))


def _jsonld(graphs: _Graphs) -> str:
    named = []
    for name, graph in graphs.items():
        doc = json.loads(graph.serialize(format=rdf_text.JSONLD, auto_compact=False))
        named.append({"@id": name, "@graph": doc})
    return rdf_text.canonical_json({"@context": dict(PREFIXES), "@graph": named}, indent=1)


def _union(graphs: _Graphs) -> Graph:
    """The default graph: every named graph's triples, each once."""
    union = rdf_text.new_graph()
    for graph in graphs.values():
        for triple in graph:
            union.add(triple)
    return union
