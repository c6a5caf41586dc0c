"""The answer cache's key and bounds (kg.web.endpoint.answer_cache), without an app around them.

Issue 22: with the dataset flattened in the key, a ``named-graph-uri=G`` request got the cached
answer of an earlier ``default-graph-uri=G`` one. Every part of the key is checked here to
tell two answers apart, and the body-size bound is checked on its boundary.
"""

from __future__ import annotations

import pytest

from kg.web.endpoint.answer_cache import MAX_BODY_BYTES, AnswerCache, StoredAnswer, answer_key

BASE = dict(
    version="v1",
    query="ASK {}",
    dataset=None,
    media_type="application/sparql-results+json",
    endpoint="http://x/sparql",
    coding="identity",
)


def answer(size: int) -> StoredAnswer:
    return StoredAnswer(b"x" * size, "text/plain", '"e"', 1, False, False)


@pytest.mark.parametrize(
    ("part", "other"),
    [
        ("version", "v2"),
        ("query", "ASK { ?s ?p ?o }"),
        ("dataset", ((), ())),
        ("media_type", "text/csv"),
        ("endpoint", "http://y/sparql"),
        ("coding", "gzip"),
    ],
)
def test_each_part_of_the_key_tells_two_answers_apart(part: str, other: object) -> None:
    assert answer_key(**BASE) != answer_key(**{**BASE, part: other})


def test_a_graph_named_as_default_is_not_the_same_graph_named_as_named() -> None:
    as_default = answer_key(**{**BASE, "dataset": (("http://g",), ())})
    as_named = answer_key(**{**BASE, "dataset": ((), ("http://g",))})
    assert as_default != as_named


def test_the_same_request_gives_the_same_key() -> None:
    assert answer_key(**BASE) == answer_key(**dict(BASE))


def test_a_long_query_is_keyed_by_its_digest_not_kept_whole() -> None:
    long = "ASK {}" + " " * 100_000
    key = answer_key(**{**BASE, "query": long})
    assert long not in key and all(long not in part for part in key if isinstance(part, tuple))
    assert any(isinstance(part, tuple) and part[0] == "sha256" for part in key)
    assert key != answer_key(**{**BASE, "query": long + " "})


def test_a_body_of_exactly_the_bound_is_kept_and_one_byte_more_is_not() -> None:
    cache = AnswerCache(4, max_body_bytes=10)
    cache.put(("at",), answer(10))
    cache.put(("over",), answer(11))
    assert cache.get(("at",)) == answer(10)
    assert cache.get(("over",)) is None
    assert len(cache) == 1


def test_the_default_bound_is_one_mebibyte() -> None:
    assert MAX_BODY_BYTES == 1024 * 1024
    cache = AnswerCache(2)
    cache.put(("at",), answer(MAX_BODY_BYTES))
    cache.put(("over",), answer(MAX_BODY_BYTES + 1))
    assert len(cache) == 1 and cache.get(("at",)) is not None


def test_hits_count_answers_found_and_not_misses() -> None:
    cache = AnswerCache(2)
    cache.put(("k",), answer(1))
    assert cache.hits == 0
    assert cache.get(("missing",)) is None
    assert cache.hits == 0
    assert cache.get(("k",)) == answer(1)
    assert cache.hits == 1


def test_zero_entries_keeps_nothing() -> None:
    cache = AnswerCache(0)
    cache.put(("k",), answer(1))
    assert cache.get(("k",)) is None
    assert len(cache) == 0


@pytest.mark.parametrize("text", ["service-description", "", "ASK {}", "sha256:" + "0" * 64])
def test_the_service_description_never_shares_a_key_with_a_query(text: str) -> None:
    """The Service Description (no query) and a query whose text is anything at all are two
    answers: neither may be served the other's cached body."""
    assert answer_key(**{**BASE, "query": None}) != answer_key(**{**BASE, "query": text})
    assert answer_key(**{**BASE, "query": None}) == answer_key(**{**BASE, "query": None})
