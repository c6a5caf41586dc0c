"""Other engines and the Python clients users reach for, against our endpoint under gunicorn.

An Oxigraph server (PyPI ``oxigraph``) runs a federated query whose SERVICE clause calls us;
Comunica (npm, installed by ``make comunica``) uses us as a source, once told it is a SPARQL
endpoint and once finding that out from our Service Description; SPARQLWrapper and rdflib's
SPARQLStore query us as their users would. Every answer is compared with what our own engine
says, not with hard-coded values.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop_process

#: One worker runs the module (``--dist loadgroup``), so its servers start once.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("federation")]

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"
CLASS_LABELS_EN = (
    f"SELECT ?c ?label WHERE {{ ?c a <{OWL_CLASS}> ; <{RDFS_LABEL}> ?label "
    'FILTER(LANG(?label) = "en") } ORDER BY ?c'
)
COMUNICA = ROOT / "tools" / "comunica" / "node_modules" / ".bin" / "comunica-sparql"


def _ask_json(url: str, query: str) -> dict:
    request = urllib.request.Request(
        url + "?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _pairs(body: dict, *names: str) -> list[tuple[str, ...]]:
    return sorted(tuple(row[n]["value"] for n in names) for row in body["results"]["bindings"])


@pytest.fixture(scope="module")
def expected_labels(gunicorn_url: str) -> list[tuple[str, str]]:
    pairs = _pairs(_ask_json(gunicorn_url, CLASS_LABELS_EN), "c", "label")
    assert len(pairs) >= 12
    return pairs


# --- Oxigraph server: SERVICE into us ---------------------------------------------------------


@pytest.fixture(scope="module")
def oxigraph_url(tmp_path_factory: pytest.TempPathFactory, gunicorn_url: str):
    """An Oxigraph server holding a few local triples that point at our classes."""
    oxigraph = Path(sys.executable).with_name("oxigraph")
    if not oxigraph.exists():
        pytest.fail("the oxigraph CLI is missing: `pip install -e '.[dev]'` installs it")
    classes = _pairs(_ask_json(gunicorn_url, CLASS_LABELS_EN), "c")[:3]
    work = tmp_path_factory.mktemp("oxigraph")
    data = work / "local.nt"
    data.write_text(
        "".join(f"<urn:local:{i}> <urn:local:about> <{c}> .\n" for i, (c,) in enumerate(classes)),
        encoding="utf-8",
    )
    location = work / "db"
    subprocess.run(
        [str(oxigraph), "load", "--location", str(location), "--file", str(data)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = subprocess.Popen(
        [str(oxigraph), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 120  # a backstop for the event, not a pace
    while True:
        try:
            _ask_json(url, "ASK {}")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("oxigraph serve did not start") from None
            time.sleep(0.1)
    yield url, [c for (c,) in classes]
    stop_process(process)


def test_oxigraph_server_federates_into_our_endpoint(
    oxigraph_url, gunicorn_url, expected_labels
) -> None:
    url, classes = oxigraph_url
    query = (
        "SELECT ?local ?c ?label WHERE { ?local <urn:local:about> ?c . "
        f'SERVICE <{gunicorn_url}> {{ ?c <{RDFS_LABEL}> ?label FILTER(LANG(?label) = "en") }} }}'
    )
    got = _pairs(_ask_json(url, query), "c", "label")
    wanted = sorted(pair for pair in expected_labels if pair[0] in classes)
    assert len(wanted) == 3
    assert got == wanted


# --- Comunica -----------------------------------------------------------------------------------


def _comunica(source: str, query: str) -> dict:
    if not COMUNICA.exists():
        pytest.fail("Comunica is not installed: run `make comunica` (make test does)")
    if shutil.which("node") is None:
        pytest.fail("Node.js is needed for Comunica")
    done = subprocess.run(
        [str(COMUNICA), source, query, "-t", "application/sparql-results+json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_comunica_queries_us_as_a_sparql_source(gunicorn_url: str, expected_labels) -> None:
    body = _comunica("sparql@" + gunicorn_url, CLASS_LABELS_EN)
    assert _pairs(body, "c", "label") == expected_labels


def test_comunica_finds_out_we_are_sparql_from_the_service_description(
    gunicorn_url: str, expected_labels
) -> None:
    """Without the ``sparql@`` hint Comunica reads sd:endpoint from the description we serve."""
    body = _comunica(gunicorn_url, CLASS_LABELS_EN)
    assert _pairs(body, "c", "label") == expected_labels


# --- Python clients -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper_select(
    gunicorn_url: str, expected_labels, method: str, return_format: str
) -> None:
    import csv
    import io

    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(gunicorn_url)
    client.setQuery(CLASS_LABELS_EN)
    client.setMethod(method)
    client.setReturnFormat(return_format)
    result = client.query().convert()
    if return_format == "json":
        got = _pairs(result, "c", "label")
    elif return_format == "xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        got = sorted(
            tuple(
                {
                    b.getAttribute("name"): b.firstChild.firstChild.data
                    for b in r.getElementsByTagName("binding")
                }[n]
                for n in ("c", "label")
            )
            for r in result.getElementsByTagName("result")
        )
        assert ns  # the minidom document SPARQLWrapper returns is namespace-unaware
    else:
        text = result.decode("utf-8") if isinstance(result, bytes) else result
        rows = list(
            csv.reader(io.StringIO(text), delimiter="," if return_format == "csv" else "\t")
        )
        if return_format == "csv":
            got = sorted((c, label) for c, label in rows[1:])
        else:
            got = sorted(
                (c.strip("<>"), label.rsplit("@", 1)[0].strip('"')) for c, label in rows[1:]
            )
    assert got == expected_labels


def test_sparqlwrapper_ask_and_construct(gunicorn_url: str) -> None:
    from rdflib import Graph
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(gunicorn_url)
    client.setQuery(f"ASK {{ ?c a <{OWL_CLASS}> }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setQuery(f"CONSTRUCT WHERE {{ ?c a <{OWL_CLASS}> }}")
    client.setReturnFormat(TURTLE)
    data = client.query().convert()
    graph = Graph().parse(data=data, format="turtle")
    count = _ask_json(
        gunicorn_url, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{OWL_CLASS}> }}"
    )
    assert len(graph) == int(count["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(gunicorn_url: str, expected_labels, method: str) -> None:
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(gunicorn_url, method=method)
    graph = Graph(store=store)
    rows = graph.query(CLASS_LABELS_EN)
    assert sorted((str(r.c), str(r.label)) for r in rows) == expected_labels
    assert graph.query(f"ASK {{ ?c a <{OWL_CLASS}> }}").askAnswer is True
    first_class = URIRef(expected_labels[0][0])
    assert (first_class, None, None) in graph
    labels = set(graph.objects(first_class, URIRef(RDFS_LABEL)))
    assert expected_labels[0][1] in {str(label) for label in labels}
