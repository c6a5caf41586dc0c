"""Every fact leads back to the text that states it, and every quote matches its text."""

from __future__ import annotations

import pytest
from rdflib import RDF, Dataset, Namespace, URIRef

from kg.pipeline.load import discover, load_dataset
from kg.pipeline.quotes import check_quotes
from kg.pipeline.validate import union_graph
from tests.conftest import ROOT

PROV = Namespace("http://www.w3.org/ns/prov#")
DK = Namespace("https://w3id.org/digikommun/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
SOURCES = [f"source-00{i}" for i in range(5)]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(discover(ROOT))


def test_there_is_one_graph_per_source_text(dataset: Dataset) -> None:
    names = {str(g.identifier).rsplit("/", 1)[-1] for g in dataset.graphs()}
    assert set(SOURCES) <= names


@pytest.mark.parametrize("name", SOURCES)
def test_every_subject_of_a_source_graph_derives_from_its_text(dataset: Dataset, name: str) -> None:
    graph = dataset.graph(URIRef(f"https://w3id.org/digikommun/graph/{name}"))
    document = URIRef(f"https://w3id.org/digikommun/id/source/{name[-3:]}")
    assert (document, RDF.type, DK.SourceDocument) in graph
    missing = [s for s in set(graph.subjects()) if (s, PROV.wasDerivedFrom, document) not in graph]
    assert missing == []


@pytest.mark.parametrize("name", ["reference", "award-history"])
def test_every_reference_fact_names_its_page(dataset: Dataset, name: str) -> None:
    graph = dataset.graph(URIRef(f"https://w3id.org/digikommun/graph/{name}"))
    missing = [s for s in set(graph.subjects()) if graph.value(s, PROV.wasDerivedFrom) is None]
    assert missing == []
    derived = set(graph.objects(None, PROV.wasDerivedFrom))
    assert not any("/id/source/" in str(page) for page in derived), "seed used as reference"


def test_every_quote_matches_its_source_text(dataset: Dataset) -> None:
    union = union_graph(dataset)
    selectors = list(union.subjects(RDF.type, OA.TextQuoteSelector))
    assert len(selectors) >= 50  # a guard against losing a file, not a target
    assert check_quotes(union, ROOT) == []


def test_no_blank_nodes_in_the_data(dataset: Dataset) -> None:
    from rdflib import BNode

    for graph in dataset.graphs():
        if "/graph/source-" in str(graph.identifier) or "reference" in str(graph.identifier):
            assert not [t for t in graph if any(isinstance(x, BNode) for x in t)]
