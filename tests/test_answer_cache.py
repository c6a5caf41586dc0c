"""The endpoint's one answer cache (:mod:`kg.web.endpoint.answer_cache`), tested through both
adapters."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from kg.settings import Settings
from kg.web.endpoint.answer_cache import AnswerCache, StoredAnswer, answer_key

QUERY = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e"
CSV = {"Accept": "text/csv", "User-Agent": "curl/8.5.0"}


def _counting_app(built: Settings, entries: int, *, lean: bool = True):
    """An app whose query pool counts the queries it is really asked to run."""
    from kg import create_app
    from kg.web.endpoint import execution

    app = create_app(dataclasses.replace(built, cache_entries=entries), lean=lean)
    pool = execution.pool_for(app)
    runs: list[str] = []
    real = pool.query

    def counted(text: str, **kwargs):
        runs.append(text)
        return real(text, **kwargs)

    pool.query = counted  # type: ignore[method-assign]
    return app, runs


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "flask"])
def test_a_repeated_query_is_not_run_again(built: Settings, lean: bool) -> None:
    app, runs = _counting_app(built, entries=16, lean=lean)
    client = app.test_client()
    first = client.get("/sparql", query_string={"query": QUERY}, headers=CSV)
    second = client.get("/sparql", query_string={"query": QUERY}, headers=CSV)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.count(b"\n") == 13  # header + 12 editions
    assert first.headers == second.headers
    assert len(runs) == 1 and app.extensions["kg_endpoint"].answers.hits == 1
    posted = client.post("/sparql", data={"query": QUERY}, headers=CSV)
    assert posted.data == first.data and len(runs) == 1  # POST and GET share the answer
    as_json = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "*/*"})
    assert as_json.get_json()["results"]["bindings"] and len(runs) == 2  # another format


def test_the_key_holds_what_the_answer_depends_on(built: Settings) -> None:
    app, runs = _counting_app(built, entries=16)
    client = app.test_client()
    query = {"query": QUERY}
    client.get("/sparql", query_string=query, headers=CSV)
    xml = client.get(
        "/sparql", query_string=query, headers={"Accept": "application/sparql-results+xml"}
    )
    assert xml.mimetype == "application/sparql-results+xml"
    gzipped = client.get("/sparql", query_string=query, headers={**CSV, "Accept-Encoding": "gzip"})
    assert gzipped.headers.get("Content-Encoding") == "gzip"
    graph = "https://w3id.org/digikommun/graph/ontology"
    dataset = client.get("/sparql", query_string={**query, "default-graph-uri": graph}, headers=CSV)
    assert dataset.data.count(b"\n") == 1  # no edition in the ontology's graph
    relative = {"query": "SELECT ?x WHERE { BIND(<rel> AS ?x) }"}
    here = client.get("/sparql", query_string=relative, headers=CSV)
    elsewhere = client.get(
        "/sparql", query_string=relative, headers={**CSV, "Host": "elsewhere.example"}
    )
    assert b"http://localhost/rel" in here.data
    assert b"http://elsewhere.example/rel" in elsewhere.data
    assert len(runs) == 6 and app.extensions["kg_endpoint"].answers.hits == 0


def test_refusals_errors_and_revalidation_are_not_cached(built: Settings) -> None:
    app, runs = _counting_app(built, entries=16)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": "SELECT ?"}).status_code == 400
        assert client.get("/sparql", query_string={"query": "CLEAR ALL"}).status_code == 403
    assert len(runs) == 2  # the malformed query ran twice; the update never ran
    first = client.get("/sparql", query_string={"query": QUERY}, headers=CSV)
    again = client.get(
        "/sparql",
        query_string={"query": QUERY},
        headers={**CSV, "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""
    assert len(app.extensions["kg_endpoint"].answers) == 1


def test_a_cache_hit_is_logged_as_the_first_answer(built: Settings) -> None:
    from kg.web.endpoint.http import access_log

    app, _ = _counting_app(built, entries=16)
    client = app.test_client()
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    access_log.addHandler(handler)
    try:
        for _ in range(2):
            client.get("/sparql", query_string={"query": QUERY}, headers=CSV)
    finally:
        access_log.removeHandler(handler)
    assert len(lines) == 2
    assert lines[0].split(" ms=")[0] == lines[1].split(" ms=")[0] == "GET /sparql 200 rows=12"
    assert lines[0].split(" query=")[1] == lines[1].split(" query=")[1]


def test_no_cache_when_turned_off(built: Settings) -> None:
    app, runs = _counting_app(built, entries=0)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": QUERY}, headers=CSV).status_code == 200
    assert len(runs) == 2


def _stored(body: bytes) -> StoredAnswer:
    return StoredAnswer(body, "text/csv", '"e"', 1, False, False)


def test_a_new_dataset_version_is_never_answered_from_the_old_one() -> None:
    cache = AnswerCache(4)
    old = answer_key("v1", QUERY, None, "text/csv", "http://h/sparql", "identity")
    cache.put(old, _stored(b"old"))
    new = answer_key("v2", QUERY, None, "text/csv", "http://h/sparql", "identity")
    assert cache.get(new) is None and cache.get(old).body == b"old"  # type: ignore[union-attr]


def test_the_cache_is_bounded_in_entries_and_body_size() -> None:
    cache = AnswerCache(2, max_body_bytes=5)
    keys = [answer_key("v", f"q{i}", None, "text/csv", "e", "identity") for i in range(3)]
    cache.put(keys[0], _stored(b"123456"))  # larger than 5 bytes: not kept
    assert cache.get(keys[0]) is None
    for key in keys:
        cache.put(key, _stored(b"1"))
    assert len(cache) == 2 and cache.get(keys[0]) is None  # least recently used went first
    named = answer_key("v", "q", ((), ("g",)), "text/csv", "e", "identity")
    assert named != answer_key("v", "q", None, "text/csv", "e", "identity")


def test_a_repeated_get_skips_reading_the_request_again(built: Settings, monkeypatch) -> None:
    """How a GET was read is remembered by its raw parts; the answer stays in the one cache."""
    from kg.web.endpoint import protocol

    app, runs = _counting_app(built, entries=16)
    client = app.test_client()
    checked: list[str] = []
    real = protocol.check_text

    def counted(text, *args, **kwargs):
        checked.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(protocol, "check_text", counted)
    first = client.get("/sparql", query_string={"query": QUERY}, headers=CSV)
    second = client.get("/sparql", query_string={"query": QUERY}, headers=CSV)
    assert first.data == second.data and first.headers == second.headers
    assert len(checked) == 1 and len(runs) == 1
    xml = client.get(
        "/sparql", query_string={"query": QUERY}, headers={"Accept": "application/xml"}
    )
    elsewhere = client.get(
        "/sparql", query_string={"query": QUERY}, headers={**CSV, "Host": "x.example"}
    )
    assert xml.mimetype == "application/sparql-results+xml" and elsewhere.mimetype == "text/csv"
    assert len(checked) == 3  # another Accept, another host: read anew
    revalidated = client.get(
        "/sparql",
        query_string={"query": QUERY},
        headers={**CSV, "If-None-Match": first.headers["ETag"]},
    )
    assert revalidated.status_code == 304
