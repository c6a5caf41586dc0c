"""Repeated queries are answered from the worker's cache of serialised answers."""

from __future__ import annotations

import dataclasses

from kg.settings import Settings

QUERY = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e"


def _counting_app(built: Settings, entries: int):
    from kg import create_app
    from kg.web import execution

    app = create_app(dataclasses.replace(built, cache_entries=entries))
    pool = execution.pool_for(app)
    runs: list[str] = []
    real = pool.query

    def counted(text: str, **kwargs):
        runs.append(text)
        return real(text, **kwargs)

    pool.query = counted  # type: ignore[method-assign]
    return app, runs


def test_a_repeated_query_is_not_run_again(built: Settings) -> None:
    app, runs = _counting_app(built, entries=16)
    client = app.test_client()
    accept = {"Accept": "text/csv"}
    first = client.get("/sparql", query_string={"query": QUERY}, headers=accept)
    second = client.get("/sparql", query_string={"query": QUERY}, headers=accept)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.count(b"\n") == 13  # header + 12 editions
    assert len(runs) == 1
    as_json = client.get("/sparql", query_string={"query": QUERY})
    assert as_json.get_json()["results"]["bindings"]  # another format: its own entry


def test_no_cache_when_turned_off(built: Settings) -> None:
    app, runs = _counting_app(built, entries=0)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": QUERY}).status_code == 200
    assert len(runs) == 2


def _front(app):
    from kg.web.front_cache import FrontCache

    assert isinstance(app.wsgi_app, FrontCache)
    return app.wsgi_app


def test_a_repeated_get_is_answered_in_front_of_flask(built: Settings) -> None:
    app, runs = _counting_app(built, entries=16)
    front = _front(app)
    client = app.test_client()
    views: list[str] = []
    app.before_request(lambda: views.append("flask"))
    first = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    second = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    assert first.data == second.data and first.headers == second.headers
    assert len(runs) == 1 and len(views) <= 1  # the second reached neither Flask nor the pool
    assert front.hits == 1
    assert second.headers["Content-Security-Policy"]  # every header of the first answer


def test_the_front_cache_keys_on_what_the_answer_depends_on(built: Settings) -> None:
    app, _ = _counting_app(built, entries=16)
    client = app.test_client()
    query = {"query": QUERY}
    csv = client.get("/sparql", query_string=query, headers={"Accept": "text/csv"})
    xml = client.get(
        "/sparql", query_string=query, headers={"Accept": "application/sparql-results+xml"}
    )
    assert csv.mimetype == "text/csv" and xml.mimetype == "application/sparql-results+xml"
    gzipped = client.get(
        "/sparql",
        query_string=query,
        headers={"Accept": "text/csv", "Accept-Encoding": "gzip"},
    )
    assert gzipped.headers.get("Content-Encoding") == "gzip"
    other_host = client.get(
        "/sparql",
        query_string={"query": "SELECT ?x WHERE { BIND(<rel> AS ?x) }"},
        headers={"Accept": "text/csv", "Host": "elsewhere.example"},
    )
    assert b"http://elsewhere.example/rel" in other_host.data
    assert _front(app).hits == 0


def test_refusals_errors_and_revalidation_are_not_cached(built: Settings) -> None:
    app, _ = _counting_app(built, entries=16)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": "SELECT ?"}).status_code == 400
        assert client.get("/sparql", query_string={"query": "CLEAR ALL"}).status_code == 403
    first = client.get("/sparql", query_string={"query": QUERY})
    again = client.get(
        "/sparql", query_string={"query": QUERY}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert _front(app).hits == 0


def test_a_front_cache_hit_is_logged(built: Settings) -> None:
    import logging

    from kg.web.http import access_log

    app, _ = _counting_app(built, entries=16)
    client = app.test_client()
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    access_log.addHandler(handler)
    try:
        for _ in range(2):
            client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    finally:
        access_log.removeHandler(handler)
    assert len(lines) == 2
    assert lines[0].split(" ms=")[0] == lines[1].split(" ms=")[0] == "GET /sparql 200 rows=12"
    assert lines[0].split(" query=")[1] == lines[1].split(" query=")[1]


def test_no_front_cache_when_caching_is_off(built: Settings) -> None:
    from kg.web.front_cache import FrontCache

    app, _ = _counting_app(built, entries=0)
    assert not isinstance(app.wsgi_app, FrontCache)


def _tiny_app(headers: list[tuple[str, str]]):
    calls: list[str] = []

    def app(environ, start_response):
        calls.append(environ["QUERY_STRING"])
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [b"answer"]

    return app, calls


def _get(front, query: str = "query=x") -> bytes:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": query}
    return b"".join(front(environ, lambda status, headers, exc_info=None: None))


def test_answers_that_vary_by_headers_outside_the_key_are_not_kept() -> None:
    from kg.web.front_cache import FrontCache

    for vary, kept in (("Accept, Accept-Encoding", True), ("Accept-Language", False), ("*", False)):
        app, calls = _tiny_app([("ETag", '"1"'), ("Vary", vary)])
        front = FrontCache(app, lambda: "v1", entries=4, max_body_bytes=100)
        assert _get(front) == _get(front) == b"answer"
        assert len(calls) == (1 if kept else 2), vary


def test_answers_without_an_etag_or_too_large_are_not_kept() -> None:
    from kg.web.front_cache import FrontCache

    app, calls = _tiny_app([])
    front = FrontCache(app, lambda: "v1", entries=4, max_body_bytes=100)
    _get(front), _get(front)
    assert len(calls) == 2
    app, calls = _tiny_app([("ETag", '"1"')])
    front = FrontCache(app, lambda: "v1", entries=4, max_body_bytes=3)  # "answer" is 6 bytes
    _get(front), _get(front)
    assert len(calls) == 2


def test_a_new_dataset_version_is_never_answered_from_the_old_one() -> None:
    from kg.web.front_cache import FrontCache

    version = ["v1"]
    app, calls = _tiny_app([("ETag", '"1"')])
    front = FrontCache(app, lambda: version[0], entries=4, max_body_bytes=100)
    _get(front), _get(front)
    version[0] = "v2"
    _get(front)
    assert len(calls) == 2
