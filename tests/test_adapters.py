"""The protocol core answers alike through both adapters, and each adapter does its part.

The lean WSGI adapter (what the server runs) and Flask's view translate a request for the same
core (:mod:`kg.web.endpoint.protocol`); every answer must be the same bytes with the same headers.
"""

from __future__ import annotations

import dataclasses
import gzip

import pytest

from kg.settings import Settings
from kg.web.endpoint.protocol import Endpoint, ProtocolRequest
from kg.web.endpoint.wsgi_adapter import LeanEndpoint
from tests.conftest import for_answers

QUERY = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e"
JSON = "application/sparql-results+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CURL = {"User-Agent": "curl/8.5.0", "Accept": "*/*"}


@pytest.fixture(scope="module")
def apps(built: Settings):
    """The server as it runs (lean adapter in front of Flask), and the same app without it."""
    from kg import create_app

    settings = for_answers(built, cache_entries=0)  # every request runs its query
    lean, plain = create_app(settings), create_app(settings, lean=False)
    assert isinstance(lean.wsgi_app, LeanEndpoint)
    assert not isinstance(plain.wsgi_app, LeanEndpoint)
    return lean, plain


def _flask_views(app) -> list[str]:
    """Record each request that reaches Flask's dispatch."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append("flask"))
    return seen


def _graph(turtle: bytes):
    from rdflib import Graph

    return Graph().parse(data=turtle, format="turtle")


def _headers(response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


REQUESTS = [
    ("GET", {"query": QUERY}, {**CURL, "Accept": JSON}, None),
    ("GET", {"query": QUERY}, {**CURL, "Accept": "text/csv", "Accept-Encoding": "gzip, br"}, None),
    (
        "GET",
        {"query": QUERY},
        {**CURL, "Accept": "application/sparql-results+xml, */*;q=0.1"},
        None,
    ),
    ("GET", {"query": "ASK { ?s a dk:AwardEdition }"}, CURL, None),
    (
        "GET",
        {"query": "CONSTRUCT WHERE { ?e a dk:AwardEdition }"},
        {**CURL, "Accept": "text/turtle"},
        None,
    ),
    ("GET", {"query": "SELECT ?x WHERE { BIND(<relative> AS ?x) }"}, CURL, None),
    ("GET", {"query": QUERY, "format": "tsv"}, CURL, None),
    (
        "GET",
        {"query": QUERY, "default-graph-uri": "https://w3id.org/digikommun/graph/ontology"},
        CURL,
        None,
    ),
    ("GET", {"query": QUERY, "If-None-Match": None}, CURL, None),
    ("GET", {}, {**CURL, "Accept": "text/turtle"}, None),  # the Service Description
    ("HEAD", {"query": QUERY}, CURL, None),
    ("POST", {}, {**CURL, "Content-Type": "application/x-www-form-urlencoded"}, {"query": QUERY}),
    ("POST", {}, {**CURL, "Content-Type": "application/sparql-query"}, QUERY),
    (
        "OPTIONS",
        {},
        {"Origin": "https://example.org", "Access-Control-Request-Headers": "Accept"},
        None,
    ),
    # refusals: each with its status and one line
    ("GET", {"query": "SELECT ?x WHERE {"}, CURL, None),  # 400 malformed
    ("GET", {"query": " "}, CURL, None),  # 400 empty
    ("GET", {"query": "INSERT DATA { <a> <b> <c> }"}, CURL, None),  # 403
    ("GET", {"query": QUERY}, {**CURL, "Accept": "image/png"}, None),  # 406
    ("GET", {"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}, CURL, None),  # 400
    ("POST", {}, {**CURL, "Content-Type": "text/plain"}, QUERY),  # 415
    ("PUT", {}, CURL, None),  # 405
]


@pytest.mark.parametrize(("method", "params", "headers", "body"), REQUESTS)
def test_both_adapters_answer_alike(apps, method, params, headers, body) -> None:
    lean, plain = apps
    views = _flask_views(lean)
    answers = []
    for app in (lean, plain):
        query_string = {k: v for k, v in params.items() if v is not None}
        send = dict(headers)
        if "If-None-Match" in params:  # revalidate with the ETag a first GET gave
            first = app.test_client().get("/sparql", query_string=query_string, headers=send)
            send["If-None-Match"] = first.headers["ETag"]
        kwargs = {"data": body} if isinstance(body, dict | str) else {}
        answers.append(
            app.test_client().open(
                "/sparql", method=method, query_string=query_string, headers=send, **kwargs
            )
        )
    ours, theirs = answers
    assert ours.status_code == theirs.status_code
    if "query" in params or method != "GET":
        assert ours.data == theirs.data
    else:  # the Service Description: rdflib names its blank nodes anew in each app
        assert _graph(ours.data).isomorphic(_graph(theirs.data))
    assert _headers(ours) == _headers(theirs)
    assert views == [], "the lean adapter answered /sparql without Flask"
    if ours.status_code >= 400:
        # One line of plain text; a malformed query adds the quoted line and a caret under
        # the spot (issue 25), each line ended.
        assert ours.mimetype == "text/plain" and ours.data.endswith(b"\n")
        lines = ours.data.decode().split("\n")[:-1]
        assert lines[0] and (len(lines) == 1 or lines[0].startswith("Malformed query")), lines
    if "If-None-Match" in params:
        assert ours.status_code == 304 and ours.data == b""
    if "gzip" in headers.get("Accept-Encoding", ""):
        assert ours.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(ours.data).count(b"\n") == 13  # header + 12 editions


def test_the_lean_adapter_hands_browsers_and_pages_to_flask(apps) -> None:
    lean, _ = apps
    views = _flask_views(lean)
    before = lean.wsgi_app.answered
    page = lean.test_client().get(
        "/sparql", query_string={"query": QUERY}, headers={"Accept": BROWSER}
    )
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"yasgui" in page.data.lower() or b"workbench" in page.data.lower()
    assert lean.test_client().get("/healthz").status_code == 200
    assert views == ["flask", "flask"] and lean.wsgi_app.answered == before


def test_no_state_passes_through_the_environ(apps) -> None:
    lean, _ = apps
    seen: list[dict] = []
    inner = lean.wsgi_app.next

    def spy(environ, start_response):
        seen.append(dict(environ))
        return inner(environ, start_response)

    lean.wsgi_app.next = spy
    try:
        client = lean.test_client()
        client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}, headers=CURL)
        client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": BROWSER})
    finally:
        lean.wsgi_app.next = inner
    assert len(seen) == 1, "a failed query is answered by the core, not handed on"
    assert not [key for key in seen[0] if key.startswith("kg")]


def test_the_core_answers_without_any_framework(built: Settings) -> None:
    """The core alone: a request in, a response out."""
    import json

    from kg.store import open_engine

    endpoint = Endpoint(dataclasses.replace(built, cache_entries=4), open_engine(built))
    try:
        query_string = "query=" + QUERY.replace(" ", "+").replace("?", "%3F")
        request = ProtocolRequest("GET", query_string, {"accept": JSON})
        answer = endpoint.handle(request)
        assert answer is not None and answer.status == 200
        rows = json.loads(answer.body)["results"]["bindings"]
        assert len(rows) == 12 and answer.rows == 12
        headers = dict(answer.headers)
        assert (
            headers["Content-Type"].startswith(JSON)
            and headers["Vary"] == "Accept, Accept-Encoding"
        )
        again = endpoint.handle(
            ProtocolRequest("GET", query_string, {"accept": JSON, "if-none-match": headers["ETag"]})
        )
        assert again is not None and again.status == 304 and again.body == b""
        posted = endpoint.handle(
            ProtocolRequest(
                "POST",
                "",
                {"content-type": "application/sparql-query", "accept": "text/csv"},
                body=QUERY.encode(),
            )
        )
        assert posted is not None and posted.status == 200 and posted.body.count(b"\n") == 13
        assert dict(posted.headers)["Cache-Control"] == "no-store"  # POST answers carry no ETag
        too_big = endpoint.handle(
            ProtocolRequest(
                "POST",
                "",
                {"content-type": "application/sparql-query"},
                content_length=built.max_body_bytes + 1,
            )
        )
        assert too_big is not None and too_big.status == 413
        assert (
            endpoint.handle(ProtocolRequest("GET", "query=ASK{}", {"accept": BROWSER})).status
            == 200
        )
    finally:
        endpoint.pool.close()


def test_the_row_cap_reads_the_same_through_both_adapters(built: Settings) -> None:
    from kg import create_app

    settings = for_answers(built, cache_entries=0, max_rows=3)
    lean, plain = create_app(settings), create_app(settings, lean=False)
    answers = [
        app.test_client().get(
            "/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"}
        )
        for app in (lean, plain)
    ]
    assert answers[0].headers["KG-Truncated"] == "3"
    assert answers[0].data == answers[1].data and answers[0].data.count(b"\n") == 4
    assert _headers(answers[0]) == _headers(answers[1])
