"""Hostile queries against the app: nothing reaches the network or the disk, work is bounded,
and every refusal is a clear status with one sentence (issue: a public endpoint that hostile
input cannot harm)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.lexer import shape
from kg.settings import Settings
from kg.web.endpoint.limits import QueryRejected, check_query, unescape_codepoints
from tests.canary import Canary, singing

GRAPH = "https://w3id.org/digikommun/graph/ontology"


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    with singing(tmp_path) as bird:
        yield bird


def hostile(canary: Canary) -> dict[str, str]:
    """Every way a query could reach out, each named for what it tries."""
    file_iri = canary.file.as_uri()
    return {
        "service": f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
        "service-silent": f"SELECT * WHERE {{ SERVICE SILENT <{canary.url}> {{ ?s ?p ?o }} }}",
        "service-lowercase": f"select * where {{ service <{canary.url}> {{ ?s ?p ?o }} }}",
        "service-prefixed": (
            f"PREFIX c: <{canary.url}#> SELECT * WHERE {{ SERVICE c: {{ ?s ?p ?o }} }}"
        ),
        "service-variable": (
            f"SELECT * WHERE {{ BIND(<{canary.url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"
        ),
        "service-escaped": f"SELECT * WHERE {{ \\u0053ERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
        "service-after-fake-iri": (
            f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a<1)SERVICE<{canary.url}>#>\n{{ ?s ?p ?o }} }}"
        ),
        "service-nested": (
            f"SELECT * WHERE {{ {{ OPTIONAL {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }} }} }}"
        ),
        "from-http": f"SELECT * FROM <{canary.url}> WHERE {{ ?s ?p ?o }}",
        "from-named-http": (
            f"SELECT * FROM NAMED <{canary.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
        ),
        "from-file": f"SELECT * FROM <{file_iri}> WHERE {{ ?s ?p ?o }}",
        "from-named-file": f"SELECT * FROM NAMED <{file_iri}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "load-http": f"LOAD <{canary.url}>",
        "load-file": f"LOAD <{file_iri}> INTO GRAPH <urn:g>",
        "insert": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "delete-where": "DELETE WHERE { ?s ?p ?o }",
        "drop": "DROP ALL",
        "clear": "CLEAR DEFAULT",
        "update-after-query": f"SELECT * WHERE {{ ?s ?p ?o }} ; LOAD <{canary.url}>",
        "service-in-broken-query": f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o ",
    }


NAMES = [
    "service", "service-silent", "service-lowercase", "service-prefixed", "service-variable",
    "service-escaped", "service-after-fake-iri", "service-nested", "from-http",
    "from-named-http", "from-file", "from-named-file", "load-http", "load-file", "insert",
    "delete-where", "drop", "clear", "update-after-query", "service-in-broken-query",
]  # fmt: skip


@pytest.mark.parametrize("engine", ["memory", "rdflib"])
def test_no_query_reaches_the_network_or_the_disk(built: Settings, canary: Canary, engine) -> None:
    from kg import create_app

    app = create_app(dataclasses.replace(built, store=engine))
    client = app.test_client()
    cases = hostile(canary)
    assert sorted(cases) == sorted(NAMES), "a case was added or lost"
    for name, query in cases.items():
        response = client.get("/sparql", query_string={"query": query})
        # Updates are refused as such (403, the endpoint is read-only); the rest is a bad query.
        updates = ("load-", "insert", "delete-", "drop", "clear", "update-after-query")
        expected = 403 if name.startswith(updates) else 400
        assert response.status_code == expected, (name, response.status_code)
        body = response.get_data(as_text=True)
        assert canary.token not in body
        assert "Traceback" not in body
    time.sleep(0.2)  # a late callback from a query process would show up here
    assert canary.untouched(), canary.hits


def test_the_canary_sings_when_an_engine_is_asked_directly(built: Settings, canary) -> None:
    """Proof that the canary would notice: the bare engine does call SERVICE endpoints."""
    from kg.store import open_engine

    with pytest.raises(Exception):  # noqa: B017 - the canary's empty answer is no SPARQL result
        open_engine(built).query(hostile(canary)["service"])
    assert canary.hits


def test_words_inside_strings_iris_and_comments_are_not_refused(client) -> None:
    query = (
        "# SERVICE <http://example.org/> LOAD\n"
        'SELECT ?x WHERE { BIND("SERVICE <http://example.org/> { }" AS ?x) '
        "FILTER(?x != <http://example.org/service/load/insert>) }"
    )
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_from_selects_existing_graphs_only(client) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}> WHERE {{ ?s ?p ?o }}"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    assert int(response.get_json()["results"]["bindings"][0]["n"]["value"]) > 0


def test_allow_listed_service_passes_the_check(built: Settings) -> None:
    partner = "http://partner.example/sparql"
    settings = dataclasses.replace(built, service_allowlist=(partner,))
    check_query(f"SELECT * WHERE {{ SERVICE <{partner}> {{ ?s ?p ?o }} }}", settings, [GRAPH])
    with pytest.raises(QueryRejected) as caught:
        check_query(f"SELECT * WHERE {{ SERVICE <{partner}x> {{ ?s ?p ?o }} }}", settings, [])
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("text", "via_url", "status"),
    [
        ("SELECT * WHERE { ?s ?p ?o }" + " " * Settings.max_query_length, True, 414),
        ("SELECT * WHERE { ?s ?p ?o }" + " " * Settings.max_query_length, False, 413),
        ("SELECT * WHERE " + "{" * 100 + "?s ?p ?o" + "}" * 100, False, 400),
        ("ASK { FILTER(" + "(" * 80 + "1" + ")" * 80 + ") }", False, 400),
        ("ASK {}\x00", False, 400),
    ],
)
def test_size_and_depth_caps(built: Settings, text: str, via_url: bool, status: int) -> None:
    with pytest.raises(QueryRejected) as caught:
        check_query(text, built, [], via_url=via_url)
    assert caught.value.status == status
    assert str(built.max_query_length) in caught.value.reason or status == 400


def _nested(depth: int) -> str:
    return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth


@pytest.mark.parametrize("cap", [Settings.max_query_length, 1000])
def test_the_length_cap_accepts_a_query_exactly_at_it_and_refuses_one_more(cap: int) -> None:
    """Both sides of the boundary, so an off-by-one either way shows."""
    from kg.web.endpoint.limits import check_text

    settings = dataclasses.replace(Settings(), max_query_length=cap)
    at_cap = "ASK { }" + " " * (cap - len("ASK { }"))
    assert len(at_cap) == cap
    check_text(at_cap, settings)
    check_text(at_cap, settings, via_url=True)
    for via_url, status in ((False, 413), (True, 414)):
        with pytest.raises(QueryRejected) as caught:
            check_text(at_cap + " ", settings, via_url=via_url)
        assert caught.value.status == status
        assert f"is {cap + 1} characters long" in caught.value.reason


@pytest.mark.parametrize("cap", [Settings.max_query_depth, 5])
def test_the_depth_cap_accepts_a_query_exactly_at_it_and_refuses_one_more(cap: int) -> None:
    from kg.web.endpoint.limits import check_text

    settings = dataclasses.replace(Settings(), max_query_depth=cap)
    assert shape(_nested(cap)).depth == cap
    check_text(_nested(cap), settings)
    with pytest.raises(QueryRejected) as caught:
        check_text(_nested(cap + 1), settings)
    assert caught.value.status == 400
    assert f"nests brackets {cap + 1} deep" in caught.value.reason


def test_depth_ignores_brackets_in_strings_iris_and_comments() -> None:
    assert shape('ASK { FILTER("((((((" != <urn:((((>) } # ((((((').depth == 2
    assert unescape_codepoints(r"\u0053ERVICE") == "SERVICE"


def test_protocol_graph_parameters_must_name_existing_graphs(built: Settings) -> None:
    with pytest.raises(QueryRejected):
        check_query("ASK {}", built, [GRAPH], default_graphs=["file:///etc/passwd"])
    check_query("ASK {}", built, [GRAPH], default_graphs=[GRAPH])


@pytest.fixture(scope="module")
def strict_app(built: Settings):
    """One query process and a one-second timeout, so the limits show quickly."""
    from kg import create_app

    return create_app(dataclasses.replace(built, query_timeout=1.0, query_processes=1, max_rows=5))


CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.serial  # a query against its timeout: `make test`'s serial pass
def test_a_runaway_query_is_stopped_with_503_and_the_next_one_answers(strict_app) -> None:
    client = strict_app.test_client()
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": CARTESIAN})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert time.monotonic() - started < 10 * 1.0  # ten times the timeout: stopped, not finished
    ok = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert ok.status_code == 200 and ok.get_json()["boolean"] is True


def _one_slot_app(built: Settings, timeout: float, grace: float = 0.25):
    """One query process: every query runs in a query process (never the worker's thread), so
    every query needs the one slot. ``grace``: CPU seconds before a query is demoted."""
    from kg import create_app

    return create_app(
        dataclasses.replace(built, query_timeout=timeout, query_processes=1, query_grace=grace)
    )


def _probe_until_busy(app, slow: threading.Thread):
    """Wait until the slow query runs in the one query process, then send a small query: the
    events to wait for, instead of a pause a busy machine may outlast. Probing before the slow
    query holds the slot would race it: a probe holding the slot for a moment gets the slow
    query refused instead."""
    from kg.web.endpoint.execution import pool_for

    deadline = time.monotonic() + 60
    while not pool_for(app)._running:
        assert slow.is_alive(), "the slow query ended before it ever held the slot"
        assert time.monotonic() < deadline, "the slow query never took the slot"
        time.sleep(0.01)
    return app.test_client().get("/sparql", query_string={"query": "ASK { FILTER(1 >= 0) }"})


@pytest.mark.serial  # a query against its timeout: `make test`'s serial pass
def test_busy_workers_answer_503_at_once(built: Settings, monkeypatch) -> None:
    """While the one slot is taken by a query not yet past its grace period (made longer than
    the timeout here, so no machine is too slow to land inside it), a new query gets 503 with
    Retry-After at once: while the slow one still runs, not after it ended."""
    app = _one_slot_app(built, timeout=10.0, grace=1000.0)
    slow = threading.Thread(
        target=lambda: app.test_client().get("/sparql", query_string={"query": CARTESIAN})
    )
    slow.start()
    response = _probe_until_busy(app, slow)
    assert slow.is_alive(), "the refusal came only after the slow query ended"
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "busy" in response.get_data(as_text=True)
    slow.join()


def test_row_cap_is_signalled(built: Settings) -> None:
    """The row cap cuts an answer and says so. Its own app: a legitimate query must not race
    strict_app's one-second timeout (it took 1.8 s on a loaded machine)."""
    from kg import create_app

    app = create_app(dataclasses.replace(built, query_timeout=120.0, max_rows=5))
    response = app.test_client().get(
        "/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"}
    )
    assert response.status_code == 200
    assert len(response.get_json()["results"]["bindings"]) == 5
    assert response.headers["KG-Truncated"] == "5"


def test_body_cap_is_413(built: Settings) -> None:
    """Issue 14: the body cap, not the query-length cap, refuses a body over KG_MAX_BODY_BYTES
    (a query-length cap far above the body keeps the other cap out of the way)."""
    from kg import create_app

    settings = dataclasses.replace(built, max_body_bytes=65536, max_query_length=10**6)
    client = create_app(settings).test_client()
    query = "ASK { ?s ?p ?o }" + " " * 200_000
    for kwargs in (
        {"data": {"query": query}},  # a form, as the issue found it answered 200
        {"data": query.encode(), "content_type": "application/sparql-query"},
    ):
        response = client.post("/sparql", **kwargs)
        assert response.status_code == 413, response.status_code
        assert response.get_data(as_text=True) == "The request body is larger than 65536 bytes.\n"
        assert response.mimetype == "text/plain"
    small = client.post("/sparql", data={"query": "ASK { ?s ?p ?o }" + " " * 60_000})
    assert small.status_code == 200 and small.get_json()["boolean"] is True


def test_security_headers_on_every_response(client) -> None:
    from tests import expected_headers

    paths = ("/sparql?query=ASK%7B%7D", "/healthz", "/no-such-page", "/sparql", "/sparql?query=x")
    for path in (*paths, "/", "/graph/ontology.ttl", "/search?q=x"):
        response = client.get(path, headers={"Origin": "https://evil.example"})
        expected_headers.check(response.headers)
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_errors_leak_no_traceback_path_or_version(built: Settings) -> None:
    """Issue 14: a real request to a view that fails; only the registered handler keeps the
    exception's text, the file path and the traceback out of the answer."""
    from kg import create_app

    app = create_app(built)
    secret = f"secret at {Path(__file__)}"

    def boom() -> str:
        raise RuntimeError(secret)

    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    for accept in ("text/html", "application/json", "*/*"):
        response = client.get("/boom", headers={"Accept": accept})
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert response.mimetype == "text/plain"
        assert body == "The server failed to answer; the error has been logged.\n"
        assert "secret" not in body and "Traceback" not in body and "/" not in body


PAYLOAD = "<script>alert(1)</script>"


def test_user_input_is_never_echoed_as_html(client) -> None:
    """Issue 14: ask for HTML where input is echoed (the 404 page shows the path, the language
    switch links carry the query string), and on the endpoint's error paths."""
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    html = {"Accept": "text/html"}
    pages = [
        (f"/{PAYLOAD}", {}),
        (f"/id/municipality/{PAYLOAD}.html", {"x": PAYLOAD}),
        ("/examples", {"q": PAYLOAD}),
    ]
    for path, params in pages:
        response = client.get(path, query_string=params, headers=html)
        assert response.mimetype == "text/html", (path, response.mimetype)
        body = response.get_data(as_text=True)
        assert PAYLOAD not in body and "<script>alert" not in body, path
    echoed = client.get(f"/{PAYLOAD}", headers=html).get_data(as_text=True)
    assert escaped in echoed  # the input is shown, escaped: the check above had something to see
    for params in ({"query": PAYLOAD}, {"query": "ASK {}", "format": PAYLOAD}):
        response = client.get("/sparql", query_string=params, headers=html)
        body = response.get_data(as_text=True)
        if response.status_code != 200:  # an error: plain text, which no browser renders
            assert response.mimetype == "text/plain", (params, response.mimetype)
        else:
            assert response.mimetype == "text/html" and PAYLOAD not in body


@pytest.mark.serial  # a query against its timeout: `make test`'s serial pass
def test_under_overload_the_long_query_is_shed_for_a_new_one(built: Settings, monkeypatch) -> None:
    from kg.web.endpoint.slots import ServerSlots

    # The event the new query waits for: the slow one is past its grace period, demoted and
    # marked as sheddable (instead of a fixed pause of twelve grace periods).
    marked = threading.Event()
    real_mark = ServerSlots.mark_demoted

    def mark_demoted(self, slot: int, pid: int, started: float) -> None:
        real_mark(self, slot, pid, started)
        marked.set()

    monkeypatch.setattr(ServerSlots, "mark_demoted", mark_demoted)
    # The timeout is long (30 s) so that the slow query is still running, demoted, when the
    # new one arrives, however slow the machine.
    # A small CPU grace (what a query uses before it may be shed): demoted after
    # fifty milliseconds of its own CPU time however busy the machine (issue 22); the probe, an
    # ASK of microseconds, never reaches it.
    app = _one_slot_app(built, timeout=30.0, grace=0.05)
    outcome: list[int] = []
    slow = threading.Thread(
        target=lambda: outcome.append(
            app.test_client().get("/sparql", query_string={"query": CARTESIAN}).status_code
        )
    )
    slow.start()
    # Not probed (a probe past the grace period would shed it itself): the new query is sent
    # once the slow one has been marked, still far from its timeout. The bound is a backstop.
    assert marked.wait(60), "the slow query was never demoted"
    assert slow.is_alive()
    response = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    slow.join(60)
    assert response.status_code == 200
    assert outcome == [503]


def test_comment_lines_do_not_cost_a_parse_but_code_still_does(client, monkeypatch) -> None:
    """Regression (performance): header comments of example queries mention 'from' and 'with';
    only keyword tokens send a query through rdflib's slow parser. Issue 14: a long string that
    ends on a line starting with '#' is no comment, and the code after it is read."""
    from kg.web.endpoint import limits

    parsed: list[str] = []
    real = limits._parse
    monkeypatch.setattr(limits, "_parse", lambda text: parsed.append(text) or real(text))
    settings = client.application.config["KG_SETTINGS"]
    limits.check_query("# a query from the examples, with a header\nASK {}", settings, ())
    assert parsed == []
    with pytest.raises(limits.QueryRejected):
        limits.check_query("ASK FROM <file:///etc/passwd> {}  # from", settings, ())
    issue = 'SELECT * WHERE { BIND("""\n# """ AS ?x) SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }'
    with pytest.raises(limits.QueryRejected) as caught:
        limits.check_query(issue, settings, ())
    assert caught.value.status == 400 and "SERVICE" in caught.value.reason


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("SELECT ?s WHERE { ?s prov:wasDerivedFrom ?d ; dk:validFrom ?y }", False),
        ("SELECT ?validFrom WHERE { ?s dk:validFrom $validFrom }", False),
        ("SELECT ?s WHERE { ?s <http://example.org/service/from#with> 'load' } # drop", False),
        ("SELECT ?s WHERE { ?s ?p x:a.SERVICE }", False),  # one local name (Oxigraph agrees)
        ("SELECT ?s FROM <http://127.0.0.1:9/> WHERE { ?s ?p ?o }", True),
        ("ASK { ?s ?p 1SERVICE <http://127.0.0.1:9/> {} }", True),  # 1 then SERVICE
        ("PREFIX service: <urn:s:> ASK { ?s ?p service:x }", True),  # SERVICE :x to Oxigraph
        ("ASK { ?s ?p ?o FILTER(?o<?b&&?c>?d) }", True),  # an IRI, or two comparisons
    ],
)
def test_only_keyword_tokens_cost_a_parse(text: str, parsed: bool, monkeypatch) -> None:
    """The parse is skipped only when the tokens prove no risky keyword can be code."""
    from kg.web.endpoint import limits

    seen: list[str] = []
    real = limits._parse
    monkeypatch.setattr(limits, "_parse", lambda t: seen.append(t) or real(t))
    try:
        limits.check_query(text, Settings(), ())
    except limits.QueryRejected as err:
        assert parsed, err  # only a text that needed the parse may be refused here
    assert bool(seen) is parsed


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?s WHERE { ?s ?p trueSERVICE <http://127.0.0.1:9/> {} }",  # true SERVICE
        "SELECT ?s WHERE { ?s A ?o }",  # only 'a' is case-sensitive
        "SELECT ?s WHERE { \\u0053ERVICE <http://127.0.0.1:9/> {} }",  # Oxigraph: no escape here
        "SELECT ?s WHERE { ?s ?p 'x\\q' }",  # no such escape
        'SELECT ?s WHERE { ?s ?p "\\u0022" }',  # SPARQL reads three quotes
    ],
)
def test_what_is_not_sparql_terminals_is_refused_before_any_parse(text: str, monkeypatch) -> None:
    from kg.web.endpoint import limits

    monkeypatch.setattr(limits, "_parse", lambda t: pytest.fail("parsed"))
    with pytest.raises(limits.QueryRejected) as caught:
        limits.check_query(text, Settings(), ())
    assert caught.value.status == 400
    assert caught.value.reason.startswith("Malformed query: ")
    assert " at line 1, column " in caught.value.reason


#: Issue 14, item 3: the same layout (a long string that ends on a line starting with '#')
#: in front of every other gate.
AFTER_LONG_STRING = 'SELECT * WHERE { BIND("""\n# """ AS ?x) } ;\n'
UPDATE_FORMS = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }",
    "LOAD <file:///etc/passwd>",
    "CLEAR ALL",
    "CREATE GRAPH <urn:g>",
    "DROP DEFAULT",
    "COPY DEFAULT TO <urn:g>",
    "MOVE <urn:g> TO DEFAULT",
    "ADD <urn:g> TO <urn:h>",
]


@pytest.mark.parametrize("update", UPDATE_FORMS)
@pytest.mark.parametrize(
    "spelling", ["plain", "lower", "after-long-string", "after-single-long-string", "escaped"]
)
def test_every_update_form_is_refused_however_it_is_written(client, update, spelling) -> None:
    text = {
        "plain": update,
        "lower": update.lower(),
        "after-long-string": AFTER_LONG_STRING + update,
        "after-single-long-string": AFTER_LONG_STRING.replace('"""', "'''") + update,
        "escaped": "\\u00" + hex(ord(update[0]))[2:].upper() + update[1:],
    }[spelling]
    response = client.get("/sparql", query_string={"query": text})
    if spelling == "escaped" and response.status_code == 400:
        # A \u escape outside a string is refused before anything else reads the text.
        assert "starts no SPARQL 1.1 term" in response.get_data(as_text=True)
        return
    # 403 for every form and spelling: an update is refused as an update (the endpoint is
    # read-only), never as a malformed query, so a word missing from the lexer's list shows.
    assert response.status_code == 403, (text, response.status_code, response.data[:200])


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * # a comment with a quote "\nFROM <file:///etc/passwd> WHERE { ?s ?p ?o }',
        "SELECT * # '''\nFROM NAMED <file:///etc/passwd> WHERE { ?s ?p ?o } # '''",
        "SELECT * FrOm <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM <file:///etc/passwd#> WHERE { ?s ?p ?o }",
        "PREFIX f: <file:///etc/> SELECT * FROM f:passwd WHERE { ?s ?p ?o }",
        "PREFIX from: <file:///etc/> SELECT * FROM from:passwd WHERE { ?s ?p ?o }",
    ],
)
def test_from_is_found_whatever_comes_before_it(client, text: str) -> None:
    response = client.get("/sparql", query_string={"query": text})
    assert response.status_code == 400
    assert "file:///etc/passwd" in response.get_data(as_text=True)


def test_depth_counts_the_brackets_after_a_long_string_and_none_inside() -> None:
    settings = Settings()
    deep = 'ASK { BIND("""\n# """ AS ?x) ' + "{" * 70 + "}" * 70 + " }"
    with pytest.raises(QueryRejected) as caught:
        check_query(deep, settings, ())
    assert caught.value.reason.startswith("The query nests brackets 71 deep")
    check_query('ASK { BIND("""\n# ' + "{" * 200 + '""" AS ?x) }', settings, ())


def test_the_length_cap_counts_characters_as_the_body_cap_counts_bytes(built: Settings) -> None:
    """A query of multi-byte characters is held to the length cap in characters, and its body
    to the body cap in bytes: neither cap reads the other's unit."""
    from kg import create_app

    settings = dataclasses.replace(built, max_query_length=1000, max_body_bytes=1500)
    client = create_app(settings).test_client()
    fits = 'ASK { FILTER("' + "é" * 600 + '" != "") }'  # 624 characters, 1,224 bytes
    assert client.post(
        "/sparql", data=fits.encode(), content_type="application/sparql-query"
    ).get_json() == {"head": {}, "boolean": True}
    too_long = 'ASK { FILTER("' + "a" * 1000 + '" != "") }'
    refused = client.post("/sparql", data=too_long, content_type="application/sparql-query")
    assert refused.status_code == 413
    assert refused.get_data(as_text=True).startswith("The query is 1024 characters long")
    too_big = 'ASK { FILTER("' + "é" * 800 + '" != "") }'  # 824 characters, 1,624 bytes
    body = client.post("/sparql", data=too_big.encode(), content_type="application/sparql-query")
    assert body.get_data(as_text=True) == "The request body is larger than 1500 bytes.\n"
