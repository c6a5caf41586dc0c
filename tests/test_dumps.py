"""The dumps the build writes beside its artifact (kg.store.dumps), which the server only sends:
writing them in a web worker cost seconds of CPU per worker, and a large build's would not fit
in its memory."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD

from kg.settings import Settings
from kg.store import dumps
from kg.store.base import read_manifest

EDITION = URIRef("https://w3id.org/digikommun/id/edition/2019")
NUMBER = URIRef("https://w3id.org/digikommun/ontology#editionNumber")


def version_of(settings: Settings) -> str:
    return read_manifest(settings.manifest)["version"]


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_build_writes_every_dump_with_its_checksum(built: Settings) -> None:
    version = version_of(built)
    written = dumps.written(built.build_dir, version)
    assert [d.kind for d in written] == list(dumps.KINDS)
    for dump in written:
        body = dump.path.read_bytes()
        assert dump.sha256 == hashlib.sha256(body).hexdigest(), dump.name
        assert dump.size == len(body) > 0
        assert dump.name == f"digikommun-{version}{dump.kind.suffix}"


def test_the_dumps_are_the_same_bytes_every_time(built: Settings, tmp_path: Path) -> None:
    version, quads = version_of(built), sum(read_manifest(built.manifest)["graphs"].values())
    for n in (1, 2):
        dumps.write(built.artifact, tmp_path / str(n), version, quads)
    assert files(tmp_path / "1") == files(tmp_path / "2")
    assert files(tmp_path / "1") == files(built.build_dir / dumps.directory_name(version))


def test_the_dumps_keep_the_terms_as_the_artifact_writes_them(built: Settings) -> None:
    """From the artifact, not from a store: Oxigraph's store would give the edition number,
    an xsd:positiveInteger, as an xsd:integer."""
    version = version_of(built)
    [trig] = [d for d in dumps.written(built.build_dir, version) if d.kind is dumps.TRIG]
    data = Dataset().parse(data=trig.path.read_bytes(), format="trig")
    numbers = {o for _, _, o, _ in data.quads((EDITION, NUMBER, None, None))}
    assert numbers == {Literal("10", datatype=XSD.positiveInteger)}


def test_a_large_build_offers_its_artifact_gzipped(built: Settings, tmp_path, monkeypatch) -> None:
    """Above PRETTY_MAX_QUADS the build writes no rdflib serialisation (they hold the whole
    graph): the N-Quads dump is the artifact itself, compressed as it is read."""
    monkeypatch.setattr(dumps, "PRETTY_MAX_QUADS", 100)
    version = version_of(built)
    folder = tmp_path / dumps.directory_name(version)
    dumps.write(built.artifact, folder, version, quads=101)
    [dump] = dumps.written(tmp_path, version)
    assert dump.kind is dumps.NQUADS
    packed = dump.path.read_bytes()
    assert gzip.decompress(packed) == built.artifact.read_bytes()
    assert dump.sha256 == hashlib.sha256(packed).hexdigest()
    assert packed[4:8] == b"\0\0\0\0"  # no time stamp: the same bytes on every build


def test_a_build_without_its_dumps_is_built_again(tmp_path: Path) -> None:
    from kg.pipeline.build import is_up_to_date
    from tests.conftest import copy_project, quick_build

    root = copy_project(tmp_path / "project")
    out = tmp_path / "build"
    quick_build(root, out)
    version = read_manifest(out / "manifest.json")["version"]
    assert is_up_to_date(root, out)
    shutil.rmtree(out / dumps.directory_name(version))
    assert not is_up_to_date(root, out)
    quick_build(root, out)
    assert len(dumps.written(out, version)) == len(dumps.KINDS)


def test_every_dump_reads_back_as_the_artifact(built: Settings) -> None:
    """Each dump parsed by another parser (Oxigraph's) holds exactly the artifact's quads (the
    Turtle dump its triples). The TriG dump once declared ``ns1`` twice, for two namespaces
    named in two graphs, so one graph's terms read back in the other's namespace."""
    import pyoxigraph as ox

    formats = {
        dumps.TRIG: ox.RdfFormat.TRIG,
        dumps.NQUADS: ox.RdfFormat.N_QUADS,
        dumps.JSONLD: ox.RdfFormat.JSON_LD,
        dumps.DEFAULT_TURTLE: ox.RdfFormat.TURTLE,
    }
    artifact = set(ox.parse(built.artifact.read_bytes(), format=ox.RdfFormat.N_QUADS))
    triples = {q.triple for q in artifact}
    read = {}
    for dump in dumps.written(built.build_dir, version_of(built)):
        body = dump.path.read_bytes()
        if dump.kind is dumps.NQUADS:
            body = gzip.decompress(body)
        read[dump.kind] = set(ox.parse(body, format=formats[dump.kind]))
    assert {q.triple for q in read.pop(dumps.DEFAULT_TURTLE)} == triples
    assert read == {kind: artifact for kind in (dumps.TRIG, dumps.NQUADS, dumps.JSONLD)}
