"""The streaming build's bounded consumers stay bounded, and bench/build.py can tell its
processes apart (issue 27: peak memory must not grow with the graph)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from bench.proctree import TreeSampler
from kg.pipeline import stream
from kg.pipeline.background import Background
from kg.pipeline.load import discover, load_shapes, load_union
from kg.pipeline.shacl import over_store
from kg.pipeline.shacl.over_store import run_plan
from kg.pipeline.shacl.plan import compile_shapes
from kg.pipeline.validate import pyshacl_results
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures"


def test_gnu_sort_sorts_with_a_bounded_buffer_and_spills_the_rest(tmp_path, monkeypatch) -> None:
    """sort_unique passes its buffer bound to GNU sort (without ``-S`` sort sizes its buffer
    from the input and the machine's memory), and input much larger than the buffer still
    comes out in byte order, each line once."""
    lines = [
        f'<urn:x:{(n * 7919) % 5000:05d}> <urn:p> "é{n % 3}" <urn:g> .\n' for n in range(60_000)
    ]
    first, second = tmp_path / "a.nq", tmp_path / "b.nq"
    first.write_text("".join(lines[:40_000]), encoding="utf-8")
    second.write_text("".join(lines[40_000:]), encoding="utf-8")
    calls: list[list[str]] = []
    run = subprocess.run

    def recording(command, **kwargs):
        calls.append(list(command))
        return run(command, **kwargs)

    monkeypatch.setattr(stream, "SORT_BUFFER", "64K")  # far less than the 3 MB of input
    monkeypatch.setattr(stream.subprocess, "run", recording)
    target = tmp_path / "sorted.nq"
    stream.sort_unique([first, second], target, tmp_path)
    expected = sorted({line.encode("utf-8") for line in lines})
    assert target.read_bytes() == b"".join(expected)
    (command,) = calls
    assert command[command.index("-S") + 1] == "64K"


def _comm() -> str:
    return Path("/proc/self/comm").read_text(encoding="ascii").strip()


def test_a_step_in_a_process_of_its_own_is_named_after_its_function() -> None:
    """bench/build.py tells the lint process from the reasoner's by this name."""
    assert Background(_comm).result() == "_comm"


def test_the_sampler_finds_each_process_of_the_tree_by_its_role() -> None:
    """A GNU sort child of this process is sampled under its role, with its own peak."""
    child = subprocess.Popen(["sort"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        sampler = TreeSampler(os.getpid())
        sampler.sample()
        peak, roles = sampler.close_phase()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    assert {"build (main process)", "GNU sort"} <= set(roles)
    assert 0 < roles["GNU sort"].rss < roles["build (main process)"].rss <= peak
    assert sampler.close_phase()[1] == {}  # a new phase starts empty
    assert sampler.roles["GNU sort"].rss == roles["GNU sort"].rss  # the overall peaks stay


class RecordingStore:
    """A store that remembers every query it was asked (run_plan only queries)."""

    def __init__(self, store: ox.Store) -> None:
        self.store, self.queries = store, []

    def query(self, query: str):
        self.queries.append(query)
        return self.store.query(query)


BROKEN = (
    "municipality-with-two-swedish-labels",
    "nomination-without-edition",
    "iso-code-with-digits",
)


def _project_store() -> ox.Store:
    """The real project with three broken fixtures' data: results of several checks."""
    data, _ = load_union(discover(ROOT))
    for name in BROKEN:
        data += Graph().parse(FIXTURES / "shapes" / "invalid" / f"{name}.ttl")
    store = ox.Store()
    store.bulk_load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_each_check_runs_over_a_chunk_of_focus_nodes_and_finds_the_same(monkeypatch) -> None:
    """The real project plus broken fixtures, validated with chunks of 7 focus nodes: the
    results (and their order) are those of one chunk holding every node, and every check query
    names 1 to 7 focus nodes, never a shape's whole target."""
    store = _project_store()
    shapes = load_shapes(ROOT)
    whole = run_plan(compile_shapes(shapes), store)
    monkeypatch.setattr(over_store, "FOCUS_CHUNK", 7)
    recording = RecordingStore(store)
    plan = compile_shapes(shapes)
    chunked = run_plan(plan, recording)  # type: ignore[arg-type]
    assert [(r.key(), str(r.value)) for r in chunked] == [(r.key(), str(r.value)) for r in whole]
    assert len({r.shape for r in whole}) >= 3, "the broken fixtures give results"
    selections = set(plan.sparql_targets.values()) | {
        f"SELECT ?this WHERE {{ {pattern} }}"
        for pattern in over_store._targets(plan, store).values()
    }
    checks = [q for q in recording.queries if q not in selections]
    assert len(checks) > 3 * len(plan.checks)  # most shapes have many chunks
    for query in checks:
        assert "VALUES ?this {" in query, query
        names = query.split("VALUES ?this {", 1)[1].split("}", 1)[0].split()
        assert 0 < len(names) <= 7


BLANK_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:message "no p" ] .
"""


def test_a_blank_focus_node_is_checked_once_with_the_shape_s_whole_target(monkeypatch) -> None:
    """A query cannot name a blank node: its shape falls back to the whole target, and what
    the chunks before the blank node found is not reported twice."""
    data = Graph().parse(
        data="@prefix ex: <urn:ex:> . [] a ex:C . ex:ok a ex:C ; ex:p 1 . "
        + " ".join(f"ex:n{n} a ex:C ." for n in range(30)),
        format="turtle",
    )
    shapes = Graph().parse(data=BLANK_SHAPES, format="turtle")
    monkeypatch.setattr(over_store, "FOCUS_CHUNK", 1)
    store = ox.Store()
    store.bulk_load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    mine = run_plan(compile_shapes(shapes), store)
    assert len(mine) == 31
    assert {r.key() for r in mine} == {r.key() for r in pyshacl_results(data, shapes)}
