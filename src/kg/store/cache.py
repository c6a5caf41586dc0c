"""A bounded in-memory cache of query answers, keyed by dataset version.

The served data never change between builds, so the same query over the same dataset always
has the same answer. Keying every entry by the dataset version (the input hash in the manifest)
means a new build can never be answered from an old entry, and no invalidation is needed.
The cache is an LRU bounded by entry count (``KG_CACHE_ENTRIES``), and answers larger than
``max_cached_rows`` are not kept, so its memory stays bounded by entries × rows.

:class:`ResultCache` is the plain LRU; the endpoint's one answer cache
(:mod:`kg.web.endpoint.answer_cache`) is built on it.
:class:`CachingEngine` caches engine-neutral results for the Flask pages' own queries (entity
pages, VoID, the home page): measured, it makes a page about a third cheaper (9.5 against 14.1
ms in-process, ``bench/RESULTS.md``). The SPARQL endpoint never goes through it: its query pool
runs on the bare engine (:func:`kg.store.bare`), behind the answer cache of finished bodies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from kg.store.base import Bindings, Engine, QueryResult, Triples

T = TypeVar("T")


class ResultCache:
    """A thread-safe LRU of at most ``max_entries`` values (0 disables it)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: object) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value, or compute it (outside the lock: a slow query blocks no one)."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value  # type: ignore[return-value]

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class CachingEngine:
    """Wraps any engine; repeated queries on the same dataset version are answered from memory.

    Results are shared between callers, so they must be treated as read-only (the serialisers
    only read them). Syntax errors and timeouts are never cached.
    """

    def __init__(self, engine: Engine, max_entries: int, max_cached_rows: int = 10000) -> None:
        self.engine = engine
        self.cache = ResultCache(max_entries)
        self.max_cached_rows = max_cached_rows

    @property
    def version(self) -> str:
        return self.engine.version

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        key = (
            self.engine.version,
            sparql,
            None if default_graphs is None else tuple(default_graphs),
            None if named_graphs is None else tuple(named_graphs),
            max_rows,
            base_iri,
        )
        cached = self.cache.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        result = self.engine.query(
            sparql,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            max_rows=max_rows,
            base_iri=base_iri,
        )
        if _size(result) <= self.max_cached_rows:
            self.cache.put(key, result)
        return result

    def graph_counts(self) -> dict[str, int]:
        return self.engine.graph_counts()

    def __getattr__(self, name: str) -> object:
        """Anything else (for example an engine's store) is the wrapped engine's."""
        return getattr(self.engine, name)


def _size(result: QueryResult) -> int:
    if isinstance(result, Bindings):
        return len(result.rows)
    if isinstance(result, Triples):
        return len(result.triples)
    return 1
