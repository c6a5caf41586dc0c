"""The federated example queries in ``queries/federation/`` (issue #15, item 4), run through our
endpoint against a local Oxigraph server holding a Wikidata-shaped STAND-IN
(``tests/fixtures/federation/wikidata-stand-in.ttl``; made-up items, never the real Wikidata).

The queries name ``https://query.wikidata.org/sparql``; the test allow-lists the local server
instead (``KG_SERVICE_ALLOWLIST``) and puts its URL into the query text, nothing else. Expected
rows are computed from our store and the stand-in file, not written down.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from tests.conftest import ROOT, for_answers
from tests.linked_fixture import LINKS_FIXTURE, linked_engine
from tests.oxigraph_server import oxigraph_binary, oxigraph_server

#: One worker runs the module (``--dist loadgroup``), so the stand-in starts once.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("federation-wikidata")]

WIKIDATA = "https://query.wikidata.org/sparql"
QUERIES = ROOT / "queries" / "federation"
STAND_IN = ROOT / "tests" / "fixtures" / "federation" / "wikidata-stand-in.ttl"
P525 = URIRef("http://www.wikidata.org/prop/direct/P525")
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
EXACT = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")


@pytest.fixture(scope="module")
def stand_in_url(tmp_path_factory: pytest.TempPathFactory):
    location = tmp_path_factory.mktemp("wikidata-stand-in") / "db"
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(STAND_IN)],
        check=True,
        capture_output=True,
    )
    with oxigraph_server(location) as base:
        yield base + "/query"


@pytest.fixture(scope="module")
def federating_client(built, stand_in_url: str):
    """Our app allow-listing the stand-in, over the build plus the fixture's outward links."""
    from kg import create_app

    app = create_app(
        for_answers(built, service_allowlist=(stand_in_url,), cache_entries=0),
        engine=linked_engine(built),
    )
    app.config["TESTING"] = True
    return app.test_client()


def stand_in() -> dict[str, tuple[set[str], str | None]]:
    """item → (its codes, its Swedish label), read from the stand-in file."""
    g = Graph().parse(STAND_IN, format="turtle")
    items = {}
    for item in set(g.subjects(P525, None)):
        sv = [
            str(o) for o in g.objects(item, LABEL) if isinstance(o, Literal) and o.language == "sv"
        ]
        items[str(item)] = ({str(c) for c in g.objects(item, P525)}, sv[0] if sv else None)
    return items


def our_codes(client) -> dict[str, str]:
    rows = (
        client.application.extensions["kg_engine"]
        .query("SELECT ?m ?code WHERE { ?m a dk:Municipality ; dk:municipalityCode ?code }")
        .rows
    )
    assert len(rows) >= 30
    return {row["m"].value: row["code"].value for row in rows}


def run(client, name: str, endpoint: str) -> list[dict[str, str]]:
    text = (QUERIES / name).read_text(encoding="utf-8")
    assert f"SERVICE <{WIKIDATA}>" in text  # as published: a portal runs it against Wikidata
    response = client.get(
        "/sparql",
        query_string={"query": text.replace(WIKIDATA, endpoint)},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = json.loads(response.data)
    return [{k: v["value"] for k, v in row.items()} for row in body["results"]["bindings"]]


def test_join_through_the_municipality_code(federating_client, stand_in_url: str) -> None:
    ours = our_codes(federating_client)
    expected = sorted(
        (m, code, item, label)
        for m, code in ours.items()
        for item, (codes, label) in stand_in().items()
        if code in codes and label is not None
    )
    assert len(expected) == 4  # Lidingö, Stockholm, Umeå, Karlskrona (by its current code)
    rows = run(federating_client, "by-municipality-code.rq", stand_in_url)
    got = sorted((r["municipality"], r["code"], r["item"], r["wikidataLabel"]) for r in rows)
    assert got == expected
    assert all(r["name"] for r in rows)


def test_join_through_the_exact_match_links(federating_client, stand_in_url: str) -> None:
    ours = our_codes(federating_client)
    links = Dataset().parse(LINKS_FIXTURE, format="trig")
    linked = {
        (str(s), str(o))
        for s, _, o, _ in links.quads((None, EXACT, None, None))
        if str(s) in ours and str(o).startswith("http://www.wikidata.org/entity/")
    }
    items = stand_in()
    expected = sorted(
        (m, item, ours[m], code, str(code == ours[m]).lower())
        for m, item in linked
        if item in items and items[item][1] is not None
        for code in items[item][0]
    )
    assert [row[-1] for row in expected] == ["false", "true"]  # Karlstad's code disagrees
    rows = run(federating_client, "by-exact-match.rq", stand_in_url)
    got = sorted(
        (r["municipality"], r["item"], r["ourCode"], r["wikidataCode"], r["agrees"]) for r in rows
    )
    assert got == expected


def test_without_the_allowlist_the_query_is_refused(client) -> None:
    text = (QUERIES / "by-municipality-code.rq").read_text(encoding="utf-8")
    response = client.get("/sparql", query_string={"query": text})
    assert response.status_code == 400
    assert WIKIDATA in response.get_data(as_text=True)


def test_the_queries_are_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted(Path(QUERIES).glob("*.rq")):
        assert f"queries/federation/{path.name}" in readme
