"""The answer cache: bounded, keyed by dataset version and every query argument."""

from __future__ import annotations

import dataclasses

from kg.settings import Settings
from kg.store import Bindings, Boolean, open_engine
from kg.store.cache import CachingEngine, ResultCache


class CountingEngine:
    """A stand-in engine that counts how often it is really asked."""

    def __init__(self, version: str = "v1") -> None:
        self.version = version
        self.calls = 0

    def query(
        self, sparql, *, default_graphs=None, named_graphs=None, max_rows=None, base_iri=None
    ):
        self.calls += 1
        return Bindings(["q"], [{}] * (3 if "three" in sparql else 1))

    def graph_counts(self):
        return {}


def test_a_repeated_query_is_answered_from_the_cache() -> None:
    inner = CountingEngine()
    engine = CachingEngine(inner, max_entries=10)
    first = engine.query("SELECT * {}")
    assert engine.query("SELECT * {}") is first
    assert inner.calls == 1


def test_every_argument_is_part_of_the_key() -> None:
    inner = CountingEngine()
    engine = CachingEngine(inner, max_entries=10)
    engine.query("SELECT * {}")
    engine.query("SELECT * {}", max_rows=5)
    engine.query("SELECT * {}", default_graphs=["g"])
    engine.query("SELECT * {}", named_graphs=["g"])
    engine.query("SELECT * {}", default_graphs=[])
    engine.query("SELECT * {}", base_iri="http://x/")
    assert inner.calls == 6


def test_a_new_dataset_version_is_never_answered_from_the_old_one() -> None:
    inner = CountingEngine("v1")
    engine = CachingEngine(inner, max_entries=10)
    engine.query("SELECT * {}")
    inner.version = "v2"
    engine.query("SELECT * {}")
    assert inner.calls == 2


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = ResultCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") == 1


def test_large_answers_are_not_kept() -> None:
    inner = CountingEngine()
    engine = CachingEngine(inner, max_entries=10, max_cached_rows=2)
    engine.query("three rows")
    engine.query("three rows")
    assert inner.calls == 2


def test_zero_entries_switches_the_cache_off(built: Settings) -> None:
    assert not isinstance(open_engine(dataclasses.replace(built, cache_entries=0)), CachingEngine)
    cached = open_engine(built)
    assert isinstance(cached, CachingEngine)
    assert isinstance(cached.query("ASK { ?s ?p ?o }"), Boolean)
    assert cached.graph_counts() == cached.engine.graph_counts()
