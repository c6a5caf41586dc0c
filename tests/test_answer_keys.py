"""Keys and validators that a client must not be able to forge (issue 23): the answer cache's
key of a long query, the ETag across endpoint URLs, and If-None-Match before validity."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from kg.lexer import REMEMBERED_LENGTH, text_key
from kg.settings import Settings
from tests.conftest import for_answers

CSV = {"Accept": "text/csv"}
#: A query longer than the length up to which texts are their own key: it is keyed by a hash.
LONG = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e " + "#" * REMEMBERED_LENGTH + "\n"


@pytest.fixture(scope="module", params=[True, False], ids=["lean", "flask"])
def app(request, built: Settings):
    from kg import create_app

    return create_app(for_answers(built, store="memory"), lean=request.param)


@pytest.fixture
def client(app):
    return app.test_client()


def test_a_text_never_has_the_key_of_another() -> None:
    digest = hashlib.sha256(LONG.encode()).hexdigest()
    assert text_key("sha256:" + digest) != text_key(LONG)
    assert text_key("x") != text_key("y") and text_key("x") == text_key("x")


def test_posting_a_hash_never_gets_the_answer_of_the_hashed_query(client) -> None:
    """Issue 23: POSTing ``sha256:<hex of a cached long query>`` returned that query's answer."""
    first = client.post("/sparql", data={"query": LONG}, headers=CSV)
    assert first.status_code == 200 and first.data.count(b"\n") == 13
    forged = "sha256:" + hashlib.sha256(LONG.encode("utf-8")).hexdigest()
    for response in (
        client.post("/sparql", data={"query": forged}, headers=CSV),
        client.post(
            "/sparql", data=forged, headers={**CSV, "Content-Type": "application/sparql-query"}
        ),
        client.get("/sparql", query_string={"query": forged}, headers=CSV),
    ):
        assert response.status_code == 400, response.data[:100]
        assert response.data != first.data


def _etag(client, host: str, query: str = "SELECT * WHERE { BIND(<x> AS ?x) }") -> str:
    response = client.get("/sparql", query_string={"query": query}, headers=CSV, base_url=host)
    assert response.status_code == 200
    return response.headers["ETag"]


def test_the_etag_covers_the_endpoint_url(client) -> None:
    """A relative IRI resolves against the endpoint's URL, so the same query at another host is
    another answer: a 304 must not carry one host's answer to another."""
    one, other = "http://one.example", "http://other.example"
    assert _etag(client, one) != _etag(client, other)
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { BIND(<x> AS ?x) }"},
        headers={**CSV, "If-None-Match": _etag(client, one)},
        base_url=other,
    )
    assert response.status_code == 200
    assert b"http://other.example/x" in response.data


def test_the_etag_covers_the_public_url(built: Settings) -> None:
    from kg import create_app

    etags = {
        _etag(create_app(dataclasses.replace(built, public_url=url)).test_client(), "http://h")
        for url in ("https://a.example/sparql", "https://b.example/sparql")
    }
    assert len(etags) == 2


@pytest.mark.parametrize("tag", ["*", '"x", *', "W/*"])
@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <urn:no-such-graph> WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o ",
    ],
)
def test_if_none_match_is_honoured_only_for_a_valid_request(client, tag: str, query: str) -> None:
    """Issue 23: ``If-None-Match: *`` got 304 for a request that would be a 400."""
    response = client.get("/sparql", query_string={"query": query}, headers={"If-None-Match": tag})
    assert response.status_code == 400, (response.status_code, response.data[:100])


def test_if_none_match_star_is_304_for_a_valid_request(client) -> None:
    query = {"query": "SELECT ?e WHERE { ?e a dk:AwardEdition } LIMIT 2"}
    for _ in range(2):  # on a cold cache, then a warm one
        response = client.get("/sparql", query_string=query, headers={"If-None-Match": "*"})
        assert response.status_code == 304
        assert response.headers["ETag"]
