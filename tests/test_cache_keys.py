"""What the caches key on (issue 22): an answer, a graph document's ETag and the memo of how a
GET was read must each depend on everything their answer depends on, or a second request gets
the first one's answer. Each test asks twice, in the order that would expose a missing part."""

from __future__ import annotations

import json

import pytest

from kg.settings import Settings
from tests.conftest import for_answers

GRAPH = "https://w3id.org/digikommun/graph/"
CURL = {"HTTP_ACCEPT": "*/*", "HTTP_USER_AGENT": "curl/8.5.0"}


@pytest.fixture(params=[True, False], ids=["lean", "flask"])
def fresh(request: pytest.FixtureRequest, built: Settings):
    """A new app per test: its caches are empty, so the order of the two requests is the one
    the test chose, not whatever earlier tests left behind."""
    from kg import create_app

    app = create_app(for_answers(built, store="memory"), lean=request.param)
    app.config["TESTING"] = True
    client = app.test_client()
    client.environ_base.update(CURL)
    return client


def _ask(response) -> bool:
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    return json.loads(response.get_data(as_text=True))["boolean"]


def test_a_named_graph_request_never_gets_a_default_graph_requests_cached_answer(fresh) -> None:
    """Same text, same graph IRI, once as the default graph and once as a named graph: the
    dataset differs (a non-empty default graph vs an empty one), so the answers do."""
    query = "ASK { ?s ?p ?o }"
    as_default = fresh.get(
        "/sparql", query_string={"query": query, "default-graph-uri": GRAPH + "reference"}
    )
    as_named = fresh.get(
        "/sparql", query_string={"query": query, "named-graph-uri": GRAPH + "reference"}
    )
    assert _ask(as_default) is True
    assert _ask(as_named) is False, "the named-graph request got the default-graph answer"


def test_a_graph_documents_etag_names_the_graph(fresh) -> None:
    """One graph's ETag must not validate another graph's document (no 304 across graphs)."""
    reference = fresh.get("/graph/reference.ttl")
    assert reference.status_code == 200
    etag = reference.headers["ETag"]
    ontology = fresh.get("/graph/ontology.ttl", headers={"If-None-Match": etag})
    assert ontology.status_code == 200, "ontology.ttl answered 304 to reference.ttl's ETag"
    assert ontology.headers["ETag"] != etag
    assert "owl:Ontology" in ontology.get_data(as_text=True)
    again = fresh.get("/graph/reference.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304  # the test's own control: a matching ETag is honoured


def test_the_memo_of_a_gets_reading_depends_on_the_root_path(fresh) -> None:
    """A relative IRI resolves against the endpoint's own URL, which the root path (the
    prefix a proxy mounts the app under) is part of: the same GET under two prefixes reads
    differently, and the second must not reuse the first one's reading."""
    query = {"query": "SELECT ?here WHERE { BIND(<here> AS ?here) }"}
    answers = []
    for root in ("/first", "/second"):
        response = fresh.get(
            "/sparql",
            query_string=query,
            headers={"Accept": "application/sparql-results+json"},
            environ_overrides={"SCRIPT_NAME": root},
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
        rows = json.loads(response.get_data(as_text=True))["results"]["bindings"]
        answers.append(rows[0]["here"]["value"])
    assert answers[0].startswith("http://localhost/first/"), answers
    assert answers[1].startswith("http://localhost/second/"), answers
