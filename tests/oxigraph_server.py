"""Start a real ``oxigraph serve`` on a free local port, for the remote engine and publish tests.

The server binary comes from the PyPI package ``oxigraph`` (a dev extra); tests skip with a
clear reason where it is missing instead of failing on a machine without it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port, stop_process, wait_until_answers


def oxigraph_binary() -> str:
    local = Path(sys.executable).with_name("oxigraph")
    found = str(local) if local.is_file() else shutil.which("oxigraph")
    if not found:
        pytest.skip("the `oxigraph` CLI is not installed (pip install oxigraph)")
    return found


@contextmanager
def oxigraph_server(location: Path, artifact: Path | None = None) -> Iterator[str]:
    """Serve ``location`` (loaded with ``artifact`` first, if given); yield the base URL.

    The named graphs are loaded as they are, and the default graph with their set union, as
    ``kg publish`` leaves a store (``--union-default-graph`` would repeat shared triples).
    """
    binary = oxigraph_binary()
    if artifact is not None:
        import pyoxigraph as ox

        union = location.with_name(location.name + "-union.nt")
        triples = {
            ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(path=str(artifact), format=ox.RdfFormat.N_QUADS)
        }
        ox.serialize(sorted(triples, key=str), str(union), format=ox.RdfFormat.N_TRIPLES)
        for file in (artifact, union):
            subprocess.run(
                [binary, "load", "--location", str(location), "--file", str(file)],
                check=True,
                capture_output=True,
            )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(base + "/query?query=ASK%7B%7D", process)
        yield base
    finally:
        stop_process(process)
