"""The fast materialiser gives the same inferred graph as owlrl, on the real data."""

from __future__ import annotations

import pytest
from rdflib import Graph

from kg.pipeline.build import check
from kg.pipeline.errors import InconsistentDataError
from kg.pipeline.materialise import UnsupportedByFastReasonerError, materialise
from kg.pipeline.reason import reason
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def union() -> Graph:
    return check(ROOT)[1]


def test_same_inferred_graph_as_owlrl_on_the_real_data(union: Graph) -> None:
    assert set(materialise(union)) == set(reason(union))


def test_the_build_is_byte_identical_with_either_reasoner(built, fast_built) -> None:
    assert built.reasoner == "owlrl" and fast_built.reasoner == "fast"
    assert fast_built.artifact.read_bytes() == built.artifact.read_bytes()


def test_owl_outside_the_subset_is_refused(union: Graph) -> None:
    data = Graph()
    data.parse(
        data="@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<https://w3id.org/digikommun/ontology#a> owl:inverseOf <urn:x:b> .",
        format="turtle",
    )
    with pytest.raises(UnsupportedByFastReasonerError):
        materialise(data)


def test_a_functional_data_property_with_two_values_is_inconsistent() -> None:
    data = Graph()
    data.parse(
        data="""@prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix dk: <https://w3id.org/digikommun/ontology#> .
        dk:year a owl:FunctionalProperty .
        <https://w3id.org/digikommun/id/edition/x> dk:year 2019, 2020 .""",
        format="turtle",
    )
    with pytest.raises(InconsistentDataError):
        materialise(data)


def test_rules_written_back_in_small_batches_give_the_same_closure(union: Graph, monkeypatch):
    """Each rule's rows go back into the store a batch at a time while the rule's query still
    streams (its snapshot does not see them): batches of 7 give what one batch gives."""
    from kg.pipeline import materialise as module

    whole = set(materialise(union))
    monkeypatch.setattr(module, "WRITE_BATCH", 7)
    assert set(materialise(union)) == whole
    assert len(whole) > 100


def test_a_functional_clash_names_its_subject_and_counts_its_values() -> None:
    data = Graph()
    data.parse(
        data="""@prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix dk: <https://w3id.org/digikommun/ontology#> .
        dk:year a owl:FunctionalProperty .
        <https://w3id.org/digikommun/id/edition/x> dk:year 2019, 2020, 2021 .
        <https://w3id.org/digikommun/id/edition/y> dk:year 2019 .""",
        format="turtle",
    )
    with pytest.raises(InconsistentDataError) as caught:
        materialise(data)
    message = str(caught.value)
    assert "<https://w3id.org/digikommun/id/edition/x> has 3 values for the functional" in message
    assert "edition/y" not in message


class _NoManualFlush:
    """A store whose manual flush fails the test: RocksDB's manual flush waits, with no
    timeout, until flushing would not stall writes, and over a bulk-loaded store that wait
    never ended (the reasoner hung at 3 M triples, twice, with no CPU used)."""

    def __init__(self, store) -> None:
        self._store = store

    def flush(self) -> None:
        raise AssertionError("the materialiser asked the store for a manual flush")

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def test_the_materialiser_never_waits_on_a_manual_flush(union: Graph) -> None:
    from kg.pipeline.materialise import materialise_store, to_store

    inferred = set(materialise_store(_NoManualFlush(to_store(union))))  # type: ignore[arg-type]
    assert inferred == set(materialise(union)) and len(inferred) > 100


class _OnlyBulkLoads(_NoManualFlush):
    """A store that fails the test when the rules' triples are written through RocksDB's write
    buffers: those grow with what a rule derives, up to 128 MiB per index, and took the
    reasoner's process from 0.33 to 0.78 GiB at 3 M triples."""

    def extend(self, quads) -> None:
        raise AssertionError("the materialiser wrote derived triples with Store.extend")

    def add(self, quad) -> None:
        raise AssertionError("the materialiser wrote a derived triple with Store.add")


def test_derived_triples_are_bulk_loaded_not_buffered(union: Graph) -> None:
    from kg.pipeline.materialise import materialise_store, to_store

    inferred = set(materialise_store(_OnlyBulkLoads(to_store(union))))  # type: ignore[arg-type]
    assert inferred == set(materialise(union)) and len(inferred) > 100
