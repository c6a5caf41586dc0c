"""The W3C SPARQL 1.1 Protocol test cases (query side), ported.

Source: the manifest of the SPARQL 1.1 test suite, ``data-sparql11/protocol/manifest.ttl``
(35 cases). The W3C cases name graphs that the test server was expected to fetch
(``http://kasei.us/2009/09/sparql/data/dataN.rdf``). This endpoint never fetches a graph: the
dataset may only name graphs it holds. So each remote graph is mapped onto one of our graphs
with a resource of the same shape (a typed resource that only that graph types), and every
dataset case gets a control that asks the same question with the graphs swapped and must say
false, so the restriction is proved to be in force rather than the union answering.

Every case runs twice: through Flask's test client against both engines, and over real HTTP
against gunicorn (marked ``integration``), where nothing (no test client) can smooth a request.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
from rdflib import Graph

GRAPH = "https://w3id.org/digikommun/graph/"
ORG = "https://w3id.org/digikommun/id/organisation/"
#: The W3C data files, mapped onto graphs of ours with the same shape.
DATA0 = GRAPH + "ontology"  # the W3C cases never look inside data0.rdf
DATA1, SUBJECT1 = GRAPH + "source-000", ORG + "kvalitet-och-fornyelse"
DATA2, SUBJECT2 = GRAPH + "source-001", ORG + "vinnova"
DATA3, SUBJECT3 = GRAPH + "reference", ORG + "scb"

RESULTS = ("application/sparql-results+xml", "application/sparql-results+json")
TABLES = (*RESULTS, "text/tab-separated-values", "text/csv")
GRAPHS = (
    "application/rdf+xml",
    "text/turtle",
    "application/n-triples",
    "text/html",
    "application/ld+json",
)
FORM = "application/x-www-form-urlencoded"


@dataclass
class Case:
    name: str
    method: str
    params: list[tuple[str, str]] = field(default_factory=list)  # in the URL
    form: list[tuple[str, str]] | None = None  # url-encoded body
    body: str | None = None  # raw body
    content_type: str | None = None
    body_encoding: str = "utf-8"
    status: int = 2  # the status class: 2 (2XX or 3XX) or 4 (4XX)
    types: tuple[str, ...] = ()
    boolean: bool | None = None

    def request(self) -> tuple[str, str, bytes | None, dict[str, str]]:
        path = "/sparql" + ("?" + urllib.parse.urlencode(self.params) if self.params else "")
        headers = {}
        data = None
        if self.form is not None:
            data = urllib.parse.urlencode(self.form).encode()
        elif self.body is not None:
            data = self.body.encode(self.body_encoding)
        if self.content_type:
            headers["Content-Type"] = self.content_type
        return self.method, path, data, headers


ASK_DEFAULT_GRAPHS = f"ASK {{ <{SUBJECT1}> a ?type . <{SUBJECT2}> a ?type . }}"
ASK_NAMED_GRAPHS = (
    f"ASK {{ GRAPH ?g1 {{ <{SUBJECT1}> a ?type }} GRAPH ?g2 {{ <{SUBJECT2}> a ?type }} }}"
)
ASK_FULL = f"""
ASK {{
  <{SUBJECT3}> a ?type
  GRAPH ?g1 {{ <{SUBJECT1}> a ?type }}
  GRAPH ?g2 {{ <{SUBJECT2}> a ?type }}
}}
"""
ASK_MULTIPLE = (
    f"ASK FROM <{DATA3}> "
    f"{{ GRAPH ?g1 {{ <{SUBJECT1}> a ?type }} GRAPH ?g2 {{ <{SUBJECT2}> a ?type }} }}"
)

CONFLICT = """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE { ?person foaf:givenName 'Bill' }
"""

CASES = [
    # --- positive query cases
    Case(
        "query_get",
        "GET",
        [("query", "ASK {}"), ("default-graph-uri", DATA0)],
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_post_form",
        "POST",
        form=[("query", "ASK {}"), ("default-graph-uri", DATA0)],
        content_type=FORM,
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_post_form (parameters in the URL, no body)",
        "POST",
        [("query", "ASK {}"), ("default-graph-uri", DATA0)],
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_post_direct",
        "POST",
        [("default-graph-uri", DATA0)],
        body="ASK {}",
        content_type="application/sparql-query",
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_default_graph",
        "POST",
        form=[("query", f"ASK {{ <{SUBJECT1}> ?p ?o }}"), ("default-graph-uri", DATA1)],
        content_type=FORM,
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_default_graph (control)",
        "POST",
        form=[("query", f"ASK {{ <{SUBJECT1}> ?p ?o }}"), ("default-graph-uri", DATA3)],
        content_type=FORM,
        types=RESULTS,
        boolean=False,
    ),
    Case(
        "query_dataset_default_graphs_get",
        "GET",
        [("query", ASK_DEFAULT_GRAPHS), ("default-graph-uri", DATA1), ("default-graph-uri", DATA2)],
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_default_graphs_get (control)",
        "GET",
        [("query", ASK_DEFAULT_GRAPHS), ("default-graph-uri", DATA1), ("default-graph-uri", DATA3)],
        types=RESULTS,
        boolean=False,
    ),
    Case(
        "query_dataset_default_graphs_post",
        "POST",
        form=[
            ("query", ASK_DEFAULT_GRAPHS),
            ("default-graph-uri", DATA1),
            ("default-graph-uri", DATA2),
        ],
        content_type=FORM,
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_named_graphs_post",
        "POST",
        form=[("query", ASK_NAMED_GRAPHS), ("named-graph-uri", DATA1), ("named-graph-uri", DATA2)],
        content_type=FORM,
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_named_graphs_get",
        "GET",
        [("query", ASK_NAMED_GRAPHS), ("named-graph-uri", DATA1), ("named-graph-uri", DATA2)],
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_named_graphs_get (control)",
        "GET",
        [("query", ASK_NAMED_GRAPHS), ("named-graph-uri", DATA1), ("named-graph-uri", DATA3)],
        types=RESULTS,
        boolean=False,
    ),
    Case(
        "query_dataset_full",
        "POST",
        form=[
            ("query", ASK_FULL),
            ("default-graph-uri", DATA3),
            ("named-graph-uri", DATA1),
            ("named-graph-uri", DATA2),
        ],
        content_type=FORM,
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_dataset_full (control)",
        "POST",
        form=[
            ("query", ASK_FULL),
            ("default-graph-uri", DATA2),
            ("named-graph-uri", DATA1),
            ("named-graph-uri", DATA2),
        ],
        content_type=FORM,
        types=RESULTS,
        boolean=False,
    ),
    Case(
        "query_multiple_dataset",
        "POST",
        form=[("query", ASK_MULTIPLE), ("named-graph-uri", DATA1), ("named-graph-uri", DATA2)],
        content_type=FORM,
        types=RESULTS,
        boolean=True,
    ),
    Case(
        "query_content_type_select",
        "POST",
        form=[("query", "SELECT (1 AS ?value) {}"), ("default-graph-uri", DATA0)],
        content_type=FORM,
        types=TABLES,
    ),
    Case(
        "query_content_type_ask",
        "POST",
        form=[("query", "ASK {}"), ("default-graph-uri", DATA0)],
        content_type=FORM,
        types=RESULTS,
    ),
    Case(
        "query_content_type_describe",
        "POST",
        form=[("query", "DESCRIBE <http://example.org/>"), ("default-graph-uri", DATA0)],
        content_type=FORM,
        types=GRAPHS,
    ),
    Case(
        "query_content_type_construct",
        "POST",
        form=[("query", "CONSTRUCT { <s> <p> 1 } WHERE {}"), ("default-graph-uri", DATA0)],
        content_type=FORM,
        types=GRAPHS,
    ),
    # --- negative query cases
    Case("bad_query_method", "PUT", [("query", "ASK {}"), ("default-graph-uri", DATA0)], status=4),
    Case(
        "bad_multiple_queries",
        "GET",
        [("query", "ASK {}"), ("query", "SELECT * {}"), ("default-graph-uri", DATA0)],
        status=4,
    ),
    Case(
        "bad_query_wrong_media_type",
        "POST",
        [("default-graph-uri", DATA0)],
        body="ASK {}",
        content_type="text/plain",
        status=4,
    ),
    Case(
        "bad_query_missing_form_type",
        "POST",
        body=urllib.parse.urlencode({"query": "ASK {}", "default-graph-uri": DATA0}),
        status=4,
    ),
    Case(
        "bad_query_missing_direct_type",
        "POST",
        [("default-graph-uri", DATA0)],
        body="ASK {}",
        status=4,
    ),
    Case(
        "bad_query_non_utf8",
        "POST",
        [("default-graph-uri", DATA0)],
        body="ASK {}",
        content_type="application/sparql-query; charset=UTF-16",
        body_encoding="utf-16",
        status=4,
    ),
    Case("bad_query_syntax", "GET", [("query", "ASK {"), ("default-graph-uri", DATA0)], status=4),
    # --- negative update cases: they expect a 4XX, which a read-only endpoint gives every update
    Case("bad_update_get", "GET", [("update", "CLEAR ALL"), ("using-graph-uri", DATA0)], status=4),
    Case(
        "bad_multiple_updates",
        "POST",
        [("using-graph-uri", DATA0)],
        body=urllib.parse.urlencode([("update", "CLEAR ALL"), ("update", "CLEAR DEFAULT")]),
        status=4,
    ),
    Case(
        "bad_update_wrong_media_type",
        "POST",
        [("using-graph-uri", DATA0)],
        body="CLEAR NAMED",
        content_type="text/plain",
        status=4,
    ),
    Case(
        "bad_update_missing_form_type",
        "POST",
        [("using-graph-uri", DATA0)],
        body="CLEAR NAMED",
        status=4,
    ),
    Case(
        "bad_update_non_utf8",
        "POST",
        [("using-graph-uri", DATA0)],
        body="CLEAR NAMED",
        content_type="application/sparql-update; charset=UTF-16",
        body_encoding="utf-16",
        status=4,
    ),
    Case("bad_update_syntax", "POST", form=[("update", "CLEAR XYZ")], content_type=FORM, status=4),
    Case(
        "bad_update_dataset_conflict",
        "POST",
        form=[
            ("using-named-graph-uri", "http://example/people"),
            (
                "update",
                CONFLICT,
            ),
        ],
        content_type=FORM,
        status=4,
    ),
]

#: The manifest's update cases that expect success: this endpoint refuses every update by
#: design (the data are a built artifact), so they cannot apply.
NOT_APPLICABLE = {
    name: "the endpoint is read-only: SPARQL Update is refused by design"
    for name in (
        "update_dataset_default_graph",
        "update_dataset_default_graphs",
        "update_dataset_named_graphs",
        "update_dataset_full",
        "update_post_form",
        "update_post_direct",
        "update_base_uri",
    )
}
W3C_CASES = 35


def test_every_w3c_case_is_ported_or_listed_as_not_applicable() -> None:
    ported = {case.name for case in CASES if " (" not in case.name}
    assert len(ported) == 28
    assert not ported & set(NOT_APPLICABLE)
    assert len(ported) + len(NOT_APPLICABLE) == W3C_CASES


def check(case: Case, status: int, content_type: str, body: bytes) -> None:
    """Judge one answer as the W3C manifest does, and parse the body with a real parser."""
    if case.status == 4:
        assert 400 <= status < 500, (case.name, status, body[:200])
        return
    assert 200 <= status < 400, (case.name, status, body[:200])
    mime = content_type.split(";")[0].strip()
    assert mime in case.types, (case.name, mime)
    if mime == "application/sparql-results+json":
        parsed = json.loads(body)
        if case.boolean is not None:
            assert parsed["boolean"] is case.boolean, case.name
    elif mime == "application/sparql-results+xml":
        root = ET.fromstring(body)
        if case.boolean is not None:
            value = root.find("{http://www.w3.org/2005/sparql-results#}boolean").text
            assert value == ("true" if case.boolean else "false"), case.name
    elif mime in (
        "text/turtle",
        "application/n-triples",
        "application/rdf+xml",
        "application/ld+json",
    ):
        Graph().parse(
            data=body.decode("utf-8"),
            format={
                "text/turtle": "turtle",
                "application/n-triples": "nt",
                "application/rdf+xml": "xml",
                "application/ld+json": "json-ld",
            }[mime],
        )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_w3c_case_in_process(client, case: Case) -> None:
    method, path, data, headers = case.request()
    response = client.open(path, method=method, data=data, headers=headers)
    check(case, response.status_code, response.headers.get("Content-Type", ""), response.get_data())


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_w3c_case_over_http_under_gunicorn(gunicorn_url: str, case: Case) -> None:
    method, path, data, headers = case.request()
    netloc = urllib.parse.urlsplit(gunicorn_url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=30)
    try:
        # http.client adds no Content-Type of its own, so the "missing type" cases stay missing.
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        check(case, response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()
