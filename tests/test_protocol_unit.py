"""The SPARQL 1.1 Protocol core (kg.web.endpoint.protocol) over a tiny in-memory store.

Quick and direct, for ``make mutation`` (issue 22): each mutant of protocol.py runs pytest
anew, and the tests of test_protocol_core.py need the full build (seconds per process). Here
the core answers over five triples in two named graphs, built in memory in milliseconds, with
the real query pool (real query processes) behind it. Each test reads what a client reads:
the status, the one line of a refusal, the headers, the body.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kg.lexer import shape
from kg.namespaces import SD, VOID
from kg.settings import Settings
from kg.store.embedded import EmbeddedEngine
from kg.web.endpoint import http
from kg.web.endpoint.limits import QueryRejected
from kg.web.endpoint.protocol import (
    Endpoint,
    ProtocolError,
    ProtocolRequest,
    ProtocolResponse,
    QueryRequest,
    choose_format,
    content_type,
    current_url,
    gzip_accepted,
    html_preferred,
    negotiated,
)
from kg.web.endpoint.results import Format

A = "https://example.org/graph/a"
B = "https://example.org/graph/b"
EX = "https://example.org/id/"
JSON = "application/sparql-results+json"
#: Long enough that three rows of SELECT * as JSON pass gzip's threshold (512 bytes).
LONG = "a name long enough to make an answer worth compressing " * 2
#: Every answer's security headers, written out (not read from SECURITY_HEADERS, so that a
#: header dropped there fails here).
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
UPDATE_REFUSED = "This endpoint is read-only: SPARQL Update is not accepted here (use a query)."
ASK_ALL = "query=ASK%20%7B%3Fs%20%3Fp%20%3Fo%7D"  # ASK {?s ?p ?o}
SELECT_ALL = "query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D"  # SELECT * {?s ?p ?o}: 5 rows
RELATIVE = "query=SELECT%20%3Fx%20%7B%20BIND(%3Cr%3E%20AS%20%3Fx)%20%7D"  # BIND(<r> AS ?x)


def tiny_engine(version: str = "v1") -> EmbeddedEngine:
    """Four triples in graph A, one in graph B; the default graph is their union."""
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for n in range(4):
        subject = ox.NamedNode(f"{EX}{n}")
        store.add(ox.Quad(subject, label, ox.Literal(f"{LONG}{n}"), ox.NamedNode(A)))
    store.add(ox.Quad(ox.NamedNode(f"{EX}b"), label, ox.Literal("b"), ox.NamedNode(B)))
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    return EmbeddedEngine(store, version, counts={A: 4, B: 1})


SETTINGS = Settings(
    max_rows=3,
    max_body_bytes=1000,
    max_query_length=300,
    max_query_depth=6,
    query_processes=2,
    cache_entries=64,
)


def make(settings: Settings = SETTINGS, **options) -> Endpoint:
    return Endpoint(settings, tiny_engine(), **options)


@pytest.fixture(scope="module")
def endpoint():
    core = make()
    yield core
    if core._pool is not None:
        core._pool.close()


@pytest.fixture
def fresh():
    """An endpoint of its own, for tests that count cache hits or runs."""
    made: list[Endpoint] = []

    def build(settings: Settings = SETTINGS, **options) -> Endpoint:
        made.append(make(settings, **options))
        return made[-1]

    yield build
    for core in made:
        if core._pool is not None:
            core._pool.close()


def get(query_string: str = "", method: str = "GET", **headers: str) -> ProtocolRequest:
    return ProtocolRequest(
        method, query_string, {k.replace("_", "-"): v for k, v in headers.items()}
    )


def post(
    body: bytes, content: str | None = None, query_string: str = "", **extra
) -> ProtocolRequest:
    headers = dict(extra.pop("headers", {}))
    if content is not None:
        headers["content-type"] = content
    return ProtocolRequest("POST", query_string, headers, body=body, **extra)


def header(response: ProtocolResponse, name: str) -> str | None:
    return dict(response.headers).get(name)


def refusal(endpoint: Endpoint, req: ProtocolRequest) -> tuple[int, str]:
    """A refusal's status and its text, after checking what every refusal carries."""
    response = endpoint.handle(req)
    assert response is not None
    headers = dict(response.headers)
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Vary"] == "Accept, Accept-Encoding"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Length"] == str(len(response.body))
    assert "ETag" not in headers
    for name, value in SECURITY.items():
        assert headers[name] == value, name
    assert response.body.endswith(b"\n")
    return response.status, response.body.decode("utf-8")[:-1]


def rows(response: ProtocolResponse) -> list[dict]:
    return json.loads(response.body)["results"]["bindings"]


def boolean(response: ProtocolResponse) -> bool:
    return json.loads(response.body)["boolean"]


# --- reading the request: refusals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "status", "reason"),
    [
        (get("query=a&query=b"), 400, "The 'query' parameter was given 2 times; give it once."),
        (
            get("query=a&query=b&query=c"),
            400,
            "The 'query' parameter was given 3 times; give it once.",
        ),
        (get("query="), 400, "The 'query' parameter is empty."),
        (get("query=%20%0A%09"), 400, "The 'query' parameter is empty."),
        (get("query=\xff"), 400, "The query string is not valid UTF-8."),
        (get("default-graph-uri=" + A), 400, "Missing the 'query' parameter."),
        (get("named-graph-uri=" + A), 400, "Missing the 'query' parameter."),
        (get("update=CLEAR%20ALL"), 403, UPDATE_REFUSED),
        (get("query=ASK%7B%7D&update=CLEAR%20ALL"), 403, UPDATE_REFUSED),
        (get("query=CLEAR%20ALL"), 403, UPDATE_REFUSED),
        (post(b"CLEAR ALL", "application/sparql-query"), 403, UPDATE_REFUSED),
        (post(b"format=json", "application/x-www-form-urlencoded"), 400,
         "Missing the 'query' parameter."),
        (post(b"CLEAR ALL", "application/sparql-update"), 403, UPDATE_REFUSED),
        (post(b"CLEAR ALL", "Application/SPARQL-Update; charset=utf-8"), 403, UPDATE_REFUSED),
        (post(b"update=CLEAR+ALL", "application/x-www-form-urlencoded"), 403, UPDATE_REFUSED),
        (post(b"query=ASK+%7B%7D&update=CLEAR+ALL", "application/x-www-form-urlencoded"), 403,
         UPDATE_REFUSED),
        (post(b"ASK {}", "application/sparql-query", "update=CLEAR+ALL"), 403, UPDATE_REFUSED),
        (
            post(b"ASK {}", "text/plain"),
            415,
            "POST needs Content-Type application/x-www-form-urlencoded or "
            "application/sparql-query; this request sent 'text/plain'.",
        ),
        (
            post(b"ASK {}", " Text/Plain ; charset=utf-8"),
            415,
            "POST needs Content-Type application/x-www-form-urlencoded or "
            "application/sparql-query; this request sent 'text/plain'.",
        ),
        (
            post(b"ASK {}", None),
            415,
            "POST needs Content-Type application/x-www-form-urlencoded or "
            "application/sparql-query; this request sent no Content-Type.",
        ),
        (
            post(b"ASK {}", "application/sparql-query; charset=latin-1"),
            415,
            "Queries must be sent as UTF-8, not latin-1.",
        ),
        (
            post(b"ASK {}", 'application/sparql-query; foo=bar; Charset = "ISO-8859-1"'),
            415,
            "Queries must be sent as UTF-8, not iso-8859-1.",
        ),
        (
            post(b"ASK {}", "application/sparql-query;foo=bar;charset=latin-1"),
            415,
            "Queries must be sent as UTF-8, not latin-1.",
        ),
        (
            post(b"ASK {}", "application/sparql-query; charset=X-User-Defined"),
            415,
            "Queries must be sent as UTF-8, not x-user-defined.",
        ),
        (
            post(b"ASK {}", "application/sparql-query; charset=utf-8=x"),
            415,
            "Queries must be sent as UTF-8, not utf-8=x.",
        ),
        (
            post(b"query=ASK+%7B%7D", "application/x-www-form-urlencoded; charset=utf-16"),
            415,
            "Queries must be sent as UTF-8, not utf-16.",
        ),
        (
            post(b"ASK {\xff}", "application/sparql-query"),
            400,
            "The query body is not valid UTF-8 (invalid start byte).",
        ),
        (
            post(b"query=ASK+%7B%7D", "application/x-www-form-urlencoded", "query=ASK+%7B%7D"),
            400,
            "A form POST carries the query in its body, not also in the URL.",
        ),
        (
            post(b"ASK {}", "application/sparql-query", "query=ASK+%7B%7D"),
            400,
            "A application/sparql-query POST carries the query as its body; the URL must not "
            "give one.",
        ),
        (
            post(b"", "application/sparql-query", "query=ASK+%7B%7D"),
            400,
            "A application/sparql-query POST carries the query as its body; the URL must not "
            "give one.",
        ),
        (post(b"x" * 1001, "application/sparql-query"), 413,
         "The request body is larger than 1000 bytes."),
        (post(b"ASK {}", "application/sparql-query", content_length=1001), 413,
         "The request body is larger than 1000 bytes."),
        (post(b"x" * 1001, "application/sparql-query", content_length=None), 413,
         "The request body is larger than 1000 bytes."),
        (post(b"x" * 1001, "text/plain"), 413, "The request body is larger than 1000 bytes."),
        (
            get("query=ASK%7B%7D&format=json&output=xml"),
            400,
            "Conflicting format parameters: json, xml.",
        ),
        (
            post(b"format=json&query=ASK+%7B%7D", "application/x-www-form-urlencoded",
                 "format=xml"),
            400,
            "Conflicting format parameters: json, xml.",
        ),
        (
            get("query=ASK%7B%7D&format=tsv"),
            406,
            "format=tsv is not offered here; use one of json, xml or "
            "application/sparql-results+json, application/sparql-results+xml.",
        ),
        (
            get("query=ASK%7B%7D", accept="image/png"),
            406,
            "No acceptable format. Offered: application/sparql-results+json, "
            "application/sparql-results+xml.",
        ),
        (
            get(f"query=ASK%7B%7D&default-graph-uri={EX}nothing"),
            400,
            f"<{EX}nothing> names no graph in this dataset.",
        ),
        (
            get(f"query=ASK%7B%7D&named-graph-uri={EX}nothing"),
            400,
            f"<{EX}nothing> names no graph in this dataset.",
        ),
        (get("query=ASK%7B%00%7D"), 400, "The query contains a NUL character."),
        (
            get("query=ASK%7B" + "%7B" * 7 + "%7D" * 8),
            400,
            "The query nests brackets 8 deep; this endpoint accepts at most 6.",
        ),
        (
            get("query=ASK%7B%7D" + "%20" * 296),
            414,
            "The query is 301 characters long; this endpoint accepts at most 300.",
        ),
        (
            get("query=ASK%7B%7D" + "%20" * 296, method="HEAD"),
            414,
            "The query is 301 characters long; this endpoint accepts at most 300.",
        ),
        (
            post(b"ASK {}" + b" " * 295, "application/sparql-query"),
            413,
            "The query is 301 characters long; this endpoint accepts at most 300.",
        ),
    ],
)  # fmt: skip
def test_a_bad_request_gets_its_status_and_one_plain_line(
    endpoint: Endpoint, req: ProtocolRequest, status: int, reason: str
) -> None:
    assert refusal(endpoint, req) == (status, reason)


def test_a_query_of_exactly_the_length_cap_is_answered(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=ASK%7B%7D" + "%20" * 295))
    assert response.status == 200


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_a_method_the_endpoint_does_not_take_is_405_with_allow(
    endpoint: Endpoint, method: str
) -> None:
    status, reason = refusal(endpoint, ProtocolRequest(method, "query=ASK%7B%7D", {}))
    assert (status, reason) == (
        405,
        f"{method} is not supported here; send the query with GET or POST.",
    )
    response = endpoint.handle(ProtocolRequest(method, "query=ASK%7B%7D", {}))
    assert header(response, "Allow") == "GET, HEAD, POST, OPTIONS"
    assert response.status_line == "405 Method Not Allowed"


def test_options_is_an_empty_204_with_the_preflight_headers(endpoint: Endpoint) -> None:
    response = endpoint.handle(
        ProtocolRequest("OPTIONS", "", {"access-control-request-headers": "Content-Type, Accept"})
    )
    assert (response.status, response.body) == (204, b"")
    assert response.status_line == "204 No Content"
    headers = dict(response.headers)
    assert headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST, OPTIONS"
    assert headers["Access-Control-Allow-Headers"] == "Content-Type, Accept"
    assert headers["Access-Control-Allow-Origin"] == "*"
    for name, value in SECURITY.items():
        assert headers[name] == value, name


def test_options_with_a_query_still_answers_the_preflight(endpoint: Endpoint) -> None:
    response = endpoint.handle(ProtocolRequest("OPTIONS", "query=ASK%7B%7D", {}))
    assert (response.status, response.body) == (204, b"")
    assert header(response, "Access-Control-Allow-Headers") == http.CORS_DEFAULT_HEADERS


def test_a_reason_on_several_lines_is_sent_as_one_line(endpoint: Endpoint) -> None:
    response = endpoint._error(400, "first\n\n  second  \n")
    assert response.body == b"first second\n"
    assert header(response, "Content-Length") == str(len(b"first second\n"))


def test_a_reason_laid_out_on_lines_keeps_them_and_one_final_newline(endpoint: Endpoint) -> None:
    response = endpoint._error(400, "Sentence.\n\n  ASK {\n      ^\n\n", keep_lines=True)
    assert response.body == b"Sentence.\n\n  ASK {\n      ^\n"
    assert header(response, "Content-Length") == str(len(response.body))
    # Only the final line breaks go: the spaces and letters of the last line stay as laid out.
    for reason in ("Sentence.\n\n  1 | ASK {  \n", "Sentence.\n\n  1 | ASK { ?X\n"):
        assert endpoint._error(400, reason, keep_lines=True).body == reason.encode()


def test_an_error_carries_its_extra_headers_before_the_length(endpoint: Endpoint) -> None:
    response = endpoint._error(503, "Busy.", {"Retry-After": "1"})
    assert header(response, "Retry-After") == "1"
    assert header(response, "Content-Length") == "6"
    assert response.status_line == "503 Service Unavailable"


# --- reading the request: what is read ---------------------------------------------------------


def test_a_post_with_the_query_only_in_the_url_means_the_same_get(endpoint: Endpoint) -> None:
    by_get = endpoint.handle(get(ASK_ALL))
    for content in (None, "application/x-www-form-urlencoded"):
        by_post = endpoint.handle(post(b"", content, ASK_ALL))
        assert (by_post.status, by_post.body) == (200, by_get.body), content
        assert header(by_post, "Cache-Control") == "no-store"


def test_a_form_post_reads_its_body_and_the_graphs_in_the_url(endpoint: Endpoint) -> None:
    response = endpoint.handle(
        post(b"query=ASK+%7B%3Fs+%3Fp+%3Fo%7D", "application/x-www-form-urlencoded",
             f"named-graph-uri={A}")
    )  # fmt: skip
    assert response.status == 200
    assert boolean(response) is False  # the default graph is empty: only a named one is given


def test_a_direct_post_reads_the_dataset_and_format_from_the_url(endpoint: Endpoint) -> None:
    response = endpoint.handle(
        post(b"SELECT ?s { ?s ?p ?o }", "application/sparql-query",
             f"default-graph-uri={B}&format=csv")
    )  # fmt: skip
    assert response.status == 200
    assert response.media_type == "text/csv"
    assert response.body == f"s\r\n{EX}b\r\n".encode()


@pytest.mark.parametrize(
    "content",
    [
        "application/sparql-query; charset=UTF-8",
        'application/sparql-query;CHARSET="utf8"',
        "Application/SPARQL-Query ; foo=bar",
        " application/sparql-query",
    ],
)
def test_a_direct_post_is_read_whatever_the_spelling_of_its_type(
    endpoint: Endpoint, content: str
) -> None:
    response = endpoint.handle(post(b"ASK {}", content))
    assert response.status == 200
    assert boolean(response) is True


def test_a_form_post_in_utf8_is_read(endpoint: Endpoint) -> None:
    response = endpoint.handle(
        post(b"query=ASK+%7B%7D", "application/x-www-form-urlencoded; charset=utf8")
    )
    assert response.status == 200


def test_a_direct_post_body_is_read_as_utf8(endpoint: Endpoint) -> None:
    text = 'SELECT ?x { BIND("å" AS ?x) }'.encode()
    response = endpoint.handle(post(text, "application/sparql-query"))
    assert rows(response)[0]["x"]["value"] == "å"


def test_a_query_string_of_raw_utf8_is_read_as_utf8(endpoint: Endpoint) -> None:
    """PEP 3333 hands the query string over as latin-1 text; its bytes are UTF-8."""
    raw = 'query=SELECT ?x { BIND("å" AS ?x) }'.encode().decode("latin-1")
    response = endpoint.handle(get(raw))
    assert rows(response)[0]["x"]["value"] == "å"


def test_a_body_of_exactly_the_cap_is_read(endpoint: Endpoint) -> None:
    form = b"query=ASK+%7B%7D&padding="
    body = form + b"x" * (1000 - len(form))
    response = endpoint.handle(post(body, "application/x-www-form-urlencoded", content_length=1000))
    assert response.status == 200


def test_format_wishes_are_read_once_whatever_the_spelling(endpoint: Endpoint) -> None:
    wanted = endpoint._read(get("query=ASK%7B%7D&format=JSON%20&output=json&format="))
    assert wanted.formats == ("json",)
    response = endpoint.handle(get("query=ASK%7B%7D&format=JSON%20&output=json&format="))
    assert response.media_type == JSON


def test_format_wishes_keep_their_order(endpoint: Endpoint) -> None:
    wanted = endpoint._read(get("query=x&output=csv&format=tsv&format=xml"))
    assert wanted.formats == ("tsv", "xml", "csv")
    assert wanted.query == "x"
    assert (wanted.default_graphs, wanted.named_graphs) == ([], [])


def test_the_dataset_lists_every_graph_given_in_order(endpoint: Endpoint) -> None:
    wanted = endpoint._read(
        get(f"query=x&default-graph-uri={B}&named-graph-uri={A}&default-graph-uri={A}")
    )
    assert wanted.default_graphs == [B, A]
    assert wanted.named_graphs == [A]


def test_the_dataset_is_none_only_when_no_graph_is_named() -> None:
    assert QueryRequest("q").dataset is None
    assert not QueryRequest("q").has_dataset
    assert QueryRequest("q", ["a"], []).dataset == (("a",), ())
    assert QueryRequest("q", ["a"], []).has_dataset
    assert QueryRequest("q", [], ["a"]).dataset == ((), ("a",))
    assert QueryRequest("q", [], ["a"]).has_dataset


# --- answers -----------------------------------------------------------------------------------


def test_an_answer_carries_its_type_caching_cors_and_security_headers(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=ASK%7B%7D"))
    assert response.status_line == "200 OK"
    headers = dict(response.headers)
    assert headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"
    assert response.media_type == JSON
    assert headers["Vary"] == "Accept, Accept-Encoding"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["ETag"].startswith('"v1-')
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Length"] == str(len(response.body))
    for name, value in SECURITY.items():
        assert headers[name] == value, name
    assert "KG-Truncated" not in headers and "Content-Encoding" not in headers
    assert response.body == b'{"head": {}, "boolean": true}'
    assert response.rows == 1


def test_the_default_graph_is_the_union_and_a_dataset_selects(endpoint: Endpoint) -> None:
    count = "query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20%7B%3Fs%20%3Fp%20%3Fo%7D"
    n = lambda r: int(rows(r)[0]["n"]["value"])  # noqa: E731
    assert n(endpoint.handle(get(count))) == 5
    assert n(endpoint.handle(get(f"{count}&default-graph-uri={B}"))) == 1
    assert n(endpoint.handle(get(f"{count}&default-graph-uri={A}&default-graph-uri={B}"))) == 5
    assert n(endpoint.handle(get(f"{count}&named-graph-uri={A}"))) == 0


def test_named_graphs_are_the_ones_given(endpoint: Endpoint) -> None:
    graphs = "query=SELECT%20DISTINCT%20%3Fg%20%7BGRAPH%20%3Fg%20%7B%3Fs%20%3Fp%20%3Fo%7D%7D"
    found = lambda r: {row["g"]["value"] for row in rows(r)}  # noqa: E731
    assert found(endpoint.handle(get(f"{graphs}&named-graph-uri={B}"))) == {B}
    assert found(endpoint.handle(get(f"{graphs}&default-graph-uri={B}"))) == set()
    assert found(endpoint.handle(get(graphs))) == {A, B}


def test_a_posted_query_is_not_cached_by_clients(endpoint: Endpoint) -> None:
    response = endpoint.handle(post(b"ASK {}", "application/sparql-query"))
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "ETag") is None


def test_head_gets_the_headers_of_get_and_no_body(endpoint: Endpoint) -> None:
    by_get = endpoint.handle(get(SELECT_ALL))
    by_head = endpoint.handle(get(SELECT_ALL, method="HEAD"))
    assert by_head.status == 200 and by_head.body == b""
    assert header(by_head, "Content-Length") == str(len(by_get.body))
    assert header(by_head, "ETag") == header(by_get, "ETag")
    assert header(by_head, "KG-Truncated") == "3"


def test_head_without_a_query_gets_the_service_descriptions_headers(endpoint: Endpoint) -> None:
    by_get = endpoint.handle(get(accept="text/turtle"))
    by_head = endpoint.handle(get(method="HEAD", accept="text/turtle"))
    assert by_head.status == 200 and by_head.body == b""
    assert header(by_head, "Content-Length") == str(len(by_get.body))


def test_a_truncated_answer_says_at_what_cap(endpoint: Endpoint) -> None:
    response = endpoint.handle(get(SELECT_ALL))
    assert response.status == 200
    assert header(response, "KG-Truncated") == "3"
    assert len(rows(response)) == 3
    assert response.rows == 3


def test_an_answer_within_the_cap_is_not_marked_truncated(endpoint: Endpoint) -> None:
    response = endpoint.handle(get(f"{SELECT_ALL}&default-graph-uri={B}"))
    assert len(rows(response)) == 1
    assert header(response, "KG-Truncated") is None


def test_a_gzip_answer_is_marked_and_unpacks_to_the_plain_one(endpoint: Endpoint) -> None:
    plain = endpoint.handle(get(SELECT_ALL))
    packed = endpoint.handle(get(SELECT_ALL, accept_encoding="gzip, deflate"))
    assert header(packed, "Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert header(packed, "Content-Length") == str(len(packed.body))
    assert header(packed, "ETag") != header(plain, "ETag")
    assert header(packed, "KG-Truncated") == "3"
    assert packed.rows == 3
    etag = header(packed, "ETag")
    assert etag.startswith('"v1-') and etag.endswith('"')
    again = endpoint.handle(get(SELECT_ALL, accept_encoding="gzip", if_none_match=etag))
    assert again.status == 304


def test_a_small_answer_is_not_compressed_even_when_gzip_is_accepted(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=ASK%7B%7D", accept_encoding="gzip"))
    assert header(response, "Content-Encoding") is None
    assert boolean(response) is True


def test_a_graph_answer_is_compressed_by_the_worker_when_accepted(endpoint: Endpoint) -> None:
    """JSON-LD is written in the web worker (the query process leaves it to it)."""
    query = "query=CONSTRUCT%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D&format=jsonld"
    plain = endpoint.handle(get(query))
    packed = endpoint.handle(get(query, accept_encoding="gzip"))
    assert plain.media_type == packed.media_type == "application/ld+json"
    assert header(packed, "Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body


def test_a_construct_answer_is_a_graph_in_the_format_asked(endpoint: Endpoint) -> None:
    query = f"query=CONSTRUCT%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D&default-graph-uri={B}"
    response = endpoint.handle(get(query, accept="application/n-triples"))
    assert response.media_type == "application/n-triples"
    assert response.body.decode().strip() == (
        f'<{EX}b> <http://www.w3.org/2000/01/rdf-schema#label> "b" .'
    )


def test_the_format_parameter_wins_over_accept(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=ASK%7B%7D&format=xml", accept=JSON))
    assert response.media_type == "application/sparql-results+xml"


def test_accept_is_negotiated_with_qualities_and_aliases(endpoint: Endpoint) -> None:
    by_quality = endpoint.handle(
        get(SELECT_ALL, accept="text/csv;q=0.5, text/tab-separated-values")
    )
    assert by_quality.media_type == "text/tab-separated-values"
    by_alias = endpoint.handle(get(SELECT_ALL, accept="text/xml"))
    assert by_alias.media_type == "application/sparql-results+xml"


def test_a_matching_etag_gets_304_and_another_does_not(endpoint: Endpoint) -> None:
    etag = header(endpoint.handle(get("query=ASK%7B%7D")), "ETag")
    again = endpoint.handle(get("query=ASK%7B%7D", if_none_match=etag))
    assert again.status == 304 and again.body == b""
    assert again.status_line == "304 Not Modified"
    headers = dict(again.headers)
    assert headers["ETag"] == etag
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["Vary"] == "Accept, Accept-Encoding"
    assert headers["Access-Control-Allow-Origin"] == "*"
    for name, value in SECURITY.items():
        assert headers[name] == value, name
    other = endpoint.handle(get("query=ASK%7B%7D", if_none_match='"other"'))
    assert other.status == 200


def test_a_head_with_a_matching_etag_gets_304(endpoint: Endpoint) -> None:
    etag = header(endpoint.handle(get("query=ASK%7B%7D")), "ETag")
    assert endpoint.handle(get("query=ASK%7B%7D", "HEAD", if_none_match=etag)).status == 304


def test_if_none_match_star_does_not_hide_a_refusal(endpoint: Endpoint) -> None:
    assert refusal(endpoint, get("query=ASK%7B", if_none_match="*"))[0] == 400
    assert endpoint.handle(get("query=ASK%7B%7D", if_none_match="*")).status == 304


def test_a_posted_query_ignores_if_none_match(endpoint: Endpoint) -> None:
    etag = header(endpoint.handle(get("query=ASK%7B%7D")), "ETag")
    response = endpoint.handle(
        post(b"ASK {}", "application/sparql-query", headers={"if-none-match": etag})
    )
    assert response.status == 200
    assert boolean(response) is True


def test_the_etag_tells_apart_what_selects_the_representation(endpoint: Endpoint) -> None:
    base = "query=ASK%7B%7D"
    variants = [
        get(base),
        get(f"{base}&default-graph-uri={A}"),
        get(f"{base}&named-graph-uri={A}"),
        get(f"{base}&default-graph-uri={A}&named-graph-uri={B}"),
        get(f"{base}&default-graph-uri={B}&named-graph-uri={A}"),
        get("query=ASK%7B%20%7D"),
        get(f"{base}&format=xml"),
        dataclasses.replace(get(base), host="example.org"),
    ]
    etags = [header(endpoint.handle(req), "ETag") for req in variants]
    assert None not in etags
    assert len(set(etags)) == len(etags)


def test_a_named_graph_does_not_get_the_cached_answer_of_the_same_default_graph(
    endpoint: Endpoint,
) -> None:
    """Issue 22: with the dataset flattened in the key, the second answered the first's true."""
    as_default = endpoint.handle(get(f"{ASK_ALL}&default-graph-uri={A}"))
    as_named = endpoint.handle(get(f"{ASK_ALL}&named-graph-uri={A}"))
    assert boolean(as_default) is True
    assert boolean(as_named) is False  # no default graph is named


def test_relative_iris_resolve_against_the_endpoints_url(endpoint: Endpoint) -> None:
    req = dataclasses.replace(get(RELATIVE), scheme="https", host="data.example", root_path="/kg")
    response = endpoint.handle(req)
    assert rows(response)[0]["x"]["value"] == "https://data.example/kg/r"


def test_the_public_url_replaces_the_request_url_behind_a_proxy(fresh) -> None:
    core = fresh(dataclasses.replace(SETTINGS, public_url="https://data.example/kg/"))
    assert core.endpoint_url(get()) == "https://data.example/kg/sparql"
    response = core.handle(get(RELATIVE))
    assert rows(response)[0]["x"]["value"] == "https://data.example/kg/r"
    plain = fresh(dataclasses.replace(SETTINGS, public_url="https://data.example/LINX"))
    assert (
        plain.endpoint_url(dataclasses.replace(get(), path="/q")) == "https://data.example/LINX/q"
    )


def test_without_a_public_url_the_endpoint_is_the_request_url(endpoint: Endpoint) -> None:
    req = ProtocolRequest("GET", "", {}, scheme="https", host="data.example:8443",
                          root_path="/kg", path="/sparql")  # fmt: skip
    assert endpoint.endpoint_url(req) == "https://data.example:8443/kg/sparql"
    assert current_url("http", "h", "", "/sparql") == "http://h/sparql"


def test_an_engine_failure_is_a_500_with_one_line_and_is_logged(
    fresh, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    core = fresh()

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is gone\nsecond line")

    monkeypatch.setattr(core.pool, "query", fail)
    with caplog.at_level(logging.ERROR, logger="kg.web.endpoint.protocol"):
        status, reason = refusal(core, get("query=ASK%7B%7D"))
    assert (status, reason) == (
        500,
        "The query could not be evaluated: the disk is gone second line",
    )
    assert [r.getMessage() for r in caplog.records] == [f"query {http.query_hash('ASK{}')} failed"]
    assert caplog.records[0].exc_info is not None


def test_a_syntax_error_is_explained_with_a_caret_in_the_clients_language(
    endpoint: Endpoint,
) -> None:
    """The parser (in the query process) finds it; the worker says it in words."""
    text = "query=SELECT%20*%20%7B%20foo%3Ax%20%3Fp%20%3Fo%20%7D"  # SELECT * { foo:x ?p ?o }
    status, english = refusal(endpoint, get(text))
    assert status == 400
    assert english.startswith(
        "Malformed query (line 1, column 12): The prefix `foo:` is not declared."
    )
    assert english.endswith("\n\n   1 | SELECT * { foo:x ?p ?o }\n     |            ^")
    swedish = refusal(endpoint, get(text, accept_language="sv"))[1]
    assert swedish.startswith("Felaktig fråga (rad 1, kolumn 12): Prefixet `foo:` är inte")
    assert swedish.endswith("\n\n   1 | SELECT * { foo:x ?p ?o }\n     |            ^")


def test_a_lexical_error_is_explained_with_a_caret_in_the_clients_language(
    endpoint: Endpoint,
) -> None:
    """The query gate in the worker finds it, before any parser runs."""
    text = "query=SELEC%20*%20%7B%7D"  # SELEC * {}
    status, english = refusal(endpoint, get(text))
    assert (status, english) == (
        400,
        "Malformed query (line 1, column 1): `SELEC` is not a SPARQL 1.1 keyword. "
        "Did you mean `SELECT`?\n\n   1 | SELEC * {}\n     | ^",
    )
    swedish = refusal(endpoint, get(text, accept_language="sv;q=1, en;q=0.5"))[1]
    assert swedish.startswith("Felaktig fråga (rad 1, kolumn 1): `SELEC` är inget nyckelord")
    assert swedish.endswith("\n\n   1 | SELEC * {}\n     | ^")


def test_an_error_answer_still_names_its_query_for_the_log(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=ASK%7B%7D&format=tsv"))
    assert response.status == 406
    assert response.query_hash == http.query_hash("ASK{}")
    assert response.answer_key is None
    assert response.rows == "-"


# --- the answer cache and the memo of readings ---------------------------------------------------


def test_a_repeated_query_is_answered_from_the_cache_without_running_again(fresh) -> None:
    core = fresh()
    first = core.handle(get(SELECT_ALL))
    runs = core.pool.process_runs
    by_post = core.handle(post(b"SELECT * {?s ?p ?o}", "application/sparql-query"))
    assert core.pool.process_runs == runs
    assert by_post.body == first.body
    assert header(by_post, "KG-Truncated") == "3"
    assert core.answers.hits == 1


def test_a_repeated_get_is_answered_from_the_memo_with_its_hash(fresh) -> None:
    core = fresh()
    first = core.handle(get("query=ASK%7B%20%7D"))
    hits = core.readings.hits
    second = core.handle(get("query=ASK%7B%20%7D"))
    assert core.readings.hits == hits + 1
    assert second.body == first.body
    assert dict(second.headers) == dict(first.headers)
    assert second.query_hash == first.query_hash == http.query_hash("ASK{ }")
    assert second.answer_key == first.answer_key is not None
    assert second.rows == first.rows == 1


def test_a_refused_get_is_read_again_each_time(fresh) -> None:
    core = fresh()
    for _ in range(2):
        assert core.handle(get("query=ASK%7B%7D&format=tsv")).status == 406
    assert core.readings.hits == 0


def test_a_post_never_takes_a_gets_reading(fresh) -> None:
    core = fresh()
    assert header(core.handle(get(ASK_ALL)), "ETag") is not None
    by_post = core.handle(post(b"", None, ASK_ALL))
    assert header(by_post, "ETag") is None
    assert header(by_post, "Cache-Control") == "no-store"
    assert core.readings.hits == 0


def test_a_get_with_if_none_match_is_not_answered_from_the_memo(fresh) -> None:
    core = fresh()
    etag = header(core.handle(get(ASK_ALL)), "ETag")
    assert core.handle(get(ASK_ALL, if_none_match=etag)).status == 304
    assert core.readings.hits == 0


def test_a_remembered_reading_whose_answer_was_dropped_is_run_again(fresh) -> None:
    core = fresh(dataclasses.replace(SETTINGS, cache_entries=1))
    first = core.handle(get(ASK_ALL))
    core.handle(post(b"ASK {}", "application/sparql-query"))  # takes the one answer place
    again = core.handle(get(ASK_ALL))
    assert again.status == 200 and again.body == first.body
    assert header(again, "ETag") == header(first, "ETag")
    assert core.readings.hits == 1  # the POST took no place in the memo of readings


def test_a_new_build_is_never_answered_with_the_old_ones_answer(fresh) -> None:
    core = fresh()
    old = core.handle(get(ASK_ALL))
    core.engine.version = "v2"
    new = core.handle(get(ASK_ALL))
    assert header(old, "ETag").startswith('"v1-')
    assert header(new, "ETag").startswith('"v2-')


@pytest.mark.parametrize(
    ("change", "read"),
    [
        ({"scheme": "https"}, lambda r: rows(r)[0]["x"]["value"]),
        ({"host": "example.org"}, lambda r: rows(r)[0]["x"]["value"]),
        ({"root_path": "/b"}, lambda r: rows(r)[0]["x"]["value"]),
        ({"path": "/x/sparql"}, lambda r: rows(r)[0]["x"]["value"]),
        ({"headers": {"accept": "text/csv"}}, lambda r: r.media_type),
        ({"headers": {"accept-encoding": "gzip"}}, lambda r: header(r, "ETag")),
        ({"query_string": RELATIVE + "%20"}, lambda r: r.query_hash),
    ],
)
def test_the_memo_of_readings_tells_apart_every_part_a_reading_depends_on(
    fresh, change: dict, read
) -> None:
    """Issue 22: keyed without the root path, a GET under /a answered with /b's reading."""
    core = fresh()
    req = get(RELATIVE)
    first = core.handle(req)
    other = core.handle(dataclasses.replace(req, **change))
    assert read(first) != read(other)
    assert read(other) == read(fresh().handle(dataclasses.replace(req, **change)))


# --- the Service Description ----------------------------------------------------------------------


def description(response: ProtocolResponse) -> Graph:
    body = response.body
    if header(response, "Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return Graph().parse(data=body, format=response.media_type)


def test_the_service_description_answers_a_get_without_query(endpoint: Endpoint) -> None:
    response = endpoint.handle(get(accept="text/turtle"))
    assert response.status == 200
    assert response.media_type == "text/turtle"
    assert header(response, "Content-Type") == "text/turtle; charset=utf-8"
    assert header(response, "Cache-Control") == "public, max-age=300"
    assert header(response, "KG-Truncated") is None
    assert response.rows == "-"
    graph = description(response)
    service = next(graph.subjects(RDF.type, SD.Service))
    assert (service, SD.endpoint, URIRef("http://localhost/sparql")) in graph
    sizes = {int(o) for o in graph.objects(None, VOID.triples)}
    assert {5, 4, 1} <= sizes  # the union's count, and each graph's
    assert (None, VOID.triples, Literal(5)) in graph


def test_the_service_description_is_offered_in_every_graph_format(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("format=rdfxml"))
    assert response.media_type == "application/rdf+xml"
    assert (None, SD.endpoint, URIRef("http://localhost/sparql")) in description(response)
    by_accept = endpoint.handle(get(accept="application/n-triples"))
    assert by_accept.media_type == "application/n-triples"
    assert refusal(endpoint, get("format=csv"))[0] == 406


def test_the_service_description_names_the_url_the_client_used(endpoint: Endpoint) -> None:
    req = dataclasses.replace(get(accept="text/turtle"), scheme="https", host="x.example")
    graph = description(endpoint.handle(req))
    assert (None, SD.endpoint, URIRef("https://x.example/sparql")) in graph


def test_the_service_description_is_compressed_when_accepted(endpoint: Endpoint) -> None:
    plain = endpoint.handle(get(accept="text/turtle"))
    packed = endpoint.handle(get(accept="text/turtle", accept_encoding="gzip"))
    assert header(packed, "Content-Encoding") == "gzip"
    assert isomorphic(description(packed), description(plain))
    assert header(plain, "Content-Encoding") is None


def test_the_service_description_is_kept_and_revalidated(fresh) -> None:
    core = fresh()
    first = core.handle(get(accept="text/turtle"))
    second = core.handle(get(accept="text/turtle"))
    assert core.answers.hits == 1
    assert second.body == first.body
    etag = header(first, "ETag")
    again = core.handle(get(accept="text/turtle", if_none_match=f'"x", W/{etag}'))
    assert again.status == 304 and header(again, "ETag") == etag


def test_the_service_descriptions_etag_tells_apart_what_it_depends_on(fresh) -> None:
    core = fresh()
    turtle = get(accept="text/turtle")
    etags = [
        header(core.handle(req), "ETag")
        for req in (
            turtle,
            get(accept="application/rdf+xml"),
            get(accept="text/turtle", accept_encoding="gzip"),
            dataclasses.replace(turtle, host="other.example"),
        )
    ]
    federating = fresh(dataclasses.replace(SETTINGS, service_allowlist=("https://x.example/q",)))
    etags.append(header(federating.handle(turtle), "ETag"))
    core.engine.version = "v2"
    etags.append(header(core.handle(turtle), "ETag"))
    assert None not in etags
    assert len(set(etags)) == len(etags)
    assert etags[-1].startswith('"v2-')


def test_a_new_build_describes_its_own_size(fresh) -> None:
    core = fresh()
    core.handle(get(accept="text/turtle"))
    core.engine = tiny_engine("v2")
    core.engine._store.add(
        ox.Quad(ox.NamedNode(f"{EX}c"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}d"))
    )
    graph = description(core.handle(get(accept="text/turtle")))
    assert (None, VOID.triples, Literal(6)) in graph


# --- the workbench ------------------------------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_the_workbench_only_when_there_is_one(fresh) -> None:
    with_page = fresh(workbench=lambda: True)
    assert with_page.handle(get(accept=BROWSER)) is None
    assert with_page.handle(get("query=ASK%7B%7D", accept=BROWSER)) is None
    assert with_page.handle(get("query=ASK%7B%7D&format=json", accept=BROWSER)).status == 200
    assert with_page.handle(get("query=ASK%7B%7D", accept=JSON)).status == 200
    assert with_page.handle(get(accept="text/turtle")).status == 200
    without = fresh()
    assert without.handle(get(accept=BROWSER)).status == 200
    assert without.handle(get("query=ASK%7B%7D", accept=BROWSER)).status == 200


def test_a_browser_posting_a_query_gets_the_answer(fresh) -> None:
    with_page = fresh(workbench=lambda: True)
    response = with_page.handle(post(b"ASK {}", "application/sparql-query",
                                     headers={"accept": BROWSER}))  # fmt: skip
    assert response.status == 200
    assert with_page.handle(get("query=ASK%7B%7D", "HEAD", accept=BROWSER)).status == 200


def test_the_workbench_weighs_html_against_the_formats_of_what_is_asked(fresh) -> None:
    """Without a query a browser is weighed against the graph formats of the description;
    with one, against every format an answer could take."""
    with_page = fresh(workbench=lambda: True)
    accept = "text/html;q=0.5, application/sparql-results+json"
    assert with_page.handle(get(accept=accept)) is None
    assert with_page.handle(get("query=ASK%7B%7D", accept=accept)).status == 200


# --- pure helpers ------------------------------------------------------------------------------


def test_a_format_not_offered_names_what_is() -> None:
    with pytest.raises(ProtocolError) as caught:
        choose_format("graph", ("csv",), None)
    assert caught.value.status == 406
    assert caught.value.reason == (
        "format=csv is not offered here; use one of turtle, ntriples, rdfxml, jsonld, trig, "
        "nquads or text/turtle, application/n-triples, application/rdf+xml, "
        "application/ld+json, application/trig, application/n-quads."
    )


def test_no_acceptable_format_lists_the_offered_ones() -> None:
    with pytest.raises(ProtocolError) as caught:
        choose_format("select", (), "image/png")
    assert caught.value.status == 406
    assert caught.value.reason == (
        "No acceptable format. Offered: application/sparql-results+json, "
        "application/sparql-results+xml, text/csv, text/tab-separated-values."
    )


@pytest.mark.parametrize(
    ("kind", "wanted", "media_type"),
    [
        ("select", ("json", "application/sparql-results+json", "srj"), JSON),
        ("select", ("application/json",), JSON),
        ("select", ("tsv",), "text/tab-separated-values"),
        ("ask", ("srx",), "application/sparql-results+xml"),
        ("graph", ("json",), "application/ld+json"),
        ("graph", ("nt",), "application/n-triples"),
        ("graph", ("text/plain",), "application/n-triples"),
    ],
)
def test_a_format_is_named_by_its_media_type_names_or_aliases(
    kind: str, wanted: tuple, media_type: str
) -> None:
    assert choose_format(kind, wanted, "image/png").media_type == media_type


def test_two_different_formats_conflict() -> None:
    with pytest.raises(ProtocolError) as caught:
        choose_format("select", ("csv", "json"), None)
    assert (caught.value.status, caught.value.reason) == (
        400,
        "Conflicting format parameters: csv, json.",
    )


@pytest.mark.parametrize(
    ("kind", "accept", "media_type"),
    [
        ("select", None, JSON),
        ("select", "*/*", JSON),
        ("select", "application/json", JSON),
        ("select", "text/csv, */*;q=0.1", "text/csv"),
        ("ask", "text/xml", "application/sparql-results+xml"),
        ("graph", None, "text/turtle"),
        ("graph", "application/x-turtle", "text/turtle"),
        ("graph", "application/json", "application/ld+json"),
        ("graph", "text/plain", "application/n-triples"),
    ],
)
def test_accept_chooses_among_the_offered_formats_and_their_aliases(
    kind: str, accept: str | None, media_type: str
) -> None:
    assert negotiated(kind, accept).media_type == media_type
    assert choose_format(kind, (), accept).media_type == media_type


def test_nothing_acceptable_is_none() -> None:
    assert negotiated("ask", "text/csv") is None


def test_html_is_preferred_only_over_every_offered_format() -> None:
    assert html_preferred("graph", "text/html")
    assert not html_preferred("graph", "text/html;q=0.5, text/turtle")
    assert not html_preferred("graph", "text/html, text/turtle")  # a tie is no preference
    assert html_preferred("select", "application/xhtml+xml, */*;q=0.1")
    assert html_preferred("select", "text/html;q=0.2, application/xhtml+xml, */*;q=0.1")
    assert html_preferred("graph", "text/html, text/csv")
    assert not html_preferred("select", "text/html;q=0.9, text/csv")
    assert not html_preferred("select", None)


def test_gzip_is_accepted_only_when_offered() -> None:
    assert gzip_accepted("gzip")
    assert gzip_accepted("deflate, gzip;q=0.5")
    assert not gzip_accepted("gzip;q=0")
    assert not gzip_accepted(None)
    assert not gzip_accepted("br")


def test_a_text_format_names_its_charset_and_a_binary_one_does_not() -> None:
    assert content_type(choose_format("select", ("json",), None)) == (
        "application/sparql-results+json; charset=utf-8"
    )
    binary = Format("application/x-binary-results", ("bin",), "urn:x", charset=False)
    assert content_type(binary) == "application/x-binary-results"


def test_status_lines_and_media_types_as_the_access_log_reads_them() -> None:
    assert ProtocolResponse(299, []).status_line == "299 Unknown"
    assert ProtocolResponse(415, []).status_line == "415 Unsupported Media Type"
    assert ProtocolResponse(200, []).media_type == "-"
    typed = ProtocolResponse(200, [("X", "y"), ("Content-Type", "text/csv; charset=utf-8")])
    assert typed.media_type == "text/csv"


def test_a_protocol_error_says_its_reason() -> None:
    err = ProtocolError(400, "why")
    assert (str(err), err.status, err.reason, err.headers, err.keep_lines) == (
        "why",
        400,
        "why",
        {},
        False,
    )
    assert ProtocolError(503, "busy", {"Retry-After": "1"}).headers == {"Retry-After": "1"}


def test_a_request_header_is_read_by_its_lower_case_name() -> None:
    req = get(accept="text/csv")
    assert req.header("accept") == "text/csv"
    assert req.header("accept-language") is None


def test_the_pool_is_made_once_on_first_use(fresh) -> None:
    core = fresh()
    assert core._pool is None
    pool = core.pool
    assert core.pool is pool


def test_a_post_without_a_body_is_never_too_large(fresh) -> None:
    core = fresh(dataclasses.replace(SETTINGS, max_body_bytes=0))
    assert core.handle(post(b"", None, ASK_ALL)).status == 200
    assert refusal(core, post(b"ASK {}", "application/sparql-query"))[0] == 413


def test_a_busy_pools_refusal_keeps_its_retry_after(fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    core = fresh()

    def busy(*args, **kwargs):
        raise QueryRejected(
            503, "Every query process is busy; please try again shortly.", {"Retry-After": "1"}
        )

    monkeypatch.setattr(core.pool, "query", busy)
    response = core.handle(get("query=ASK%7B%7D"))
    assert (response.status, response.body) == (
        503,
        b"Every query process is busy; please try again shortly.\n",
    )
    assert header(response, "Retry-After") == "1"
    assert refusal(core, get("query=ASK%7B%7D"))[0] == 503


def test_a_refusal_quoting_the_clients_words_is_not_read_as_a_lexical_error(
    endpoint: Endpoint,
) -> None:
    """Only the gate's own "Malformed query" refusals are explained with a caret; a graph
    name that looks like one is repeated as it was given."""
    name = "urn:example:abcdSELEC at line 1, column 1 is not a SPARQL 1.1 keyword"
    query = f"query=ASK%7B%7D&default-graph-uri={name.replace(' ', '%20')}"
    assert refusal(endpoint, get(query)) == (400, f"<{name}> names no graph in this dataset.")


def test_a_select_answer_is_the_compact_json_the_query_process_writes(endpoint: Endpoint) -> None:
    """Oxigraph writes SPARQL JSON in the query process, without spaces: every worker sends
    the same bytes for the same ETag, and the worker does no serialising of its own."""
    response = endpoint.handle(get(f"{SELECT_ALL}&default-graph-uri={B}"))
    assert response.body == (
        b'{"head":{"vars":["o","p","s"]},"results":{"bindings":[{"o":{"type":"literal",'
        b'"value":"b"},"p":{"type":"uri","value":"http://www.w3.org/2000/01/rdf-schema#label"},'
        b'"s":{"type":"uri","value":"https://example.org/id/b"}}]}}'
    )


@pytest.mark.parametrize(
    ("query_string", "accept"),
    [("query=ASK%7B%7D&format=xml", JSON), ("query=ASK%7B%7D", "application/sparql-results+xml")],
)
def test_an_answer_of_another_kind_than_guessed_is_written_in_a_format_of_its_own(
    endpoint: Endpoint, query_string: str, accept: str
) -> None:
    """Should the gate's lexer name a query's form wrongly, the format chosen for the guessed
    kind may not fit the real one (CSV for an ASK): the query process then leaves the answer
    unwritten, and the worker chooses again for the real kind, from the same wishes."""
    csv = choose_format("select", ("csv",), None)
    req = get(query_string, accept=accept)
    stored = endpoint._run(
        req, endpoint._read(req), "ASK {}", shape("ASK {}"), csv, "http://localhost/sparql",
        '"e"', False,
    )  # fmt: skip
    assert stored.content_type == "application/sparql-results+xml; charset=utf-8"
    assert b"<boolean>true</boolean>" in stored.body
    assert (stored.etag, stored.rows, stored.gzip) == ('"e"', 1, False)


def test_an_answer_written_by_the_worker_is_compressed_by_it_when_asked(
    endpoint: Endpoint,
) -> None:
    """The fallback above, for a SELECT taken for a CONSTRUCT: the worker writes the JSON
    itself, and compresses it as the client accepts (the query process could not)."""
    turtle = choose_format("graph", ("turtle",), None)
    text = "SELECT * {?s ?p ?o}"
    req = get(SELECT_ALL, accept_encoding="gzip")
    stored = endpoint._run(
        req, endpoint._read(req), text, shape(text), turtle, "http://localhost/sparql", '"e"',
        True,
    )  # fmt: skip
    assert stored.content_type == "application/sparql-results+json; charset=utf-8"
    assert stored.gzip is True
    assert len(json.loads(gzip.decompress(stored.body))["results"]["bindings"]) == 3
    assert (stored.rows, stored.truncated) == (3, True)
