"""Answers Oxigraph writes itself (``EmbeddedEngine.query_as``) say what the engine-neutral path
says: the same solutions and triples, the same row cap, and a large answer still truncated."""

from __future__ import annotations

import dataclasses
import json

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.settings import Settings
from kg.store import Bindings, Serialised, Triples, bare, open_engine
from kg.store import embedded as embedded_module
from kg.web.endpoint.results import SPARQL_JSON, serialise
from tests.conftest import ROOT

QUERIES = sorted(ROOT.glob("queries/*.rq")) + sorted(ROOT.glob("bench/queries/*.rq"))
MANY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
SOME = "SELECT ?s ?p ?o WHERE { ?s a dk:AwardEdition ; ?p ?o } ORDER BY ?s ?p ?o"
TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a dk:AwardEdition ; ?p ?o }"


@pytest.fixture(scope="module")
def engine(built: Settings):
    return bare(open_engine(dataclasses.replace(built, cache_entries=0)))


def _solutions(body: bytes) -> list[dict]:
    rows = json.loads(body)["results"]["bindings"]
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_oxigraph_json_says_what_the_neutral_path_says(engine, path) -> None:
    text = path.read_text(encoding="utf-8")
    native = engine.query_as(text, SPARQL_JSON, max_rows=10000)
    neutral = engine.query(text, max_rows=10000)
    if not isinstance(neutral, Bindings):  # ASK, CONSTRUCT, DESCRIBE: the neutral path is used
        assert not isinstance(native, Serialised)
        return
    assert isinstance(native, Serialised) and native.kind == "select"
    assert native.rows == len(neutral.rows) and not native.truncated
    assert json.loads(native.body)["head"]["vars"] == neutral.variables
    expected = serialise(neutral, SPARQL_JSON).encode("utf-8")
    if "bnode" not in expected.decode():  # blank-node labels are per answer
        assert _solutions(native.body) == _solutions(expected)


def test_the_row_cap_applies_to_oxigraph_json(engine) -> None:
    native = engine.query_as(SOME, SPARQL_JSON, max_rows=7)
    neutral = engine.query(SOME, max_rows=7)
    assert isinstance(native, Serialised) and native.truncated and native.rows == 7
    assert (
        json.loads(native.body)["results"]["bindings"]
        == json.loads(serialise(neutral, SPARQL_JSON))["results"]["bindings"]
    )


def test_an_answer_over_the_byte_budget_takes_the_neutral_path(engine, monkeypatch) -> None:
    assert isinstance(engine.query_as(MANY, SPARQL_JSON, max_rows=3), Bindings)  # over 1 MiB
    monkeypatch.setattr(embedded_module, "JSON_BUDGET_BYTES", 1024)
    answer = engine.query_as(SOME, SPARQL_JSON, max_rows=3)  # budget max(1 kB, 256 × 3)
    assert isinstance(answer, Bindings) and answer.truncated and len(answer.rows) == 3
    small = engine.query_as("SELECT ?x WHERE { BIND(1 AS ?x) }", SPARQL_JSON, max_rows=3)
    assert isinstance(small, Serialised) and small.rows == 1


@pytest.mark.parametrize(
    ("media_type", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_oxigraph_graph_formats_say_what_the_neutral_path_says(
    engine, media_type: str, rdflib_format: str
) -> None:
    native = engine.query_as(TRIPLES, media_type, max_rows=10000)
    neutral = engine.query(TRIPLES, max_rows=10000)
    assert isinstance(native, Serialised) and isinstance(neutral, Triples)
    assert native.rows == len(neutral.triples) > 0
    ours = Graph().parse(data=native.body, format=rdflib_format)
    theirs = Graph().parse(data=serialise(neutral, media_type), format=rdflib_format)
    assert isomorphic(ours, theirs)
    capped = engine.query_as(TRIPLES, media_type, max_rows=5)
    assert capped.truncated and capped.rows == 5
    assert len(Graph().parse(data=capped.body, format=rdflib_format)) == 5


def test_formats_oxigraph_does_not_write_take_the_neutral_path(engine) -> None:
    assert isinstance(engine.query_as(MANY, "text/csv", max_rows=3), Bindings)
    assert isinstance(engine.query_as(TRIPLES, "application/ld+json", max_rows=3), Triples)


def test_rows_are_not_read_back_when_the_caller_knows_them(engine) -> None:
    counted = engine.query_as(SOME, SPARQL_JSON, max_rows=100_000)
    uncounted = engine.query_as(SOME, SPARQL_JSON, max_rows=100_000, count_rows=False)
    assert len(uncounted.body) < 3 * 100_000  # too short to hold 100,000 solutions
    assert uncounted.body == counted.body and uncounted.rows == -1 and counted.rows > 7
    capped = engine.query_as(SOME, SPARQL_JSON, max_rows=7, count_rows=False)
    assert capped.truncated and capped.rows == 7  # a body that may pass the cap is still read
