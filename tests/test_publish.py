"""`kg publish` against a real Oxigraph server: replace per graph, idempotent, counted back."""

from __future__ import annotations

import dataclasses

import pytest

from kg.pipeline.publish import PublishError, graphs_of, publish, query_url_for
from kg.settings import Settings
from kg.store import open_engine
from kg.store.base import read_manifest
from tests.oxigraph_server import oxigraph_server


def test_query_url_next_to_the_graph_store() -> None:
    assert query_url_for("http://h:7878/store") == "http://h:7878/query"
    assert query_url_for("http://h/ds/data") == "http://h/ds/sparql"
    assert query_url_for("http://h/repositories/kg/statements") == (
        "http://h/repositories/kg/statements"
    )


def test_the_artifact_splits_into_the_manifest_graphs(built: Settings) -> None:
    counts = {g: len(t) for g, t in graphs_of(built.artifact).items()}
    assert counts == read_manifest(built.manifest)["graphs"]


def test_a_non_http_target_is_refused(built: Settings) -> None:
    with pytest.raises(PublishError):
        publish(built.artifact, "file:///etc/passwd")


@pytest.mark.integration
def test_publish_replaces_every_graph_idempotently(built: Settings, tmp_path) -> None:
    expected = read_manifest(built.manifest)["graphs"]
    with oxigraph_server(tmp_path / "store") as base:
        # A stale triple in one of our graphs must be replaced, not kept.
        from urllib.request import Request, urlopen

        stale = b"<urn:x:stale> <urn:x:p> <urn:x:o> .\n"
        graph = next(iter(expected))
        request = Request(f"{base}/store?graph={graph}", data=stale, method="PUT")
        request.add_header("Content-Type", "application/n-triples")
        urlopen(request, timeout=10).close()

        first = publish(built.artifact, f"{base}/store")
        second = publish(built.artifact, f"{base}/store")
        assert first == second
        assert {g: n for g, n in first.items() if g} == expected

        remote = open_engine(
            dataclasses.replace(built, store=f"sparql+{base}/query", cache_entries=0)
        )
        memory = open_engine(dataclasses.replace(built, cache_entries=0))
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        assert remote.query(count).rows == memory.query(count).rows
        assert not remote.query("ASK { <urn:x:stale> ?p ?o }").value


@pytest.mark.integration
def test_the_cli_publishes(built: Settings, tmp_path, monkeypatch, capsys) -> None:
    from kg.cli import main

    monkeypatch.setenv("KG_BUILD_DIR", str(built.build_dir))
    with oxigraph_server(tmp_path / "store") as base:
        assert main(["publish", "--to", f"{base}/store"]) == 0
    assert "counted back" in capsys.readouterr().out


def test_the_cli_reports_an_unreachable_store(built: Settings, monkeypatch, capsys) -> None:
    from kg.cli import main
    from tests.conftest import free_port

    monkeypatch.setenv("KG_BUILD_DIR", str(built.build_dir))
    code = main(["publish", "--to", f"http://127.0.0.1:{free_port()}/store", "--timeout", "2"])
    assert code == 2
    assert "kg publish" in capsys.readouterr().err
