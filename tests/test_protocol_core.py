"""The framework-free protocol core (kg.web.endpoint.protocol.Endpoint) driven directly, request by
request.

The Flask-level tests (test_protocol.py) check the answers; these check the core's own rules,
each in the words a client reads: how a request is read and refused, which headers an answer
carries, and what the memo of readings and the answer cache are keyed by. Issue 22: a reading
memo keyed without the root path, a dataset flattened in the key, and a header dropped from
the answers each left the suite green.
"""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest

from kg.settings import Settings
from kg.store import bare, open_engine
from kg.web.endpoint import http
from kg.web.endpoint.protocol import (
    ALLOWED_METHODS,
    Endpoint,
    ProtocolError,
    ProtocolRequest,
    ProtocolResponse,
    QueryRequest,
    choose_format,
    content_type,
    html_preferred,
)

ASK = "ASK { ?s ?p ?o }"
GRAPH = "https://w3id.org/digikommun/graph/ontology"
#: The security headers every answer carries (kg.web.endpoint.security), written out here rather
#: than read from SECURITY_HEADERS: a header dropped there must fail this test, not vanish from it.
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def endpoint(built: Settings):
    settings = dataclasses.replace(built, max_body_bytes=1000, max_rows=3, query_processes=2)
    core = Endpoint(settings, bare(open_engine(settings)))
    yield core
    if core._pool is not None:
        core._pool.close()


def get(query_string: str = "", **headers: str) -> ProtocolRequest:
    return ProtocolRequest(
        "GET", query_string, {k.replace("_", "-"): v for k, v in headers.items()}
    )


def post(body: bytes, content: str | None, query_string: str = "", **extra) -> ProtocolRequest:
    headers = {"content-type": content} if content is not None else {}
    return ProtocolRequest("POST", query_string, headers, body=body, **extra)


def refusal(endpoint: Endpoint, req: ProtocolRequest) -> tuple[int, str]:
    response = endpoint.handle(req)
    assert response is not None
    headers = dict(response.headers)
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Length"] == str(len(response.body))
    for name, value in SECURITY.items():
        assert headers[name] == value, name
    return response.status, response.body.decode().rstrip("\n")


def header(response: ProtocolResponse, name: str) -> str | None:
    return dict(response.headers).get(name)


# --- reading and refusing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "status", "reason"),
    [
        (get("query=a&query=b"), 400, "The 'query' parameter was given 2 times; give it once."),
        (get("query="), 400, "The 'query' parameter is empty."),
        (get("query=%20%0A"), 400, "The 'query' parameter is empty."),
        (get("query=\xff"), 400, "The query string is not valid UTF-8."),
        (get("default-graph-uri=urn:g"), 400, "Missing the 'query' parameter."),
        (get("named-graph-uri=urn:g"), 400, "Missing the 'query' parameter."),
        (
            get("update=CLEAR%20ALL"),
            403,
            "This endpoint is read-only: SPARQL Update is not accepted here (use a query).",
        ),
        (
            get("query=CLEAR%20ALL"),
            403,
            "This endpoint is read-only: SPARQL Update is not accepted here (use a query).",
        ),
        (
            post(b"format=json", "application/x-www-form-urlencoded"),
            400,
            "Missing the 'query' parameter.",
        ),
        (
            post(b"CLEAR ALL", "application/sparql-update"),
            403,
            "This endpoint is read-only: SPARQL Update is not accepted here (use a query).",
        ),
        (
            post(b"update=CLEAR+ALL", "application/x-www-form-urlencoded"),
            403,
            "This endpoint is read-only: SPARQL Update is not accepted here (use a query).",
        ),
        (
            post(b"ASK {}", "text/plain"),
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
            post(b"x" * 1001, "application/sparql-query"),
            413,
            "The request body is larger than 1000 bytes.",
        ),
        (
            post(b"ASK {}", "application/sparql-query", content_length=1001),
            413,
            "The request body is larger than 1000 bytes.",
        ),
        (get("query=ASK%7B%7D&format=tsv"), 406, None),
        (
            get("query=ASK%7B%7D&format=json&output=xml"),
            400,
            "Conflicting format parameters: json, xml.",
        ),
    ],
    ids=lambda value: value if isinstance(value, int) else None,
)
def test_a_bad_request_gets_its_status_and_one_plain_line(
    endpoint: Endpoint, req: ProtocolRequest, status: int, reason: str | None
) -> None:
    got_status, got_reason = refusal(endpoint, req)
    assert got_status == status
    if reason is not None:
        assert got_reason == reason


def test_a_body_of_exactly_the_cap_is_read(endpoint: Endpoint) -> None:
    text = ("ASK {}" + " " * 1000)[:1000].encode()
    response = endpoint.handle(post(text, "application/sparql-query", content_length=1000))
    assert response.status == 200


def test_a_method_the_endpoint_does_not_take_is_405_with_allow(endpoint: Endpoint) -> None:
    response = endpoint.handle(ProtocolRequest("PUT", "query=ASK%7B%7D", {}))
    assert response.status == 405
    assert header(response, "Allow") == ALLOWED_METHODS == "GET, HEAD, POST, OPTIONS"
    assert response.body == b"PUT is not supported here; send the query with GET or POST.\n"


def test_options_is_an_empty_204_with_the_preflight_headers(endpoint: Endpoint) -> None:
    response = endpoint.handle(
        ProtocolRequest("OPTIONS", "", {"access-control-request-headers": "Content-Type"})
    )
    assert (response.status, response.body) == (204, b"")
    assert header(response, "Access-Control-Allow-Methods") == "GET, HEAD, POST, OPTIONS"
    assert header(response, "X-Frame-Options") == "DENY"
    assert response.status_line == "204 No Content"


def test_a_multi_line_reason_is_sent_as_one_line(endpoint: Endpoint) -> None:
    response = endpoint._error(400, "first\n\n  second  \n")
    assert response.body == b"first second\n"
    assert header(response, "Content-Length") == str(len(b"first second\n"))


def test_a_post_with_the_query_only_in_the_url_means_the_same_get(endpoint: Endpoint) -> None:
    by_post = endpoint.handle(post(b"", "application/x-www-form-urlencoded", "query=ASK%7B%7D"))
    by_get = endpoint.handle(get("query=ASK%7B%7D"))
    assert by_post.status == by_get.status == 200
    assert json.loads(by_post.body) == json.loads(by_get.body) == {"head": {}, "boolean": True}


def test_the_form_charset_parameter_is_read_whatever_its_spelling(endpoint: Endpoint) -> None:
    for content in (
        "application/sparql-query; charset=UTF-8",
        'application/sparql-query;CHARSET="utf8"',
        "Application/SPARQL-Query ; foo=bar",
    ):
        assert endpoint.handle(post(b"ASK {}", content)).status == 200, content


def test_format_wishes_are_read_once_whatever_the_spelling(endpoint: Endpoint) -> None:
    wanted = endpoint._read(get("query=ASK%7B%7D&format=JSON%20&output=json&format="))
    assert wanted.formats == ("json",)


def test_the_dataset_is_none_only_when_no_graph_is_named() -> None:
    assert QueryRequest("q").dataset is None
    assert not QueryRequest("q").has_dataset
    assert QueryRequest("q", ["a"], []).dataset == (("a",), ())
    assert QueryRequest("q", [], ["a"]).dataset == ((), ("a",))
    assert QueryRequest("q", [], ["a"]).has_dataset


# --- answers ------------------------------------------------------------------------------------


def test_an_answer_carries_its_type_caching_cors_and_security_headers(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=ASK%7B%7D"))
    assert response.status_line == "200 OK"
    headers = dict(response.headers)
    assert headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"
    assert response.media_type == "application/sparql-results+json"
    assert headers["Vary"] == "Accept, Accept-Encoding"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["ETag"].startswith('"')
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Length"] == str(len(response.body))
    for name, value in SECURITY.items():
        assert headers[name] == value, name
    assert "KG-Truncated" not in headers and "Content-Encoding" not in headers


def test_a_posted_query_is_not_cached_by_clients(endpoint: Endpoint) -> None:
    response = endpoint.handle(post(b"ASK {}", "application/sparql-query"))
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "ETag") is None


def test_head_gets_the_headers_of_get_and_no_body(endpoint: Endpoint) -> None:
    by_get = endpoint.handle(get("query=ASK%7B%7D"))
    by_head = endpoint.handle(ProtocolRequest("HEAD", "query=ASK%7B%7D", {}))
    assert by_head.body == b""
    assert header(by_head, "Content-Length") == str(len(by_get.body))
    assert header(by_head, "ETag") == header(by_get, "ETag")


def test_a_truncated_answer_says_at_what_cap(endpoint: Endpoint) -> None:
    response = endpoint.handle(get("query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D"))
    assert response.status == 200
    assert header(response, "KG-Truncated") == "3"
    assert len(json.loads(response.body)["results"]["bindings"]) == 3
    assert response.rows == 3


def test_a_gzip_answer_is_marked_and_unpacks_to_the_plain_one(endpoint: Endpoint) -> None:
    query = "query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D"
    plain = endpoint.handle(get(query))
    packed = endpoint.handle(get(query, accept_encoding="gzip"))
    assert header(packed, "Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert header(packed, "ETag") != header(plain, "ETag")


def test_a_matching_etag_gets_304_and_another_does_not(endpoint: Endpoint) -> None:
    etag = header(endpoint.handle(get("query=ASK%7B%7D")), "ETag")
    again = endpoint.handle(get("query=ASK%7B%7D", if_none_match=etag))
    assert again.status == 304 and again.body == b""
    assert header(again, "ETag") == etag
    assert header(again, "X-Frame-Options") == "DENY"
    other = endpoint.handle(get("query=ASK%7B%7D", if_none_match='"other"'))
    assert other.status == 200


def test_a_posted_query_ignores_if_none_match(endpoint: Endpoint) -> None:
    etag = header(endpoint.handle(get("query=ASK%7B%7D")), "ETag")
    headers = {"content-type": "application/sparql-query", "if-none-match": etag}
    response = endpoint.handle(ProtocolRequest("POST", "", headers, body=b"ASK {}"))
    assert response.status == 200


def test_the_etag_tells_a_default_graph_from_a_named_one_and_from_none(endpoint: Endpoint) -> None:
    as_default = endpoint.handle(get(f"query=ASK%7B%7D&default-graph-uri={GRAPH}"))
    as_named = endpoint.handle(get(f"query=ASK%7B%7D&named-graph-uri={GRAPH}"))
    assert as_default.status == as_named.status == 200
    plain = endpoint.handle(get("query=ASK%7B%7D"))
    etags = {header(r, "ETag") for r in (as_default, as_named, plain)}
    assert len(etags) == 3


def test_a_named_graph_does_not_get_the_cached_answer_of_the_same_default_graph(
    endpoint: Endpoint,
) -> None:
    """Issue 22: with the dataset flattened in the key, the second answered the first's true."""
    query = "query=ASK%20%7B%3Fs%20%3Fp%20%3Fo%7D"
    as_default = endpoint.handle(get(f"{query}&default-graph-uri={GRAPH}"))
    as_named = endpoint.handle(get(f"{query}&named-graph-uri={GRAPH}"))
    assert json.loads(as_default.body)["boolean"] is True
    assert json.loads(as_named.body)["boolean"] is False  # no default graph is named


def test_a_repeated_get_is_answered_from_the_memo_with_its_hash(endpoint: Endpoint) -> None:
    first = endpoint.handle(get("query=ASK%7B%20%7D"))
    hits = endpoint.readings.hits
    second = endpoint.handle(get("query=ASK%7B%20%7D"))
    assert endpoint.readings.hits == hits + 1
    assert second.body == first.body
    assert second.query_hash == first.query_hash == http.query_hash("ASK{ }")
    assert second.answer_key == first.answer_key is not None


def test_the_reading_memo_tells_endpoints_under_other_root_paths_apart(endpoint: Endpoint) -> None:
    """Issue 22: keyed without the root path, a GET under /a answered with /b's reading."""
    query = "query=SELECT%20%3Fx%20%7B%20BIND(%3Cr%3E%20AS%20%3Fx)%20%7D"  # a relative IRI
    under_a = endpoint.handle(dataclasses.replace(get(query), root_path="/a"))
    under_b = endpoint.handle(dataclasses.replace(get(query), root_path="/b"))
    value = lambda r: json.loads(r.body)["results"]["bindings"][0]["x"]["value"]  # noqa: E731
    assert value(under_a) == "http://localhost/a/r"
    assert value(under_b) == "http://localhost/b/r"


@pytest.mark.parametrize(
    "change",
    [
        {"scheme": "https"},
        {"host": "example.org"},
        {"path": "/other"},
        {"headers": {"accept": "text/csv"}},
        {"headers": {"accept-encoding": "gzip"}},
    ],
)
def test_the_reading_memo_key_holds_every_part_a_reading_depends_on(
    endpoint: Endpoint, change: dict
) -> None:
    req = get("query=ASK%7B%7D")
    assert endpoint._reading(req) != endpoint._reading(dataclasses.replace(req, **change))


def test_the_public_url_replaces_the_request_url_behind_a_proxy(built: Settings) -> None:
    settings = dataclasses.replace(built, public_url="https://data.example/kg/")
    core = Endpoint(settings, bare(open_engine(settings)))
    assert core.endpoint_url(get()) == "https://data.example/kg/sparql"
    assert Endpoint(built, core.engine).endpoint_url(get()) == "http://localhost/sparql"


def test_the_service_description_answers_a_get_without_query(endpoint: Endpoint) -> None:
    response = endpoint.handle(get(accept="text/turtle"))
    assert response.status == 200
    assert response.media_type == "text/turtle"
    assert b"sparql-service-description" in response.body or b"sd:" in response.body
    etag = header(response, "ETag")
    assert endpoint.handle(get(accept="text/turtle", if_none_match=etag)).status == 304


def test_a_browser_gets_the_workbench_only_when_there_is_one(built: Settings) -> None:
    html = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
    engine = bare(open_engine(built))
    with_page = Endpoint(built, engine, workbench=lambda: True)
    assert with_page.handle(get(accept=html)) is None
    assert with_page.handle(get("query=ASK%7B%7D", accept=html)) is None
    assert with_page.handle(get("query=ASK%7B%7D&format=json", accept=html)).status == 200
    assert Endpoint(built, engine).handle(get(accept=html)).status == 200


# --- pure helpers ---------------------------------------------------------------------------


def test_a_format_not_offered_names_what_is() -> None:
    with pytest.raises(ProtocolError) as caught:
        choose_format("ask", ("tsv",), None)
    assert caught.value.status == 406
    assert caught.value.reason.startswith("format=tsv is not offered here; use one of ")
    assert "application/sparql-results+json" in caught.value.reason


def test_no_acceptable_format_lists_the_offered_ones() -> None:
    with pytest.raises(ProtocolError) as caught:
        choose_format("select", (), "image/png")
    assert caught.value.status == 406
    assert caught.value.reason.startswith("No acceptable format. Offered: ")
    assert "text/csv" in caught.value.reason


def test_the_same_format_twice_is_no_conflict() -> None:
    fmt = choose_format("select", ("json", "application/sparql-results+json"), None)
    assert fmt.media_type == "application/sparql-results+json"


def test_html_is_preferred_only_over_every_offered_format() -> None:
    assert html_preferred("graph", "text/html")
    assert not html_preferred("graph", "text/html;q=0.5, text/turtle")
    assert not html_preferred("graph", "text/html, text/turtle")  # a tie is no preference
    assert html_preferred("select", "application/xhtml+xml, */*;q=0.1")


def test_a_text_format_names_its_charset_and_a_binary_one_does_not() -> None:
    json_format = choose_format("select", ("json",), None)
    assert content_type(json_format) == "application/sparql-results+json; charset=utf-8"


def test_an_unknown_status_reads_as_unknown() -> None:
    assert ProtocolResponse(299, []).status_line == "299 Unknown"
    assert ProtocolResponse(200, []).media_type == "-"
    assert ProtocolError(400, "x").headers == {}
