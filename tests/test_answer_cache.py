"""Repeated queries are answered from the worker's cache of serialised answers."""

from __future__ import annotations

import dataclasses

from kg.settings import Settings

QUERY = "SELECT ?e WHERE { ?e a dk:AwardEdition } ORDER BY ?e"


def _counting_app(built: Settings, entries: int):
    from kg import create_app
    from kg.web import execution

    app = create_app(dataclasses.replace(built, cache_entries=entries))
    pool = execution.pool_for(app)
    runs: list[str] = []
    real = pool.query

    def counted(text: str, **kwargs):
        runs.append(text)
        return real(text, **kwargs)

    pool.query = counted  # type: ignore[method-assign]
    return app, runs


def test_a_repeated_query_is_not_run_again(built: Settings) -> None:
    app, runs = _counting_app(built, entries=16)
    client = app.test_client()
    accept = {"Accept": "text/csv"}
    first = client.get("/sparql", query_string={"query": QUERY}, headers=accept)
    second = client.get("/sparql", query_string={"query": QUERY}, headers=accept)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.count(b"\n") == 13  # header + 12 editions
    assert len(runs) == 1
    as_json = client.get("/sparql", query_string={"query": QUERY})
    assert as_json.get_json()["results"]["bindings"]  # another format: its own entry


def test_no_cache_when_turned_off(built: Settings) -> None:
    app, runs = _counting_app(built, entries=0)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": QUERY}).status_code == 200
    assert len(runs) == 2
