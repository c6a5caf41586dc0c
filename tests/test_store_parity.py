"""Every engine gives the same answers: memory (pyoxigraph), disk (pyoxigraph over the store
``kg build`` writes), rdflib, and remote (a real Oxigraph server loaded with the same build).
Runs every query in queries/*.rq and bench/queries/*.rq."""

from __future__ import annotations

import dataclasses

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.settings import Settings
from kg.store import Bindings, Boolean, QuerySyntaxError, Triples, open_engine
from kg.store.remote import RemoteEngine
from tests.conftest import ROOT
from tests.oxigraph_server import oxigraph_server

QUERIES = sorted(ROOT.glob("queries/*.rq")) + sorted(ROOT.glob("bench/queries/*.rq"))
GRAPH = "https://w3id.org/digikommun/graph/"
#: One worker runs the module (``make test``: ``--dist loadgroup``), so the Oxigraph server
#: of :func:`engines` starts once.
pytestmark = pytest.mark.xdist_group("store-parity")


def test_the_query_collection_is_complete() -> None:
    """A stray glob must not silently shrink the parity test."""
    assert len(list(ROOT.glob("queries/*.rq"))) >= 5
    assert len(list(ROOT.glob("bench/queries/*.rq"))) >= 8


@pytest.fixture(scope="module")
def engines(built: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The three engines over one build; the server is started once for the module (slow)."""
    bare = dataclasses.replace(built, cache_entries=0)
    memory = open_engine(bare)
    disk = open_engine(dataclasses.replace(bare, memory_max_quads=0))
    assert memory.path is None and disk.path is not None
    rdflib_engine = open_engine(dataclasses.replace(bare, store="rdflib"))
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph"), built.artifact) as base:
        remote = open_engine(dataclasses.replace(bare, store=f"sparql+{base}/query"))
        yield {"memory": memory, "disk": disk, "rdflib": rdflib_engine, "remote": remote}


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def normalise(result: object, loose: bool = False) -> object:
    """Rows as a sorted multiset (order and blank-node labels are not part of the answer);
    GROUP_CONCAT lists are sorted as their order is undefined.

    ``loose`` treats a language-tagged string and a plain string alike: Oxigraph's GROUP_CONCAT
    keeps the language tag its inputs share ("Kalix"@sv), rdflib returns a simple literal as
    the SPARQL 1.1 text says. Both engines are otherwise compared term for term."""
    if isinstance(result, Boolean):
        return result.value
    if isinstance(result, Bindings):
        rows = []
        for row in result.rows:
            items = []
            for name, term in row.items():
                value = "_:b" if term.kind == "bnode" else term.value
                if term.kind == "literal" and ", " in value:
                    value = ", ".join(sorted(value.split(", ")))
                lang, datatype = term.lang, term.datatype
                if loose and term.kind == "literal" and (lang or datatype == XSD_STRING):
                    lang, datatype = None, "string"
                items.append((name, term.kind, value, lang, datatype))
            rows.append(tuple(sorted(items)))
        return (sorted(result.variables), sorted(rows))
    assert isinstance(result, Triples)
    graph = Graph()
    for triple in result.triples:
        graph.add(tuple(t.to_rdflib() for t in triple))
    return graph


def agree(engines: dict, run) -> None:
    """memory, disk and remote (all Oxigraph) agree exactly; rdflib agrees up to ``loose``."""
    answers = {name: run(engine) for name, engine in engines.items()}
    reference = normalise(answers["memory"])
    if isinstance(reference, Graph):
        for name, answer in answers.items():
            assert isomorphic(reference, normalise(answer)), name
        return
    assert reference not in ((), ([], [])), "a parity query should return something"
    assert normalise(answers["remote"]) == reference
    assert normalise(answers["disk"]) == reference
    assert normalise(answers["rdflib"], loose=True) == normalise(answers["memory"], loose=True)


@pytest.mark.integration
@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_engines_agree_on_every_example_query(engines, path) -> None:
    text = path.read_text(encoding="utf-8")
    agree(engines, lambda engine: engine.query(text))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("default_graphs", "named_graphs"),
    [([GRAPH + "reference"], None), ([GRAPH + "ontology", GRAPH + "inferred"], None)],
)
def test_engines_agree_on_a_restricted_dataset(engines, default_graphs, named_graphs) -> None:
    query = "SELECT ?c (COUNT(*) AS ?n) WHERE { ?x a ?c } GROUP BY ?c"
    agree(
        engines,
        lambda engine: engine.query(
            query, default_graphs=default_graphs, named_graphs=named_graphs
        ),
    )


@pytest.mark.integration
def test_engines_agree_on_the_row_cap(engines) -> None:
    for engine in engines.values():
        result = engine.query("SELECT ?s WHERE { ?s ?p ?o }", max_rows=7)
        assert len(result.rows) == 7
        assert result.truncated


@pytest.mark.integration
def test_every_engine_reports_a_syntax_error(engines) -> None:
    for engine in engines.values():
        with pytest.raises(QuerySyntaxError):
            engine.query("SELECT ?x WHERE { ?x")


@pytest.mark.integration
def test_engines_agree_on_graph_counts(engines, built: Settings) -> None:
    from kg.store.base import read_manifest

    expected = read_manifest(built.manifest)["graphs"]
    for engine in engines.values():
        assert engine.graph_counts() == expected


def test_the_remote_engine_is_chosen_by_kg_store(built: Settings) -> None:
    settings = dataclasses.replace(built, store="sparql+http://127.0.0.1:9/query", cache_entries=0)
    engine = open_engine(settings)
    assert isinstance(engine, RemoteEngine)
    assert engine.endpoint == "http://127.0.0.1:9/query"
    assert engine.version == open_engine(dataclasses.replace(settings, store="memory")).version


def test_an_unreachable_remote_store_is_an_error_not_a_hang(built: Settings) -> None:
    from kg.store.remote import RemoteEndpointError
    from tests.conftest import free_port

    engine = RemoteEngine(f"http://127.0.0.1:{free_port()}/query", timeout=2)
    with pytest.raises(RemoteEndpointError):
        engine.query("ASK {}")
