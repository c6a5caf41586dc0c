"""Property-based tests: whatever arrives, the answer is a deliberate status, never a 500 and
never a hang (issue: a public endpoint that hostile input cannot harm, item 6)."""

from __future__ import annotations

import time
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import APP_QUERY_TIMEOUT

ALLOWED = {200, 204, 304, 400, 403, 404, 405, 406, 413, 414, 415, 503}  # 204: OPTIONS; 403: updates
#: Fragments of SPARQL, so that the generated text is often almost a query.
WORDS = st.sampled_from(
    [
        "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "SERVICE", "FROM", "NAMED", "LOAD",
        "INSERT", "DATA", "GRAPH", "FILTER", "REGEX", "VALUES", "OPTIONAL", "UNION", "{", "}",
        "(", ")", "[", "]", "?s", "?p", "?o", "*", ".", ";", "<http://127.0.0.1:9/x>",
        "<file:///etc/passwd>", "dk:Municipality", '"\\u0053"', "'''", '"', "#", "\n",
        "\\u0053ERVICE", "a", "+", "/", "|", "^", "1", "LIMIT",
    ]
)  # fmt: skip
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(WORDS, max_size=40).map(" ".join),
)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
FIXTURE = [HealthCheck.function_scoped_fixture]  # the client is stateless between examples
#: "Never a hang": ten times the apps' query timeout, so a query stopped at its timeout on a
#: busy machine is still in time, and one that is never stopped is not.
SLOW = 10 * APP_QUERY_TIMEOUT


def _check(response, started: float) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.data[:200])
    assert time.monotonic() - started < SLOW
    assert b"Traceback" not in response.data


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES, accept=HEADER_TEXT)
def test_any_query_and_accept_header(client, query: str, accept: str) -> None:
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    _check(response, started)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=120))
def test_any_percent_encoding(client, raw: bytes) -> None:
    """Raw, possibly invalid UTF-8 and broken escapes straight into the query string."""
    query_string = "query=" + urllib.parse.quote_from_bytes(raw, safe="%&=+")
    started = time.monotonic()
    response = client.get("/sparql?" + query_string)
    _check(response, started)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(["query", "default-graph-uri", "named-graph-uri", "update", "x"]),
        st.text(max_size=60),
        max_size=4,
    ),
    content_type=HEADER_TEXT,
    body=st.binary(max_size=200),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"]),
)
def test_any_parameters_body_and_content_type(
    client, params: dict[str, str], content_type: str, body: bytes, method: str
) -> None:
    started = time.monotonic()
    response = client.open(
        "/sparql",
        method=method,
        query_string=params,
        data=body,
        headers={"Content-Type": content_type},
    )
    _check(response, started)
