"""Datasets as SPARQL 1.1 section 13.2 and the Protocol (2.1.4) define them (issue 17, item 3).

``FROM`` alone, ``FROM NAMED`` alone (an empty default graph, which was refused as
``FROM <default>``), both, and the protocol's ``default-graph-uri``/``named-graph-uri``
replacing the query's clauses, each with and without ``GRAPH ?g``: by GET, POST form and POST
direct, against both engines (the ``client`` fixture is parametrised). The expected numbers
come from the artifact itself, counted line by line, not from an engine.
"""

from __future__ import annotations

import urllib.parse
from collections import defaultdict

import pytest

from kg.settings import Settings

GRAPH = "https://w3id.org/digikommun/graph/"
A = GRAPH + "alignments"
B = GRAPH + "ontology"
COUNT = "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?graphs) "


@pytest.fixture(scope="module")
def quads(built: Settings) -> dict[str, set[str]]:
    """Each graph's triples, read from the N-Quads artifact as text (a triple per line)."""
    graphs: dict[str, set[str]] = defaultdict(set)
    for line in built.artifact.read_text(encoding="utf-8").splitlines():
        body = line.rstrip().removesuffix(".").rstrip()
        triple, _, graph = body.rpartition(" ")
        graphs[graph.strip("<>")].add(triple)
    return graphs


def expected(quads: dict[str, set[str]], default: list[str], named: list[str], pattern: str):
    """(rows, distinct graphs) for COUNT over the default graph or over GRAPH ?g."""
    if pattern == "graph":
        return sum(len(quads[g]) for g in set(named)), len(set(named))
    return len(set().union(*(quads[g] for g in default))) if default else 0, 0


#: (name, dataset clauses in the query, protocol default graphs, protocol named graphs,
#:  the dataset the query then sees: default graphs, named graphs)
CASES = [
    ("from", f"FROM <{A}>", None, None, [A], []),
    ("from-two", f"FROM <{A}> FROM <{B}>", None, None, [A, B], []),
    ("from-named-only", f"FROM NAMED <{A}>", None, None, [], [A]),  # empty default graph
    ("from-named-two", f"FROM NAMED <{A}> FROM NAMED <{B}>", None, None, [], [A, B]),
    ("from-and-named", f"FROM <{A}> FROM NAMED <{B}>", None, None, [A], [B]),
    ("protocol-replaces-from", f"FROM <{A}>", [B], None, [B], []),
    ("protocol-replaces-named", f"FROM NAMED <{A}>", None, [B], [], [B]),
    ("protocol-default-only", f"FROM <{A}> FROM NAMED <{A}>", [B], None, [B], []),
    ("protocol-named-only", f"FROM <{A}>", None, [A], [], [A]),
    ("protocol-both", "", [A], [B], [A], [B]),
]
METHODS = ["GET", "POST form", "POST direct"]


def ask(client, method: str, query: str, default: list[str] | None, named: list[str] | None):
    params = [("default-graph-uri", g) for g in default or []]
    params += [("named-graph-uri", g) for g in named or []]
    if method == "GET":
        return client.get("/sparql", query_string=[("query", query), *params])
    if method == "POST form":
        body = urllib.parse.urlencode([("query", query), *params])
        return client.post("/sparql", data=body, content_type="application/x-www-form-urlencoded")
    return client.post(
        "/sparql?" + urllib.parse.urlencode(params),
        data=query.encode(),
        content_type="application/sparql-query",
    )


def numbers(response) -> tuple[int, int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    row = response.get_json()["results"]["bindings"][0]
    return int(row["n"]["value"]), int(row["graphs"]["value"])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("name", "clauses", "default", "named", "sees_default", "sees_named"), CASES
)
def test_every_dataset_combination(
    client, quads, method, name, clauses, default, named, sees_default, sees_named
) -> None:
    over_default = f"{COUNT}{clauses} WHERE {{ ?s ?p ?o }}"
    over_named = f"{COUNT}{clauses} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    got_default = numbers(ask(client, method, over_default, default, named))
    got_named = numbers(ask(client, method, over_named, default, named))
    assert got_default == expected(quads, sees_default, sees_named, "default"), name
    assert got_named == expected(quads, sees_default, sees_named, "graph"), name


@pytest.mark.parametrize("method", METHODS)
def test_from_named_alone_is_the_issue_query(client, method: str) -> None:
    """Issue 17: this answered 400 FROM <default> names no graph in this dataset."""
    query = f"ASK FROM NAMED <{A}> {{ GRAPH <{A}> {{ ?s ?p ?o }} }}"
    response = ask(client, method, query, None, None)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["boolean"] is True
    empty_default = ask(client, method, f"ASK FROM NAMED <{A}> {{ ?s ?p ?o }}", None, None)
    assert empty_default.get_json()["boolean"] is False


@pytest.mark.parametrize("method", METHODS)
def test_a_graph_the_store_lacks_is_refused_by_name(client, method: str) -> None:
    for query, default, named in (
        (f"ASK FROM NAMED <{GRAPH}nope> {{ }}", None, None),
        (f"ASK FROM <{GRAPH}nope> {{ }}", None, None),
        ("ASK { }", [GRAPH + "nope"], None),
        ("ASK { }", None, [GRAPH + "nope"]),
    ):
        response = ask(client, method, query, default, named)
        assert response.status_code == 400
        assert f"<{GRAPH}nope> names no graph in this dataset" in response.get_data(as_text=True)
