"""The streaming build's bounded consumers stay bounded, and bench/build.py can tell its
processes apart (issue 27: peak memory must not grow with the graph)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bench.proctree import TreeSampler
from kg.pipeline import stream
from kg.pipeline.background import Background


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
