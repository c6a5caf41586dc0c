"""The SPARQL 1.1 Protocol at /sparql, through Flask's test client, against both engines.

Every answer is parsed with a real parser (json, xml.etree, csv, rdflib): a status code alone
proves nothing about the body.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import xml.etree.ElementTree as ET

import pytest
from rdflib import Dataset, Graph
from werkzeug.datastructures import MultiDict

GRAPH = "https://w3id.org/digikommun/graph/"
CLASSES = "SELECT ?c ?label WHERE { ?c a owl:Class ; rdfs:label ?label } ORDER BY ?c ?label"
RESULTS = "{http://www.w3.org/2005/sparql-results#}"


def _rows_json(response) -> list[dict]:
    return json.loads(response.get_data(as_text=True))["results"]["bindings"]


# --- the three ways to send a query ---------------------------------------------------------


def test_get_post_form_and_post_direct_agree(client) -> None:
    by_get = client.get("/sparql", query_string={"query": CLASSES})
    by_form = client.post("/sparql", data={"query": CLASSES})
    by_direct = client.post(
        "/sparql", data=CLASSES.encode(), content_type="application/sparql-query"
    )
    answers = [_rows_json(r) for r in (by_get, by_form, by_direct)]
    assert all(r.status_code == 200 for r in (by_get, by_form, by_direct))
    assert len(answers[0]) >= 12
    assert answers[0] == answers[1] == answers[2]


def test_post_direct_with_utf8_charset_and_swedish_text(client) -> None:
    query = 'ASK { ?s rdfs:label ?l FILTER(CONTAINS(STR(?l), "ö")) }'
    response = client.post(
        "/sparql",
        data=query.encode("utf-8"),
        content_type="application/sparql-query; charset=UTF-8",
    )
    assert response.status_code == 200
    assert response.get_json()["boolean"] is True


# --- result formats -------------------------------------------------------------------------


def test_select_as_json_xml_csv_tsv_carry_the_same_rows(client) -> None:
    reference = _rows_json(client.get("/sparql", query_string={"query": CLASSES}))
    expected = [(row["c"]["value"], row["label"]["value"]) for row in reference]

    xml = client.get(
        "/sparql",
        query_string={"query": CLASSES},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert xml.mimetype == "application/sparql-results+xml"
    root = ET.fromstring(xml.get_data())
    assert [v.get("name") for v in root.iter(RESULTS + "variable")] == ["c", "label"]
    from_xml = []
    for result in root.iter(RESULTS + "result"):
        values = {b.get("name"): b[0].text for b in result.findall(RESULTS + "binding")}
        from_xml.append((values["c"], values["label"]))
    assert from_xml == expected

    csv_response = client.get(
        "/sparql", query_string={"query": CLASSES}, headers={"Accept": "text/csv"}
    )
    assert csv_response.mimetype == "text/csv"
    assert "\r\n" in csv_response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True), newline="")))
    assert rows[0] == ["c", "label"]
    assert [tuple(r) for r in rows[1:]] == expected

    tsv = client.get(
        "/sparql", query_string={"query": CLASSES}, headers={"Accept": "text/tab-separated-values"}
    )
    lines = tsv.get_data(as_text=True).rstrip("\n").split("\n")
    assert lines[0] == "?c\t?label"
    parsed = [tuple(line.split("\t")) for line in lines[1:]]
    assert [c for c, _ in parsed] == [f"<{c}>" for c, _ in expected]
    assert all(label.startswith('"') for _, label in parsed)


def test_literals_keep_language_and_datatype_in_every_format(client) -> None:
    query = (
        'SELECT ?l ?n WHERE { dk:Award rdfs:label ?l FILTER(LANG(?l) = "sv") '
        "BIND(STRLEN(?l) AS ?n) }"
    )
    row = _rows_json(client.get("/sparql", query_string={"query": query}))[0]
    assert row["l"]["xml:lang"] == "sv"
    assert row["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    tsv = client.get("/sparql", query_string={"query": query, "format": "tsv"}).get_data(
        as_text=True
    )
    value = tsv.splitlines()[1].split("\t")
    assert value[0] == f'"{row["l"]["value"]}"@sv'
    assert value[1] == f'"{row["n"]["value"]}"^^<http://www.w3.org/2001/XMLSchema#integer>'
    root = ET.fromstring(
        client.get("/sparql", query_string={"query": query, "format": "xml"}).get_data()
    )
    literal = root.find(f".//{RESULTS}binding[@name='l']/{RESULTS}literal")
    assert literal.get("{http://www.w3.org/XML/1998/namespace}lang") == "sv"


def test_empty_select_keeps_its_variables(client) -> None:
    query = "SELECT ?nothing ?here WHERE { ?nothing a <urn:no:such:class> ; ?here ?x }"
    body = client.get("/sparql", query_string={"query": query}).get_json()
    assert body["head"]["vars"] == ["nothing", "here"]
    assert body["results"]["bindings"] == []
    csv_text = client.get("/sparql", query_string={"query": query, "format": "csv"}).get_data(
        as_text=True
    )
    assert csv_text == "nothing,here\r\n"


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml"]
)
@pytest.mark.parametrize(
    ("query", "expected"),
    [("ASK { ?s a owl:Class }", True), ("ASK { <urn:a> <urn:b> <urn:c> }", False)],
)
def test_ask_in_json_and_xml(client, accept: str, query: str, expected: bool) -> None:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.mimetype == accept
    if accept.endswith("json"):
        assert response.get_json()["boolean"] is expected
    else:
        root = ET.fromstring(response.get_data())
        assert root.find(RESULTS + "boolean").text == ("true" if expected else "false")


CONSTRUCT = "CONSTRUCT { ?c a owl:Class ; rdfs:label ?l } WHERE { ?c a owl:Class ; rdfs:label ?l }"


@pytest.mark.parametrize(
    ("accept", "rdflib_format", "quads"),
    [
        ("text/turtle", "turtle", False),
        ("application/n-triples", "nt", False),
        ("application/rdf+xml", "xml", False),
        ("application/ld+json", "json-ld", False),
        ("application/trig", "trig", True),
        ("application/n-quads", "nquads", True),
    ],
)
def test_construct_in_every_graph_format(
    client, accept: str, rdflib_format: str, quads: bool
) -> None:
    reference = Graph().parse(
        data=client.get(
            "/sparql",
            query_string={"query": CONSTRUCT},
            headers={"Accept": "application/n-triples"},
        ).get_data(as_text=True),
        format="nt",
    )
    count = _rows_json(
        client.get(
            "/sparql",
            query_string={
                "query": "SELECT (COUNT(*) AS ?n) "
                "{ SELECT DISTINCT ?c ?l { ?c a owl:Class ; rdfs:label ?l } }"
            },
        )
    )[0]["n"]["value"]
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    parsed = Dataset() if quads else Graph()
    parsed.parse(data=response.get_data(as_text=True), format=rdflib_format)
    triples = (
        set(parsed.triples((None, None, None)))
        if not quads
        else {(s, p, o) for s, p, o, _ in parsed.quads((None, None, None, None))}
    )
    assert triples == set(reference)
    classes = {s for s, _, _ in triples}
    assert len(triples) == len(classes) + int(count)


def test_describe_returns_a_graph_about_the_resource(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": "DESCRIBE dk:Award"}, headers={"Accept": "text/turtle"}
    )
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert any(str(s) == "https://w3id.org/digikommun/ontology#Award" for s in graph.subjects())


# --- negotiation and the format parameter -----------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/json", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_is_negotiated_from_accept(client, accept: str, expected: str) -> None:
    response = client.get("/sparql", query_string={"query": CLASSES}, headers={"Accept": accept})
    assert response.mimetype == expected


@pytest.mark.parametrize(
    ("fmt", "query", "expected"),
    [
        ("json", CLASSES, "application/sparql-results+json"),
        ("xml", CLASSES, "application/sparql-results+xml"),
        ("csv", CLASSES, "text/csv"),
        ("tsv", CLASSES, "text/tab-separated-values"),
        ("text/csv", CLASSES, "text/csv"),
        ("json", CONSTRUCT, "application/ld+json"),
        ("xml", CONSTRUCT, "application/rdf+xml"),
        ("turtle", CONSTRUCT, "text/turtle"),
        ("nt", CONSTRUCT, "application/n-triples"),
        ("trig", CONSTRUCT, "application/trig"),
        ("application/n-quads", CONSTRUCT, "application/n-quads"),
    ],
)
def test_format_parameter_overrides_accept(client, fmt: str, query: str, expected: str) -> None:
    response = client.get(
        "/sparql", query_string={"query": query, "format": fmt}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    assert response.mimetype == expected


def test_nothing_acceptable_is_a_406_listing_the_offer(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": CLASSES}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    for offered in ("application/sparql-results+json", "text/csv", "text/tab-separated-values"):
        assert offered in text
    construct = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "csv"})
    assert construct.status_code == 406
    assert "text/turtle" in construct.get_data(as_text=True)


# --- the dataset ----------------------------------------------------------------------------


def _graph_size(client, name: str) -> int:
    """The size of one named graph, asked through GRAPH so the numbers never go stale."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}{name}> {{ ?s ?p ?o }} }}"
    return int(_rows_json(client.get("/sparql", query_string={"query": query}))[0]["n"]["value"])


def test_default_graph_uri_restricts_the_default_graph(client) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    one = client.get(
        "/sparql", query_string={"query": query, "default-graph-uri": GRAPH + "ontology"}
    )
    ontology = _graph_size(client, "ontology")
    assert int(_rows_json(one)[0]["n"]["value"]) == ontology
    both = client.get(
        "/sparql",
        query_string=[
            ("query", query),
            ("default-graph-uri", GRAPH + "ontology"),
            ("default-graph-uri", GRAPH + "alignments"),
        ],
    )
    merged = int(_rows_json(both)[0]["n"]["value"])
    assert ontology < merged <= ontology + _graph_size(client, "alignments")


def test_named_graph_uri_restricts_graph_patterns(client) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    response = client.post(
        "/sparql",
        data=MultiDict(
            [
                ("query", query),
                ("named-graph-uri", GRAPH + "source-001"),
                ("named-graph-uri", GRAPH + "reference"),
            ]
        ),
    )
    assert [r["g"]["value"] for r in _rows_json(response)] == [
        GRAPH + "reference",
        GRAPH + "source-001",
    ]
    empty_default = client.get(
        "/sparql",
        query_string={"query": "ASK { ?s ?p ?o }", "named-graph-uri": GRAPH + "reference"},
    )
    assert empty_default.get_json()["boolean"] is False


def test_unknown_graph_is_refused_and_never_fetched(client) -> None:
    """A graph the store does not hold is a clear 400 (SECURITY.md), never a fetch."""
    for iri in ("http://127.0.0.1:9/never-fetched", "file:///etc/passwd"):
        for parameter in ("default-graph-uri", "named-graph-uri"):
            response = client.get(
                "/sparql", query_string={"query": "ASK { ?s ?p ?o }", parameter: iri}
            )
            assert response.status_code == 400, (parameter, response.status_code)
            assert iri in response.get_data(as_text=True)
        from_clause = client.get(
            "/sparql", query_string={"query": f"ASK FROM <{iri}> {{ ?s ?p ?o }}"}
        )
        assert from_clause.status_code == 400
        assert "never loads" in from_clause.get_data(as_text=True)


def test_protocol_dataset_replaces_from_clauses(client) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}reference> WHERE {{ ?s ?p ?o }}"
    from_only = client.get("/sparql", query_string={"query": query})
    assert int(_rows_json(from_only)[0]["n"]["value"]) == _graph_size(client, "reference")
    overridden = client.get(
        "/sparql", query_string={"query": query, "default-graph-uri": GRAPH + "ontology"}
    )
    assert int(_rows_json(overridden)[0]["n"]["value"]) == _graph_size(client, "ontology")


def test_graph_variable_gives_provenance(client) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { mun:lidingo ?p ?o } }"
    graphs = {
        r["g"]["value"] for r in _rows_json(client.get("/sparql", query_string={"query": query}))
    }
    assert GRAPH + "reference" in graphs
    assert GRAPH + "inferred" in graphs


def test_default_graph_is_the_set_union_of_every_graph(client) -> None:
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    distinct = (
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    )
    a = _rows_json(client.get("/sparql", query_string={"query": union}))[0]["n"]["value"]
    b = _rows_json(client.get("/sparql", query_string={"query": distinct}))[0]["n"]["value"]
    assert a == b


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "GET", "query_string": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"method": "GET", "query_string": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"method": "GET", "query_string": {"query": "prefix x: <urn:x> drop all"}},
        {"method": "POST", "data": {"update": "CLEAR DEFAULT"}},
        {
            "method": "POST",
            "data": "DELETE WHERE { ?s ?p ?o }",
            "content_type": "application/sparql-update",
        },
        {
            "method": "POST",
            "data": "SELECT * {} ; LOAD <http://example.org/>",
            "content_type": "application/sparql-query",
        },
    ],
)
def test_updates_are_refused(client, request_kwargs: dict) -> None:
    response = client.open("/sparql", **request_kwargs)
    assert response.status_code == 403
    assert "read-only" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s rdfs:label "INSERT DATA" }',
        "SELECT * WHERE { ?s ?p <urn:delete:where> } # DROP ALL",
        "PREFIX insert: <urn:x:> SELECT ?load WHERE { ?load insert:copy ?add }",
    ],
)
def test_update_words_inside_strings_iris_comments_and_names_are_not_updates(
    client, query: str
) -> None:
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_malformed_query_names_the_position(client) -> None:
    """Issue 14: the exact line and column; issue 25: in words, with a caret under the spot
    (kg.web.endpoint.query_errors), whichever engine's parser stopped where."""
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {\n  ?x ?y"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert text.startswith("Malformed query (line 1, column 17): The `{` on line 1 is never"), text
    assert text.endswith("   1 | SELECT ?x WHERE {\n     |                 ^\n"), text


@pytest.mark.parametrize(
    ("lang", "first"),
    [
        (
            "en",
            "Malformed query (line 2, column 15): `SELET` is not a SPARQL 1.1 keyword. "
            "Did you mean `SELECT`?",
        ),
        (
            "sv",
            "Felaktig fråga (rad 2, kolumn 15): `SELET` är inget nyckelord i SPARQL 1.1. "
            "Menade du `SELECT`?",
        ),
    ],
)
def test_the_gates_lexical_error_is_worded_with_a_caret(client, lang, first) -> None:
    """Issue 25: what the query gate (kg.lexer) refuses before any parser runs is told like
    the parser's errors: in words, in the client's language, with the line and a caret."""
    response = client.get(
        "/sparql",
        query_string={"query": "SELECT ?x\nWHERE { ?x ?y SELET }"},
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 400
    assert response.get_data(as_text=True) == (
        f"{first}\n\n   2 | WHERE {{ ?x ?y SELET }}\n     |               ^\n"
    )


@pytest.mark.parametrize(
    ("request_kwargs", "status", "words"),
    [
        ({"method": "PUT", "data": "ASK {}"}, 405, "GET or POST"),
        ({"method": "DELETE"}, 405, "GET or POST"),
        ({"method": "POST", "data": "ASK {}", "content_type": "text/plain"}, 415, "Content-Type"),
        ({"method": "POST", "data": "query=ASK%20%7B%7D"}, 415, "Content-Type"),
        (
            {
                "method": "POST",
                "data": "ASK {}".encode("latin-1"),
                "content_type": "application/sparql-query; charset=ISO-8859-1",
            },
            415,
            "UTF-8",
        ),
        (
            {
                "method": "POST",
                "data": b'ASK { ?s ?p "\xff" }',
                "content_type": "application/sparql-query",
            },
            400,
            "UTF-8",
        ),
        (
            {"method": "GET", "query_string": [("query", "ASK {}"), ("query", "ASK {}")]},
            400,
            "once",
        ),
        (
            {"method": "POST", "data": {"query": "ASK {}"}, "query_string": {"query": "ASK {}"}},
            400,
            "not also",
        ),
        (
            {
                "method": "POST",
                "data": "ASK {}",
                "content_type": "application/sparql-query",
                "query_string": {"query": "ASK {}"},
            },
            400,
            "must not",
        ),
        ({"method": "POST", "data": {"default-graph-uri": GRAPH + "ontology"}}, 400, "Missing"),
        ({"method": "GET", "query_string": {"query": "  "}}, 400, "empty"),
        ({"method": "GET", "query_string": {"query": "ASK {}", "format": "yaml"}}, 406, "json"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client, request_kwargs: dict, status: int, words: str
) -> None:
    response = client.open("/sparql", **request_kwargs)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert words in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_405_names_the_allowed_methods(client) -> None:
    assert "POST" in client.put("/sparql").headers["Allow"]


# --- HTTP: CORS, caching, compression, HEAD, OPTIONS ------------------------------------------


def test_cors_preflight(client) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_on_answers(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://example.org"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_etag_and_304(client) -> None:
    first = client.get("/sparql", query_string={"query": CLASSES})
    etag = first.headers["ETag"]
    assert etag.startswith('"') and "max-age" in first.headers["Cache-Control"]
    assert first.headers["Vary"] == "Accept, Accept-Encoding"
    again = client.get("/sparql", query_string={"query": CLASSES}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    weak = client.get(
        "/sparql", query_string={"query": CLASSES}, headers={"If-None-Match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304
    other_format = client.get(
        "/sparql",
        query_string={"query": CLASSES},
        headers={"If-None-Match": etag, "Accept": "text/csv"},
    )
    assert other_format.status_code == 200
    assert other_format.headers["ETag"] != etag
    other_query = client.get(
        "/sparql", query_string={"query": CLASSES + " LIMIT 1"}, headers={"If-None-Match": etag}
    )
    assert other_query.status_code == 200


def test_gzip_when_asked(client) -> None:
    plain = client.get("/sparql", query_string={"query": CLASSES})
    zipped = client.get(
        "/sparql", query_string={"query": CLASSES}, headers={"Accept-Encoding": "gzip, br"}
    )
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["ETag"] != plain.headers["ETag"]


def test_head_has_the_headers_of_get_and_no_body(client) -> None:
    get = client.get("/sparql", query_string={"query": CLASSES})
    head = client.head("/sparql", query_string={"query": CLASSES})
    assert head.status_code == 200
    assert head.get_data() == b""
    for name in ("Content-Type", "ETag", "Content-Length", "Vary", "Access-Control-Allow-Origin"):
        assert head.headers[name] == get.headers[name]


def test_errors_are_not_cached(client) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT"})
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


# --- the workbench, health and the access log -------------------------------------------------


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_browser_gets_the_service_description_without_a_workbench(built) -> None:
    from kg import create_app

    app = create_app(built)
    del app.view_functions["pages.workbench"]  # as if the website were not installed
    response = app.test_client().get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "application/rdf+xml"  # application/xml;q=0.9 beats */*;q=0.8
    graph = Graph().parse(data=response.get_data(as_text=True), format="xml")
    assert len(graph) > 10


def test_browser_gets_the_workbench(client) -> None:
    html = client.get("/sparql", headers={"Accept": BROWSER})
    assert html.mimetype == "text/html"
    assert "yasgui" in html.get_data(as_text=True).lower()
    rdf = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert rdf.mimetype == "text/turtle"
    shared = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": BROWSER})
    assert shared.mimetype == "text/html"  # a shared link opens the workbench with its query
    program = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "application/xml"}
    )
    assert program.mimetype == "application/sparql-results+xml"
    forced = client.get(
        "/sparql", query_string={"query": "ASK {}", "format": "json"}, headers={"Accept": BROWSER}
    )
    assert forced.mimetype == "application/sparql-results+json"


def test_healthz_reads_no_data(app) -> None:
    engine = app.extensions["kg_engine"]

    class Untouchable:
        version = engine.version

        def __getattr__(self, name: str):
            raise AssertionError(f"/healthz touched the engine ({name})")

    app.extensions["kg_engine"] = Untouchable()
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.extensions["kg_engine"] = engine
    assert response.status_code == 200


def test_access_log_has_one_line_with_hash_status_rows_and_ms(client) -> None:
    import hashlib

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    logger = logging.getLogger("kg.access")
    logger.addHandler(handler)
    try:
        client.get("/sparql", query_string={"query": CLASSES})
        client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"})
    finally:
        logger.removeHandler(handler)
    ok, bad = (r.getMessage() for r in records)
    digest = hashlib.sha256(CLASSES.encode()).hexdigest()[:12]
    assert "\n" not in ok
    assert ok.startswith("GET /sparql 200 ")
    assert f"query={digest}" in ok
    rows = int(ok.split("rows=")[1].split()[0])
    assert rows >= 12
    assert float(ok.split("ms=")[1].split()[0]) >= 0
    assert bad.startswith("GET /sparql 400 ")


def check_body(text: str, parser: str) -> int:
    """Parse a body with a real parser and return how many rows or triples it holds."""
    if parser == "json":
        return len(json.loads(text)["results"]["bindings"])
    if parser == "xml" and text.lstrip().startswith("<?xml") and RESULTS[1:-1] in text[:200]:
        return len(list(ET.fromstring(text.encode()).iter(RESULTS + "result")))
    if parser in ("csv", "tsv"):
        rows = list(
            csv.reader(io.StringIO(text, newline=""), delimiter="," if parser == "csv" else "\t")
        )
        return len(rows) - 1
    if parser in ("trig", "nquads"):
        return len(Dataset().parse(data=text, format=parser))
    return len(Graph().parse(data=text, format=parser))
