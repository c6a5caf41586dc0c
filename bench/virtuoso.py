"""Virtuoso as the serving benchmark's second yardstick (issue 27): the same build, the same
dataset, the same queries as our endpoint and Oxigraph's server.

Virtuoso is started by the test suite's own starter (bench/virtuoso_server.py) and loaded as a
production Virtuoso is, with ``kg publish``: every named graph of the build, and their set
union in a graph of its own, each counted back after loading. Virtuoso's default dataset is
every graph at once (a triple repeated once per graph that states it) plus system graphs of its
own, so every request names the build's dataset with the protocol's ``default-graph-uri`` (the
union graph) and ``named-graph-uri`` (each graph of the build), exactly as our remote engine
(``KG_STORE=sparql+…``) asks a Virtuoso.

What Virtuoso caches: Virtuoso 7.2 has no cache of answers; ``/sparql`` evaluates every
request. It does keep the SQL it compiled from a query text (its statement cache), and after
the warm-up the whole database is in its buffer pool, as ours is in memory. It runs alike in
both of the benchmark's modes: beside ours with ``KG_CACHE_ENTRIES=0`` the comparison is
evaluation against evaluation, beside ours with the answer cache it is our cache against an
engine that has none to turn on.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.virtuoso_server import virtuoso_server
from kg.pipeline.publish import publish

#: The graph ``kg publish`` fills with the set union of the build's graphs (our default graph);
#: the value the README gives for ``KG_STORE_UNION_GRAPH``.
UNION = "urn:x-kg:union-default-graph"

#: Virtuoso's buffer pool in 8 KiB pages (about 800 MB at most, taken as it is used): room
#: for a build of a few million quads to stay in memory, as ours does.
BUFFERS = 100_000


@dataclass(frozen=True)
class Yardstick:
    """A loaded Virtuoso: where to send the benchmark's requests, and what it holds."""

    port: int
    path: str  # /sparql with the build's dataset as protocol parameters
    pid: int
    quads: int  # in the build's named graphs, as counted back after loading
    start_seconds: float  # a new database: created, started, password set
    load_seconds: float


def dataset_path(graphs: list[str]) -> str:
    """``/sparql`` asking the build's dataset: the union as default graph, its named graphs."""
    params = [("default-graph-uri", UNION)] + [("named-graph-uri", g) for g in graphs]
    return "/sparql?" + urllib.parse.urlencode(params)


@contextmanager
def serve(build_dir: Path, directory: Path) -> Iterator[Yardstick]:
    """Start Virtuoso in ``directory``, load ``build_dir``'s artifact, yield it; on leaving,
    however it is left, Virtuoso is stopped and ``directory`` removed."""
    started = time.monotonic()
    with virtuoso_server(directory, buffers=BUFFERS) as server:
        ready = time.monotonic()
        counts = publish(
            build_dir / "kg.nq",
            server.graph_store,
            timeout=600,
            user=server.user,
            password=server.password,
            union_graph=UNION,
        )
        graphs = sorted(g for g in counts if g)  # "": the union, in UNION
        port = urllib.parse.urlsplit(server.base).port
        assert port is not None
        yield Yardstick(
            port=port,
            path=dataset_path(graphs),
            pid=server.pid,
            quads=sum(counts[g] for g in graphs),
            start_seconds=ready - started,
            load_seconds=time.monotonic() - ready,
        )
