"""Which queries have proven cheap, so that they may skip the hop to a query process.

Every new query text runs in a killable query process (:mod:`kg.web.execution`), because
nothing in a text bounds what it costs. But the data cannot change between builds, and
Oxigraph's evaluation of the same text over the same data is the same work every time: a query
that a query process answered in a few milliseconds will take a few milliseconds again. For
such a query the process is pure overhead (on the real graph the hop costs more CPU than most
evaluations), so the worker remembers it and runs it in its own thread the next times;
Oxigraph releases the GIL while it evaluates, so the worker's other threads go on meanwhile.

What is remembered is the whole job (text, dataset, row cap, base IRI and format), only after
a complete answer, and only when the answer was small. A query that mentions SERVICE never
qualifies (another host's latency is not ours to prove). If a remembered query ever runs much
longer than it proved, it is forgotten, so the next run is in a process again.
"""

from __future__ import annotations

from collections.abc import Hashable

from kg.store.cache import ResultCache

#: Answers larger than this never qualify: the worker keeps no memory cap of its own.
MAX_BODY_BYTES = 1 << 20
#: A remembered query that runs this many times longer than its limit is forgotten.
OVERRUN_FACTOR = 5


class ProvenCheap:
    """A bounded, thread-safe memory of the jobs that ran within ``limit_seconds``."""

    def __init__(self, limit_seconds: float, entries: int = 1024) -> None:
        self.limit_seconds = limit_seconds
        self._proven = ResultCache(entries)  # job -> its row count, least recently used first

    def rows(self, key: Hashable) -> int | None:
        """The row count ``key`` proved with, or None if it is not proven cheap."""
        return self._proven.get(key)  # type: ignore[return-value]

    def record(self, key: Hashable, seconds: float, body_bytes: int, rows: int = 0) -> None:
        """Remember ``key`` (and its row count: the same job gives the same answer) if its run
        in a query process was cheap and its answer small."""
        if seconds <= self.limit_seconds and body_bytes <= MAX_BODY_BYTES:
            self._proven.put(key, rows)

    def check(self, key: Hashable, seconds: float) -> bool:
        """After a run in the worker: forget ``key`` (and say so) if it overran its proof."""
        if seconds <= self.limit_seconds * OVERRUN_FACTOR:
            return False
        self._proven.discard(key)
        return True
