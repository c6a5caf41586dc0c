"""What reaches the query pool: a chunked body cut at the cap, and the allow-list as replicas
read it (issue 22: both breakages left the suite green)."""

from __future__ import annotations

import io

from rdflib import Graph, URIRef

from kg.deploy.replicas import settings_env
from kg.settings import Settings
from kg.web.endpoint.wsgi_adapter import request_from_environ

SD_FEATURE = URIRef("http://www.w3.org/ns/sparql-service-description#feature")
FEDERATED = URIRef("http://www.w3.org/ns/sparql-service-description#BasicFederatedQuery")


def test_a_chunked_body_is_read_no_further_than_the_cap() -> None:
    cap = 1000
    body = io.BytesIO(b"q" * (20 * cap))
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/sparql-query",
        "wsgi.input": body,
        "wsgi.input_terminated": True,  # chunked: no Content-Length
    }
    request = request_from_environ(environ, cap)
    assert len(request.body) == cap + 1  # one byte past the cap: the core answers 413
    assert body.tell() == cap + 1


def _replica_settings(monkeypatch, settings: Settings) -> Settings:
    """The settings a replica of ``kg serve-public`` reads from the environment it is given."""
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_replicas_read_an_empty_allow_list_as_empty(monkeypatch) -> None:
    read = _replica_settings(monkeypatch, Settings())
    assert read.service_allowlist == ()


def test_replicas_read_the_allow_list_as_given(monkeypatch) -> None:
    endpoints = ("https://query.wikidata.org/sparql", "http://127.0.0.1:9/sparql")
    read = _replica_settings(monkeypatch, Settings(service_allowlist=endpoints))
    assert read.service_allowlist == endpoints


def test_every_setting_survives_the_trip_to_a_replica(monkeypatch) -> None:
    settings = Settings(allow_unsandboxed=True, query_timeout=2.5, service_timeout=1.5)
    assert _replica_settings(monkeypatch, settings) == settings


def test_a_replica_without_allow_list_claims_no_federation(monkeypatch, built) -> None:
    import dataclasses

    from kg import create_app

    read = _replica_settings(monkeypatch, Settings())
    client = create_app(dataclasses.replace(built, service_allowlist=read.service_allowlist))
    answer = client.test_client().get("/sparql", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=answer.data, format="turtle")
    assert (None, SD_FEATURE, FEDERATED) not in graph
