"""From the built artifact to an HTTP answer: the app factory and a real gunicorn."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kg.settings import Settings
from tests.conftest import ROOT, free_port, stop_process, wait_until_answers

COUNT_TYPES = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a owl:Class }"


def test_sparql_get_answers_json(client) -> None:
    response = client.get("/sparql", query_string={"query": COUNT_TYPES})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    body = response.get_json()
    assert int(body["results"]["bindings"][0]["n"]["value"]) >= 12


def test_default_graph_is_the_union_with_inferences(client) -> None:
    query = (
        "ASK { mun:lidingo a <http://data.europa.eu/m8g/PublicOrganisation> ; a dk:Municipality }"
    )
    assert client.get("/sparql", query_string={"query": query}).get_json()["boolean"] is True


def test_malformed_query_is_a_400_with_the_position(client) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "(line 1, column 17)" in text and "never closed" in text, (
        text
    )  # kg.web.endpoint.query_errors


def test_healthz(client) -> None:
    assert client.get("/healthz").status_code == 200


@pytest.mark.integration
def test_gunicorn_serves_the_built_artifact(gunicorn_url: str) -> None:
    url = gunicorn_url + "?" + urllib.parse.urlencode({"query": COUNT_TYPES})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/sparql-results+json")
        body = json.load(response)
    assert int(body["results"]["bindings"][0]["n"]["value"]) >= 12


@pytest.mark.integration
def test_kg_serve_runs_gunicorn_on_kg_host_and_kg_port(built: Settings) -> None:
    """Regression: `kg serve` must find gunicorn inside the venv even when it is not on PATH."""
    port = free_port()
    env = {
        **os.environ,
        "KG_BUILD_DIR": str(built.build_dir),
        "KG_PORT": str(port),
        # Not the default (127.0.0.1): another loopback address, so only a server that read
        # KG_HOST answers there, and the default address stays closed.
        "KG_HOST": "127.0.0.2",
        "KG_WORKERS": "1",
        "PATH": "/usr/bin:/bin",
    }
    kg = Path(sys.executable).with_name("kg")
    process = subprocess.Popen(
        [str(kg), "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_answers(f"http://127.0.0.2:{port}/healthz", process)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        stop_process(process)
