"""The on-disk Oxigraph store that ``kg build`` writes beside the artifact, and how the embedded
engine serves from it: named graphs as in kg.nq, their set union as the default graph, opened
read-only with nothing copied, reopened in forked query processes, replaced atomically."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.pipeline.errors import InputSyntaxError
from kg.settings import Settings
from kg.store import dumps, open_engine
from kg.store.base import read_manifest, store_dir_name
from kg.store.embedded import EmbeddedEngine
from tests.conftest import copy_project, quick_build

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory``, recursively, by relative path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def store_of(settings: Settings) -> Path:
    return settings.build_dir / store_dir_name(read_manifest(settings.manifest))


def artifact_quads(artifact: Path) -> list[ox.Quad]:
    """The artifact's quads as Oxigraph holds them (it stores, e.g., an xsd:positiveInteger
    literal as xsd:integer, in memory and on disk alike)."""
    store = ox.Store()
    store.bulk_load(path=str(artifact), format=ox.RdfFormat.N_QUADS)
    return list(store)


def test_the_build_writes_a_store_named_after_its_artifact(built: Settings) -> None:
    manifest = read_manifest(built.manifest)
    store = store_of(built)
    assert store.name == "oxigraph-" + manifest["artifact_sha256"][:16]
    assert (store / "CURRENT").is_file()
    assert not list(built.build_dir.glob(".staging-*")), "no staging left behind"


def test_the_store_holds_the_named_graphs_and_their_set_union(built: Settings) -> None:
    quads = artifact_quads(built.artifact)
    distinct = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    assert len(distinct) < len(quads), "the real data state some triples in two graphs"
    store = ox.Store.read_only(str(store_of(built)))
    named = set(store.quads_for_pattern(None, None, None, None))
    in_graphs = {q for q in named if isinstance(q.graph_name, ox.NamedNode)}
    assert in_graphs == set(quads)
    default = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    }
    assert default == distinct  # each triple once, however many graphs state it
    (count,) = store.query(COUNT)
    assert int(count["n"].value) == len(distinct)


def test_a_large_artifact_is_opened_on_disk_without_copying(built: Settings) -> None:
    disk = EmbeddedEngine.from_artifact(built.artifact, built.manifest, memory_max_quads=0)
    memory = EmbeddedEngine.from_artifact(built.artifact, built.manifest)
    assert disk.path == store_of(built) and memory.path is None
    with pytest.raises(RuntimeError, match="read-write"):  # nothing can have been copied in
        disk._store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    assert disk.graph_counts() == memory.graph_counts() == read_manifest(built.manifest)["graphs"]
    assert disk.query(COUNT) == memory.query(COUNT)
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    for engine in (disk, memory):
        counted = {row["g"].value: int(row["n"].value) for row in engine.query(per_graph).rows}
        assert counted == read_manifest(built.manifest)["graphs"]


def test_kg_memory_max_quads_chooses_the_engine(built: Settings, monkeypatch) -> None:
    monkeypatch.setenv("KG_MEMORY_MAX_QUADS", "0")
    settings = Settings.from_env(root=built.root, build_dir=built.build_dir, cache_entries=0)
    assert settings.memory_max_quads == 0
    assert open_engine(settings).path == store_of(built)
    small = dataclasses.replace(settings, memory_max_quads=10**9)
    assert open_engine(small).path is None


def test_a_build_without_a_store_is_loaded_into_memory(built: Settings, tmp_path: Path) -> None:
    """Builds made before the store existed still serve (and are not up to date for kg build)."""
    for name in ("kg.nq", "manifest.json"):
        (tmp_path / name).write_bytes((built.build_dir / name).read_bytes())
    engine = EmbeddedEngine.from_artifact(
        tmp_path / "kg.nq", tmp_path / "manifest.json", memory_max_quads=0
    )
    assert engine.path is None
    assert engine.query(COUNT) == open_engine(dataclasses.replace(built, cache_entries=0)).query(
        COUNT
    )


def test_query_processes_reopen_the_store_after_the_fork(built: Settings) -> None:
    from kg.web.endpoint.execution import QueryPool

    engine = EmbeddedEngine.from_artifact(built.artifact, built.manifest, memory_max_quads=0)
    pool = QueryPool(engine, dataclasses.replace(built, query_processes=2))
    try:
        expected = engine.query(COUNT)
        answers = [pool.query(COUNT).result for _ in range(4)]
        assert all(answer == expected for answer in answers)
        as_json = pool.query(COUNT, media_type="application/sparql-results+json")
        assert as_json.body is not None and as_json.rows == 1  # written by the reopened store
        assert engine.query(COUNT) == expected  # the worker's own handle still works
    finally:
        pool.close()


def test_a_forked_child_opens_its_own_handle(built: Settings) -> None:
    engine = EmbeddedEngine.from_artifact(built.artifact, built.manifest, memory_max_quads=0)
    parent_store = engine._store
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports whether it holds a new handle that answers
        try:
            fresh = engine._store is not parent_store and engine._inherited == [parent_store]
            answers = engine.query(COUNT).rows[0]["n"].value
            os.write(write, f"{fresh} {answers}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    assert report == f"True {engine.query(COUNT).rows[0]['n'].value}"
    assert engine._store is parent_store


def test_a_failed_build_leaves_artifact_and_store_untouched(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    out = tmp_path / "build"
    quick_build(root, out)
    before = snapshot(out)
    (root / "data" / "ttl" / "broken.ttl").write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(InputSyntaxError):
        quick_build(root, out, force=True)
    assert snapshot(out) == before


def test_a_failure_while_writing_leaves_the_build_untouched(tmp_path: Path, monkeypatch) -> None:
    import kg.pipeline.build as pipeline_build

    root = copy_project(tmp_path / "project")
    out = tmp_path / "build"
    quick_build(root, out)
    before = snapshot(out)
    (root / "ontology" / "extra.ttl").write_text(
        "<https://w3id.org/digikommun/id/x> <http://www.w3.org/2000/01/rdf-schema#comment> "
        '"changed"@en .\n',
        encoding="utf-8",
    )

    def disk_full(chunk: bytes) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline_build, "_without_graph_names", disk_full)
    with pytest.raises(OSError):
        quick_build(root, out, force=True)
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted({Path(k).parts[0] for k in before})


def test_a_rebuild_keeps_the_previous_store_and_drops_older_ones(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    out = tmp_path / "build"
    names, downloads = [], []
    for n in range(3):
        (root / "ontology" / "extra.ttl").write_text(
            "<https://w3id.org/digikommun/id/x> <http://www.w3.org/2000/01/rdf-schema#comment> "
            f'"version {n}"@en .\n',
            encoding="utf-8",
        )
        quick_build(root, out)
        manifest = json.loads((out / "manifest.json").read_text())
        names.append(store_dir_name(manifest))
        downloads.append(dumps.directory_name(manifest["version"]))
    assert len(set(names)) == 3
    assert sorted(p.name for p in out.glob("oxigraph-*")) == sorted(names[1:])
    assert sorted(p.name for p in out.glob(dumps.DIRECTORY_PREFIX + "*")) == sorted(downloads[1:])
    engine = EmbeddedEngine.from_artifact(out / "kg.nq", out / "manifest.json", memory_max_quads=0)
    assert engine.path == out / names[2]
    answer = engine.query(
        "SELECT ?c WHERE { <https://w3id.org/digikommun/id/x> rdfs:comment ?c }"
    ).rows
    assert [row["c"].value for row in answer] == ["version 2"]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("memory_max_quads", ["0", "200000"], ids=["on-disk", "in-memory"])
def test_a_reload_after_a_rebuild_serves_the_new_build(tmp_path: Path, memory_max_quads) -> None:
    """A good rebuild, then SIGHUP: new workers (and their query processes) answer from the new
    artifact and its store; the old store is still there for workers not yet replaced."""
    import signal
    import time

    from kg.pipeline.synth import synthesise
    from tests.conftest import ROOT, free_port, start_gunicorn, stop_process, wait_until_answers
    from tests.test_attack import ask

    # A small synthetic project in our ontology: reloading does not depend on the data's size,
    # and it builds in a fraction of the real project's time (two builds per parameter).
    root = synthesise(tmp_path / "project", 300, project_root=ROOT).root
    out = tmp_path / "build"
    first = quick_build(root, out, force=True)
    port = free_port()
    process = start_gunicorn(out, port, KG_MEMORY_MAX_QUADS=memory_max_quads)
    base = f"http://127.0.0.1:{port}/sparql"
    probe = "SELECT ?c WHERE { <https://w3id.org/digikommun/id/x> rdfs:comment ?c }"
    try:
        status, before, _ = ask(base, probe)
        assert status == 200 and b"reloaded" not in before
        (root / "ontology" / "extra.ttl").write_text(
            "<https://w3id.org/digikommun/id/x> <http://www.w3.org/2000/01/rdf-schema#comment> "
            '"reloaded"@en .\n',
            encoding="utf-8",
        )
        second = quick_build(root, out)
        assert second.version != first.version
        old_store = out / store_dir_name(first.manifest)
        assert old_store.is_dir(), "the store being served survives one rebuild"
        os.kill(process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 120  # a backstop for the event, not a pace
        while True:
            wait_until_answers(f"http://127.0.0.1:{port}/healthz", process)
            status, after, headers = ask(base, probe)
            if b"reloaded" in after or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and b"reloaded" in after
        assert second.version in headers.get("ETag", "")
    finally:
        stop_process(process)
