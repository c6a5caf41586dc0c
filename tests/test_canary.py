"""Every layout that ever slipped SERVICE past the checks, against a canary (issue 14).

An outside reading found that ``BIND(\"\"\"\\n# \"\"\" AS ?x) SERVICE <…>`` made the endpoint call
another host: a line-based shortcut took the line that ends the long string for a comment.
The checks are now decided by :mod:`kg.lexer`. Here each layout (and every variant we could
think of) goes through real gunicorn with the default engine, by GET and both POST forms, and
through the Flask test client with both engines; the answer must be a refusal and the canary
must hear nothing. A hypothesis test then generates queries from SPARQL's tricky lexical parts
and checks, on each, that the fast verdict agrees with rdflib's full parse and that Oxigraph,
run directly on a tiny store, never calls the canary for a query the checks let through.
"""

from __future__ import annotations

import dataclasses
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from kg.lexer import shape
from kg.settings import Settings
from kg.web.endpoint.limits import QueryRejected, _parse, check_query
from tests.canary import Canary, singing
from tests.conftest import for_answers, free_port, start_gunicorn, stop_process

#: Each layout, named for its trick; ``{url}`` is the canary. Only a refusal is right for each.
#: The endpoint part most layouts share.
SVC = "SERVICE <{url}> { ?s ?p ?o }"
LAYOUTS = {
    "issue-14": 'SELECT * WHERE { BIND("""\n# """ AS ?x) SERVICE <{url}> { ?s ?p ?o } }',
    "issue-14-single-quotes": "SELECT * WHERE { BIND('''\n# ''' AS ?x) " + SVC + " }",
    "long-string-hash-indented": 'SELECT * WHERE { BIND("""a\n   # b""" AS ?x) ' + SVC + " }",
    "long-string-two-lines": 'SELECT * WHERE { BIND("""\n#\n# """ AS ?x) ' + SVC + " }",
    "long-string-inner-quotes": 'SELECT * WHERE { BIND("""a""b"\n# ""\\"""" AS ?x) ' + SVC + " }",
    "short-string-hash": 'SELECT * WHERE { BIND("# no comment" AS ?x) ' + SVC + " }",
    "single-string-hash": "SELECT * WHERE { BIND('#' AS ?x) SERVICE <{url}> { ?s ?p ?o } }",
    "escaped-quote": 'SELECT * WHERE { BIND("a\\"# b" AS ?x) SERVICE <{url}> { ?s ?p ?o } }',
    "escaped-backslash": 'SELECT * WHERE { BIND("a\\\\" AS ?x) SERVICE <{url}> { ?s ?p ?o } }',
    "escape-ends-string": 'SELECT * WHERE { BIND("x\\u005C" AS ?x) SERVICE <{url}> { ?s ?p ?o } }',
    "escape-quote-in-string": 'SELECT * WHERE { BIND("\\u0022 #" AS ?x) ' + SVC + " }",
    "comment-with-quotes": "SELECT * WHERE { # it's \"quoted\n SERVICE <{url}> { ?s ?p ?o } }",
    "comment-with-long-quote": 'SELECT * WHERE { # """\nSERVICE <{url}> { ?s ?p ?o } } # """',
    "comment-cr": "SELECT * WHERE { # comment\rSERVICE <{url}> { ?s ?p ?o } }",
    "iri-with-hash": "SELECT * { ?s ?p ?o FILTER(?o != <urn:x#y>) SERVICE <{url}#f> {?s ?p ?o} }",
    "codepoint-escape": "SELECT * WHERE { \\u0053ERVICE <{url}> { ?s ?p ?o } }",
    "long-codepoint-escape": "SELECT * WHERE { \\U00000053ervice <{url}> { ?s ?p ?o } }",
    "mixed-case": "select * where { SeRvIcE <{url}> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }",
    "no-spaces": "SELECT*WHERE{?s ?p ?o SERVICE<{url}>{?s ?p ?o}}",
    "tabs-crlf": "SELECT *\r\nWHERE\t{\r\n# c\r\nSERVICE\t<{url}>\r\n{ ?s ?p ?o } }",
    "nested-subqueries": (
        "SELECT * WHERE { { SELECT * WHERE { { SELECT ?s WHERE { "
        "SERVICE <{url}> { ?s ?p ?o } } } } } }"
    ),
    "values": 'SELECT * WHERE { VALUES ?x { "#" """\n#""" <urn:a#b> } SERVICE <{url}> {?s ?p ?o} }',
    "exists": "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "optional": "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <{url}> { ?s ?p ?o } } }",
    "ask": "ASK { SERVICE <{url}> { ?s ?p ?o } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "describe": "DESCRIBE ?s WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "prefixed-endpoint": "PREFIX c: <{url}#> SELECT * WHERE { SERVICE c: { ?s ?p ?o } }",
    "relative-endpoint": "BASE <{url}> SELECT * WHERE { SERVICE <> { ?s ?p ?o } }",
    "variable-endpoint": "SELECT * WHERE { BIND(<{url}> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "glued-to-true": "SELECT * WHERE { ?s ?p trueSERVICE <{url}> { ?s ?p ?o } }",
    "glued-to-number": "SELECT * WHERE { ?s ?p 1SERVICE <{url}> { ?s ?p ?o } }",
    "prefix-named-service": "PREFIX : <{url}> SELECT * WHERE { ?s ?p ?o SERVICE:x { ?s ?p ?o } }",
    "prefix-glued-to-service": (
        "PREFIX foo: <{url}> SELECT * WHERE { ?s ?p ?o SERVICEfoo:x { ?s ?p ?o } }"
    ),
    "fake-iri-string": "SELECT * { BIND('a' AS ?t) FILTER(?t<'x>')SERVICE<{url}>{?s ?p ?o} } #'",
    "fake-iri-comment": "PREFIX : <{url}> SELECT * { BIND(1 AS ?n) FILTER(?n<2)SERVICE:x#>\n{} }",
    "from": "SELECT * FROM <{url}> WHERE { ?s ?p ?o }",
    "from-named-only": "SELECT * FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "from-after-long-string": 'SELECT * WHERE { BIND("""\n# """ AS ?x) } ; FROM <{url}>',
    "load-after-long-string": 'SELECT * WHERE { BIND("""\n# """ AS ?x) } ; LOAD <{url}>',
}
UPDATES = ("load-after-long-string",)
#: How many layouts Oxigraph, asked directly, sends to the canary (measured with pyoxigraph
#: 0.5; the rest are syntax errors to it but may not be to another engine).
CALLING_LAYOUTS = 34


def layouts(url: str) -> dict[str, str]:
    return {name: text.replace("{url}", url) for name, text in LAYOUTS.items()}


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    with singing(tmp_path) as bird:
        yield bird


def send(base: str, method: str, query: str) -> tuple[int, str, str]:
    if method == "GET":
        request = urllib.request.Request(base + "?" + urllib.parse.urlencode({"query": query}))
    elif method == "POST form":
        body = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(base, data=body)  # urllib sends the form type
    else:
        body = query.encode()
        headers = {"Content-Type": "application/sparql-query"}
        request = urllib.request.Request(base, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), response.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers["Content-Type"]


def test_the_layouts_make_the_bare_engine_call_out(canary: Canary) -> None:
    """Proof the canary would notice, and that the layouts are real: Oxigraph itself sends the
    issue's query, and most of the others, to the URL."""
    store = tiny_store()
    calling = [
        name for name, text in layouts(canary.url).items() if _calls_out(store, canary, text)
    ]
    assert "issue-14" in calling
    assert len(calling) >= CALLING_LAYOUTS, sorted(set(LAYOUTS) - set(calling))


@pytest.mark.integration
def test_every_layout_is_refused_under_gunicorn(built: Settings, canary: Canary) -> None:
    port = free_port()
    process = start_gunicorn(built.build_dir, port, KG_STORE="memory")
    base = f"http://127.0.0.1:{port}/sparql"
    wrong = []
    try:
        for name, query in layouts(canary.url).items():
            for method in ("GET", "POST form", "POST direct"):
                status, body, media_type = send(base, method, query)
                expected = 403 if name in UPDATES else 400
                if status != expected or not media_type.startswith("text/plain"):
                    wrong.append(f"{name} by {method}: {status} {body.strip()[:120]}")
        time.sleep(0.2)  # a late call from a query process would show up here
    finally:
        stop_process(process)
    assert not wrong, wrong
    assert canary.untouched(), canary.hits


@pytest.mark.parametrize("engine", ["memory", "rdflib"])
def test_every_layout_is_refused_by_the_app(built: Settings, canary: Canary, engine) -> None:
    from kg import create_app

    client = create_app(for_answers(built, store=engine)).test_client()
    for name, query in layouts(canary.url).items():
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == (403 if name in UPDATES else 400), name
    time.sleep(0.2)
    assert canary.untouched(), canary.hits


# --- differential: the fast verdict, rdflib's parse and Oxigraph's behaviour agree ----------

#: Text that may open or close strings, comments and IRIs, or hide or reveal a keyword.
TRICKY = st.text(alphabet=list("#\"'\\\n\r {}()<>:.?$_aeSERVICsrvic0u5"), max_size=10)
STRING = st.builds(
    lambda quote, inside: f"{quote}{inside}{quote}",
    st.sampled_from(['"', "'", '"""', "'''"]),
    st.one_of(
        TRICKY,
        st.sampled_from(["\n# ", "#", '\\"#', "\\\\", "\\u0022", "\\u005C", 'a""b', "} #"]),
    ),
)
SERVICE_WORD = st.sampled_from(
    ["SERVICE", "service", "SeRvIcE", "SERVICE SILENT", "\\u0053ERVICE", "\\U00000053ervice"]
)
ENDPOINT = st.sampled_from(["<{url}>", "<{url}#x>", "c:", "c:x", "<>"])


def _service(word: str, endpoint: str) -> str:
    return f"{word} {endpoint} {{ ?s ?p ?o }}"


ELEMENT = st.one_of(
    st.builds(lambda s, n: f"BIND({s} AS ?v{n})", STRING, st.integers(0, 9)),
    st.builds(lambda t: f"# {t}\n", TRICKY),
    st.builds(_service, SERVICE_WORD, ENDPOINT),
    st.builds(lambda s: f"FILTER(?o != {s})", STRING),
    st.builds(lambda t: f"?s <urn:p{t}> ?o .", st.sampled_from(["", "#", "#SERVICE", "?x"])),
    st.builds(lambda s: f"VALUES ?w {{ {s} <urn:a#b> }}", STRING),
    st.sampled_from(
        [
            "?s ?p ?o .",
            "?s ?p trueSERVICE <{url}> { ?s ?p ?o }",
            "?s ?p ?o SERVICE:x { ?s ?p ?o }",
            "FILTER(?o<?x)SERVICE<{url}>#>\n{ ?s ?p ?o }",
            "?s ?p c:a.SERVICE",
            "{ SELECT * WHERE { ?s ?p ?o } }",
        ]
    ),
    TRICKY,
)
QUERY = st.builds(
    lambda parts, service, nest: (
        "PREFIX c: <{url}> PREFIX : <{url}> BASE <{url}>\nSELECT * WHERE { ?s ?p ?o "
        + "{ SELECT * WHERE { ?s ?p ?o " * nest
        + " ".join(parts)
        + f" {service}"
        + " }" * nest
        + " }"
    ),
    st.lists(ELEMENT, min_size=1, max_size=4),
    # Mostly a SERVICE last, so that a slip shows as a call; else a query with no SERVICE,
    # whose fast verdict is compared with the full parse.
    st.one_of(st.builds(_service, SERVICE_WORD, ENDPOINT), st.just("?s ?p ?o .")),
    st.integers(0, 2),
)


@pytest.fixture(scope="module")
def differential() -> Iterator[tuple[Canary, ox.Store]]:
    import tempfile

    with tempfile.TemporaryDirectory() as directory, singing(Path(directory)) as bird:
        yield bird, tiny_store()


XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")


def tiny_store() -> ox.Store:
    """A few triples, so that every pattern before a SERVICE has a solution to join with."""
    store = ox.Store()
    subject, predicate = ox.NamedNode("urn:s"), ox.NamedNode("urn:p")
    for value in (ox.NamedNode("urn:o"), ox.Literal("true", datatype=XSD_BOOLEAN), ox.Literal(1)):
        store.add(ox.Quad(subject, predicate, value))
    return store


def _calls_out(store: ox.Store, canary: Canary, text: str) -> bool:
    before = len(canary.hits)
    try:
        result = store.query(text)
        if not isinstance(result, ox.QueryBoolean):
            list(result)  # type: ignore[call-overload]
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    return len(canary.hits) > before


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=QUERY)
@example(template=LAYOUTS["issue-14"])
@example(template=LAYOUTS["prefix-named-service"])
@example(template=LAYOUTS["fake-iri-comment"])
@example(template=LAYOUTS["glued-to-true"])
@example(template=LAYOUTS["escape-ends-string"])
def test_fast_verdict_full_parse_and_engine_agree(differential, template: str) -> None:
    canary, store = differential
    text = template.replace("{url}", canary.url)
    try:
        check_query(text, Settings(), ())
        allowed = True
    except QueryRejected:
        allowed = False
    found = shape(text)
    if not found.error and not found.needs_parse:
        parsed = _parse(text)  # the fast path skips this; it must have found nothing either
        if not isinstance(parsed, str):
            assert parsed == ([], []), (text, parsed)
    calls_out = _calls_out(store, canary, text)
    assert not (allowed and calls_out), text
    event(f"{'allowed' if allowed else 'refused'}, Oxigraph {'calls' if calls_out else 'quiet'}")


# --- the gate switched off: the kernel alone keeps the query processes off the network ------

#: The issue 23 layouts that went past the gate of main at 570f805 (``\r`` a lone CR).
ISSUE_23 = [
    "PREFIX : <{url}> SELECT * WHERE { BIND(1 AS ?z) FILTER(EXISTS{}<?x)SERVICE:f1a#>\n"
    "{ ?a ?b ?c } }",
    "PREFIX : <{url}> SELECT * WHERE { BIND(1 AS ?z) #\rSERVICE:f2a\n{ ?a ?b ?c } }",
    'PREFIX : <{url}> SELECT * WHERE { BIND("\\u0022" AS ?a) SERVICE:f2b { ?s ?p ?o } '
    'BIND("\\u0022" AS ?b) }',
]


def _gate_off(monkeypatch) -> None:
    """No check of kg.web.endpoint.limits runs: every text goes to a query process as it came."""
    from kg.web.endpoint import execution

    monkeypatch.setattr(execution, "check_text", lambda text, settings, via_url=False: shape(text))
    monkeypatch.setattr(execution, "check_reach", lambda *args, **kwargs: None)


def _send_all(pool, url: str) -> list[str]:
    texts = [*layouts(url).values(), *(t.replace("{url}", url) for t in ISSUE_23)]
    outcomes = []
    for text in texts:
        try:
            pool.query(text, media_type="application/sparql-results+json")
            outcomes.append("answered")
        except Exception as err:  # refusals and engine errors alike: only the canary counts
            outcomes.append(type(err).__name__)
    return outcomes


def test_with_the_gate_off_no_query_process_reaches_the_canary(
    built: Settings, canary: Canary, monkeypatch
) -> None:
    """Issue 23, item 6: every layout, the gate switched off, through real query processes."""
    from kg.store import bare, open_engine
    from kg.web.endpoint import execution
    from kg.web.endpoint.execution import QueryPool

    _gate_off(monkeypatch)
    settings = dataclasses.replace(built, cache_entries=0, query_processes=2)
    pool = QueryPool(bare(open_engine(settings)), settings)
    try:
        _send_all(pool, canary.url)
    finally:
        pool.close()
    time.sleep(0.2)  # a late call would show up here
    assert canary.untouched(), canary.hits

    # The oracle: the same pool without the kernel's rule calls the canary.
    monkeypatch.setattr(execution, "forbid_network", lambda: None)
    pool = QueryPool(bare(open_engine(settings)), settings)
    try:
        _send_all(pool, canary.url)
    finally:
        pool.close()
    assert len(canary.hits) >= CALLING_LAYOUTS, canary.hits
