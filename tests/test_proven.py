"""Queries proven cheap in a query process run in the worker's thread the next times."""

from __future__ import annotations

import dataclasses

import pytest

from kg.settings import Settings
from kg.store import QuerySyntaxError, bare, open_engine
from kg.web.execution import QueryPool
from kg.web.limits import QueryRejected
from kg.web.proven import MAX_BODY_BYTES, ProvenCheap

JSON = "application/sparql-results+json"
QUERY = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e"
GRAPH = "https://w3id.org/digikommun/graph/ontology"


@pytest.fixture
def pool_for_settings(built: Settings):
    pools: list[QueryPool] = []

    def make(**changes) -> QueryPool:
        settings = dataclasses.replace(built, cache_entries=0, query_processes=2, **changes)
        pool = QueryPool(bare(open_engine(settings)), settings)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


#: A limit no query here can miss, so that what is tested is the rule, not the machine's speed.
GENEROUS_MS = 60_000.0


def test_a_cheap_query_runs_in_the_worker_the_second_time(pool_for_settings) -> None:
    pool = pool_for_settings(inline_ms=GENEROUS_MS)
    first = pool.query(QUERY, media_type=JSON)
    second = pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (1, 1)
    assert first.body == second.body and first.rows == second.rows == 12
    assert first.seconds > 0  # measured in the query process


def test_every_part_of_the_job_is_part_of_the_proof(pool_for_settings) -> None:
    pool = pool_for_settings(inline_ms=GENEROUS_MS)
    pool.query(QUERY, media_type=JSON)
    pool.query(QUERY, media_type="text/csv")  # another format
    pool.query(QUERY, media_type=JSON, default_graphs=[GRAPH])  # another dataset
    pool.query(QUERY, media_type=JSON, max_rows=3)  # another row cap
    assert (pool.process_runs, pool.inline_runs) == (4, 0)
    pool.query(QUERY, media_type=JSON, default_graphs=[GRAPH])
    assert (pool.process_runs, pool.inline_runs) == (4, 1)


def test_a_query_slower_than_the_limit_never_leaves_the_process(pool_for_settings) -> None:
    pool = pool_for_settings(inline_ms=0.001)
    for _ in range(3):
        pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (3, 0)


def test_inline_runs_can_be_turned_off(pool_for_settings) -> None:
    pool = pool_for_settings(inline_ms=0)
    for _ in range(2):
        pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (2, 0)


def test_engines_not_safe_to_share_between_threads_never_run_inline(pool_for_settings) -> None:
    pool = pool_for_settings(store="rdflib", inline_ms=GENEROUS_MS)
    for _ in range(2):
        pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (2, 0)


def test_refusals_and_errors_are_never_proven(pool_for_settings) -> None:
    pool = pool_for_settings(inline_ms=GENEROUS_MS)
    for _ in range(2):
        with pytest.raises(QuerySyntaxError):
            pool.query("SELECT ?x WHERE {", media_type=JSON)
        with pytest.raises(QueryRejected) as refused:
            pool.query("ASK FROM <file:///etc/passwd> { ?s ?p ?o }", media_type=JSON)
        assert refused.value.status == 400
    assert (pool.process_runs, pool.inline_runs) == (4, 0)


def test_the_proof_admits_only_cheap_small_answers_and_is_bounded() -> None:
    proven = ProvenCheap(0.01, entries=2)
    proven.record("slow", 0.02, 10, rows=1)
    proven.record("large", 0.001, MAX_BODY_BYTES + 1, rows=1)
    proven.record("a", 0.001, 10, rows=3)
    assert (proven.rows("slow"), proven.rows("large"), proven.rows("a")) == (None, None, 3)
    proven.record("b", 0.001, 10, rows=0)
    proven.record("c", 0.001, 10, rows=5)  # room for two: "a", used least recently, goes
    assert (proven.rows("a"), proven.rows("b"), proven.rows("c")) == (None, 0, 5)


def test_a_query_that_overruns_its_proof_is_forgotten() -> None:
    proven = ProvenCheap(0.01)
    proven.record("q", 0.005, 10, rows=2)
    assert not proven.check("q", 0.02)  # slower, within the margin
    assert proven.rows("q") == 2
    assert proven.check("q", 0.2)
    assert proven.rows("q") is None


class _SlowInThisThread:
    """The pool's engine, made slow for the runs in the worker's thread only (the query
    processes were forked with the real one)."""

    def __init__(self, engine, seconds: float) -> None:
        self._engine, self._seconds = engine, seconds

    def query_as(self, *args, **kwargs):
        import time

        time.sleep(self._seconds)
        return self._engine.query_as(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._engine, name)


def test_the_pool_forgets_a_proven_query_that_overran(pool_for_settings) -> None:
    """Through the pool: an inline run past OVERRUN_FACTOR × the limit sends the next run of
    the same job back to a query process."""
    from kg.web.proven import OVERRUN_FACTOR

    limit_ms = 300.0
    pool = pool_for_settings(inline_ms=limit_ms)
    first = pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (1, 0)
    pool._engine = _SlowInThisThread(pool._engine, OVERRUN_FACTOR * limit_ms / 1000 + 0.2)
    overran = pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (1, 1)
    assert overran.body == first.body
    pool.query(QUERY, media_type=JSON)
    assert (pool.process_runs, pool.inline_runs) == (2, 1), "the overrun was not forgotten"
