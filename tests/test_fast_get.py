"""The lean GET path answers exactly as Flask would, and leaves every other request to Flask."""

from __future__ import annotations

import dataclasses

import pytest

from kg.settings import Settings
from kg.web.fast_get import FastGet

QUERY = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def apps(built: Settings):
    """The server as it runs, and the same server with the lean path taken out."""
    from kg import create_app

    settings = dataclasses.replace(built, cache_entries=0)  # no front cache: every call answers
    lean, plain = create_app(settings), create_app(settings)
    assert isinstance(lean.wsgi_app, FastGet) and isinstance(plain.wsgi_app, FastGet)
    plain.wsgi_app = plain.wsgi_app.next  # type: ignore[method-assign]
    return lean, plain


def _both(apps, query_string: dict, headers: dict):
    lean, plain = apps
    before = lean.wsgi_app.answered
    ours = lean.test_client().get("/sparql", query_string=query_string, headers=headers)
    theirs = plain.test_client().get("/sparql", query_string=query_string, headers=headers)
    return ours, theirs, lean.wsgi_app.answered - before


def _headers(response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


@pytest.mark.parametrize(
    ("query", "accept", "encoding"),
    [
        (QUERY, JSON, None),
        (QUERY, "text/csv", None),
        (QUERY, "application/sparql-results+xml, */*;q=0.1", "gzip"),
        ("ASK { ?s a dk:AwardEdition }", "application/json", None),
        ("CONSTRUCT WHERE { ?e a dk:AwardEdition }", "text/turtle", "gzip, deflate"),
        ("SELECT ?x WHERE { BIND(<relative> AS ?x) }", JSON, None),
    ],
)
def test_the_lean_path_answers_as_flask_does(apps, query, accept, encoding) -> None:
    headers = {"Accept": accept, **({"Accept-Encoding": encoding} if encoding else {})}
    ours, theirs, answered = _both(apps, {"query": query}, headers)
    assert answered == 1
    assert ours.status_code == theirs.status_code == 200
    assert ours.data == theirs.data
    assert _headers(ours) == _headers(theirs)


@pytest.mark.parametrize(
    ("query_string", "headers"),
    [
        ({"query": QUERY, "format": "json"}, {"Accept": JSON}),  # a format parameter
        ({"query": QUERY, "default-graph-uri": "urn:x"}, {"Accept": JSON}),  # a dataset
        ({"query": QUERY}, {"Accept": "text/html"}),  # a browser: the workbench
        ({"query": QUERY}, {}),  # no Accept
        ({"query": QUERY}, {"Accept": JSON, "If-None-Match": '"x"'}),  # conditional
        ({"query": "INSERT DATA { <a> <b> <c> }"}, {"Accept": JSON}),  # an update: 403
        ({"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}, {"Accept": JSON}),
        ({"query": QUERY}, {"Accept": "image/png"}),  # nothing acceptable: 406
        ({"query": " "}, {"Accept": JSON}),  # empty: 400
    ],
)
def test_every_other_request_is_flasks(apps, query_string, headers) -> None:
    ours, theirs, _ = _both(apps, query_string, headers)
    assert ours.status_code == theirs.status_code
    assert ours.data == theirs.data or ours.status_code == 200
    assert ours.headers.get("Content-Type") == theirs.headers.get("Content-Type")


def test_a_failure_is_answered_by_flask_without_running_the_query_again(apps) -> None:
    lean = apps[0]
    pool = lean.extensions["kg_query_pool"]
    runs = pool.process_runs + pool.inline_runs
    ours, theirs, answered = _both(apps, {"query": "SELECT ?x WHERE {"}, {"Accept": JSON})
    assert answered == 0
    assert ours.status_code == theirs.status_code == 400
    assert ours.data == theirs.data and ours.data.startswith(b"Malformed query")
    assert pool.process_runs + pool.inline_runs == runs + 1  # one run, not two


def test_the_row_cap_reads_the_same_on_both_paths(built: Settings) -> None:
    from kg import create_app

    settings = dataclasses.replace(built, cache_entries=0, max_rows=3)
    lean, plain = create_app(settings), create_app(settings)
    plain.wsgi_app = plain.wsgi_app.next  # type: ignore[method-assign]
    ours, theirs, answered = _both((lean, plain), {"query": QUERY}, {"Accept": "text/csv"})
    assert answered == 1 and ours.headers["KG-Truncated"] == "3"
    assert ours.data == theirs.data and ours.data.count(b"\n") == 4  # header + 3 rows
    assert _headers(ours) == _headers(theirs)
