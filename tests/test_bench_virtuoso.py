"""Virtuoso as the serving benchmark's second yardstick (bench/virtuoso.py, issue 27 item 3):
it must hold exactly the build, and be asked over exactly the build's dataset, or the ratio
against it compares different work."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pyoxigraph as ox
import pytest

from bench import parity, run, virtuoso
from bench.virtuoso_server import virtuoso_missing
from kg.settings import Settings

pytestmark = pytest.mark.integration

COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ALL_TRIPLES = "SELECT * WHERE { ?s ?p ?o }"
INFERRED = "https://w3id.org/digikommun/graph/inferred"


@pytest.fixture(scope="module")
def yardstick(built: Settings, tmp_path_factory: pytest.TempPathFactory):
    """Virtuoso started and loaded as `make bench` does it (10–20 s to create a database)."""
    if missing := virtuoso_missing():
        pytest.skip(missing)
    with virtuoso.serve(built.build_dir, tmp_path_factory.mktemp("bench") / "virtuoso") as v:
        yield v


def count(yardstick: virtuoso.Yardstick, query: str, path: str | None = None) -> int:
    """``COUNT(*)`` as Virtuoso answers it over the bench's dataset (or ``path``'s)."""
    conn = http.client.HTTPConnection("127.0.0.1", yardstick.port, timeout=60)
    url = parity.request_url(path or yardstick.path, query)
    conn.request("GET", url, headers={"Accept": run.JSON})
    response = conn.getresponse()
    assert response.status == 200
    (binding,) = json.loads(response.read())["results"]["bindings"]
    return int(binding["n"]["value"])


def test_virtuoso_holds_the_builds_quads_through_the_benchs_dataset(yardstick, built) -> None:
    """Every quad of kg.nq in the named graphs the bench asks, and their set union (our default
    graph) as the default graph: not Virtuoso's own system graphs, not a triple twice."""
    quads = list(ox.parse(path=str(built.artifact), format=ox.RdfFormat.N_QUADS))
    assert yardstick.quads == len(quads)
    assert count(yardstick, COUNT_QUADS) == len(quads)
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert count(yardstick, COUNT_TRIPLES) == len(triples)


def test_the_dataset_names_every_graph_of_the_build(yardstick, built) -> None:
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(yardstick.path).query)
    assert params["default-graph-uri"] == [virtuoso.UNION]
    graphs = {q.graph_name.value for q in ox.parse(path=str(built.artifact))}
    assert sorted(params["named-graph-uri"]) == sorted(graphs)


def test_the_bench_mix_is_answered_as_ours_but_for_the_ask(yardstick, gunicorn_url) -> None:
    """The check `make bench` runs first, against our real server: every query of the mix has
    Virtuoso's row count but the ASK, which Virtuoso 7.2 answers as a one-row SELECT of
    ``__ASK_RETVAL`` (so it is left out of the ratio, and the bench says why)."""
    ours = urllib.parse.urlsplit(gunicorn_url)
    endpoints = [
        parity.Endpoint("ours", ours.port or 80, ours.path),
        parity.Endpoint("virtuoso", yardstick.port, yardstick.path),
    ]
    names = [path.name for path in run.query_paths()]
    kept, left_out = parity.common_mix(endpoints, names, run.query_mix())
    assert left_out == {"ask-any-winner.rq": "virtuoso: 1 row, ours: ASK true"}
    assert len(kept) == len(names) - 1


def test_a_virtuoso_asked_over_another_dataset_is_caught(yardstick) -> None:
    """The parity check flags a deliberately wrong dataset (one graph as the default graph):
    same server, same query, another number of rows."""
    wrong = "/sparql?" + urllib.parse.urlencode({"default-graph-uri": INFERRED})
    endpoints = [
        parity.Endpoint("right", yardstick.port, yardstick.path),
        parity.Endpoint("wrong", yardstick.port, wrong),
    ]
    triples = count(yardstick, COUNT_TRIPLES)
    kept, left_out = parity.common_mix(endpoints, ["all.rq"], [(ALL_TRIPLES, run.JSON)])
    assert kept == []
    found = count(yardstick, COUNT_TRIPLES, wrong)
    assert 0 < found < triples
    assert left_out == {"all.rq": f"wrong: {found} rows, right: {triples} rows"}
