"""The one pass that tells updates from queries, names the query form and measures nesting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.lexer import (
    KEYWORDS,
    READINGS_DIFFER,
    RISKY_KEYWORDS,
    UPDATE_KEYWORDS,
    shape,
    unescape_codepoints,
)

#: Pieces of SPARQL that hide or show keywords, so that generated texts are often near-queries.
FRAGMENTS = [
    "SELECT", " ", "{", "}", "(", ")", "INSERT", "SERVICE", "FROM", '"', "'''", "<", ">", "#",
    "\n", "\\u0053ERVICE", "ex:", "?x", "ADD", "a", "\\", "'", '"""', "VALUES", "1", "\\u007B",
]  # fmt: skip

PROLOGUE = "PREFIX ex: <http://example.org/>\nPREFIX dk: <https://w3id.org/dk#>\n"


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <a> <b> <c> }",
        PROLOGUE + "insert data { ex:a ex:b ex:c }",  # lower case, after a prologue
        "SELECT * { ?s ?p ?o } ; DELETE WHERE { ?s ?p ?o }",  # an update after a query
        "LOAD <file:///etc/passwd>",
        "WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "CLEAR ALL",
    ],
)
def test_updates_are_recognised(text: str) -> None:
    assert shape(text).operation == "update"


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "INSERT DATA" }',  # in a string
        "SELECT * { ?s ?p '''\nDELETE\n''' }",  # in a long string
        "SELECT * { ?s <urn:x:delete> ?o }",  # in an IRI
        "SELECT * { ?s ?p ?o } # LOAD <file:///etc/passwd>",  # in a comment
        PROLOGUE + "SELECT * { ?s ex:insert ?o ; ex:load ?x }",  # in prefixed names
        "SELECT ?insert { ?insert ?p ?o }",  # in variables
    ],
)
def test_words_inside_other_terminals_are_not_keywords(text: str) -> None:
    assert shape(text).operation == "query"


@pytest.mark.parametrize(
    ("text", "form"),
    [
        (PROLOGUE + "select ?s { ?s ?p ?o }", "SELECT"),
        ("# ASK in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <urn:x>", "DESCRIBE"),
        ('ASK { FILTER("SELECT" != "x") }', "ASK"),
        ("PREFIX ex: <http://example.org/>", None),
    ],
)
def test_the_query_form_is_the_first_form_keyword(text: str, form: str | None) -> None:
    assert shape(text).form == form


def test_depth_counts_brackets_of_code_only() -> None:
    assert shape("ASK { { ( [ ] ) } }").depth == 4
    assert shape('ASK { FILTER("((((" != <urn:((((>) } # ((((((').depth == 2
    assert shape("ASK { } } } {").depth == 1  # stray closers never go below zero


def test_service_is_seen_as_a_word_only() -> None:
    assert shape("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }").mentions_service
    assert not shape('SELECT * { ?s ?p "SERVICE" }').mentions_service


def test_code_point_escapes_are_applied_before_reading_words() -> None:
    assert shape(unescape_codepoints(r"\u0049NSERT DATA { <a> <b> <c> }")).operation == "update"
    assert unescape_codepoints("no escapes") == "no escapes"


@given(st.text(max_size=300) | st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_any_text_gives_a_shape(text: str) -> None:
    """Whatever the text, its shape keeps the promises the checks rely on."""
    found = shape(text)
    plain = unescape_codepoints(text)
    # Depth counts brackets that are there (in either reading), never more.
    assert 0 <= found.depth <= max(sum(map(text.count, "({[")), sum(map(plain.count, "({[")))
    for word in found.words:
        assert word in KEYWORDS or word == "a", word
        assert word.casefold() in text.casefold() or word.casefold() in plain.casefold(), word
    # The one safety promise: a risky keyword read as code is never judged safe unparsed.
    if RISKY_KEYWORDS.intersection(found.words):
        assert found.needs_parse, (text, found)
    assert found.operation == ("update" if UPDATE_KEYWORDS.intersection(found.words) else "query")


def _nest(depth: int, words: list[str]) -> str:
    return " ".join(words) + " {" * depth + " ?s ?p ?o" + " }" * depth


@given(
    st.integers(min_value=0, max_value=70),
    st.lists(st.sampled_from([*sorted(UPDATE_KEYWORDS), "SELECT", "ASK", "WHERE", "a"])),
)
def test_a_shape_agrees_with_a_plain_model_of_code_without_strings(
    depth: int, words: list[str]
) -> None:
    """Keywords and braces only (no strings, IRIs or comments to hide them): the words read
    are exactly the keywords written, and the depth the nesting written."""
    found = shape(_nest(depth, words))
    assert found.depth == depth
    assert list(found.words) == words
    assert found.operation == ("update" if UPDATE_KEYWORDS.intersection(words) else "query")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # the four string forms, with escapes, '#', newlines, braces and keywords inside
        ('ASK { ?s ?p "a\\"# SERVICE {" }', ["ASK"]),
        ("ASK { ?s ?p 'it\\'s # FROM' }", ["ASK"]),
        ('ASK { ?s ?p """\n# ""\\"SERVICE\n""" }', ["ASK"]),
        ("ASK { ?s ?p '''a''b\n# ''' } SERVICE", ["ASK", "SERVICE"]),  # issue 14
        ('ASK { ?s ?p """\n# """ } service', ["ASK", "SERVICE"]),
        ("ASK { ?s ?p '\\\\' } from", ["ASK", "FROM"]),  # an escaped backslash ends nothing
        # IRIs hold '#', comments hold quotes
        ("ASK { ?s <urn:x#SERVICE> ?o } # it's \"\nLOAD", ["ASK", "LOAD"]),
        # prefixed names: PN_LOCAL escapes, ':' and '.' inside, digits first
        ("ASK { ?s ex:a\\#SERVICE ?o . ?s ex:b:c.d ?o . ?s ex:1.2 ?o }", ["ASK"]),
        # variables, blank nodes, language tags, numbers
        ('ASK { ?service $from _:load.x "x"@en-insert FILTER(1.5e3 > .5) }', ["ASK", "FILTER"]),
        # keywords in any case; 'a' in lower case only
        ("sElEcT ?s { ?s a ?o } LiMiT 1", ["SELECT", "a", "LIMIT"]),
    ],
)
def test_terminals_are_read_whole(text: str, words: list[str]) -> None:
    found = shape(text)
    assert found.error is None, found.error
    assert list(found.words) == words


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("SELECT ?s { ?s A ?o }", "A at line 1, column 16"),
        ("SELECT ?s {\n ?s ?p trueSERVICE }", "trueSERVICE at line 2, column 8"),
        ("ASK { \\u0053ERVICE }", "\\ at line 1, column 7"),  # Oxigraph: no escape there
        ("ASK { ?s ?p 'a\\qb' }", "' at line 1, column 13"),
        ('ASK { ?s ?p "\\u0022" }', '" at line 1, column 15'),  # SPARQL: "" then a lone "
        ("ASK { ?s ?p ?o } ~", "~ at line 1, column 18"),
    ],
)
def test_what_is_no_sparql_terminal_is_an_error_with_its_position(text: str, where: str) -> None:
    found = shape(text)
    assert found.error is not None and found.error.startswith(where), found.error


def test_keywords_an_engine_may_glue_to_a_name_need_the_parse() -> None:
    """Measured: Oxigraph reads SERVICE:x as SERVICE :x and SERVICEfoo:x as SERVICE foo:x."""
    assert shape("ASK { ?s ?p ?o SERVICE:x {} }").mentions_service
    assert shape("ASK { ?s ?p ?o SERVICEfoo:x {} }").needs_parse
    assert shape("ASK { ?s ?p fromage:x }").needs_parse
    assert not shape("ASK { ?s dk:wasDerivedFrom ex:service }").needs_parse  # a local name


def test_an_iri_that_may_be_less_than_needs_the_parse() -> None:
    assert shape("ASK { FILTER(?a<?b)SERVICE?e#> }").needs_parse
    assert not shape("ASK { FILTER(?a < <urn:b>) }").needs_parse
    assert not shape("SELECT * { VALUES (?a ?b) { (<urn:a> <urn:b>) } }").needs_parse


def test_both_readings_of_escapes_count() -> None:
    """SPARQL applies code-point escapes first, Oxigraph only in strings and IRIs."""
    hidden = shape('ASK { ?s ?p "\\u0022 } SERVICE <x> {} #" }')  # one string to Oxigraph
    assert hidden.mentions_service and READINGS_DIFFER in hidden.risky  # code to SPARQL
    assert shape('ASK { ?s ?p "\\u0041" }').error is None
    assert shape("ASK { ?s <urn:\\u0041> ?o }").error is None


def test_declared_prefixes_come_from_the_prologue_only() -> None:
    from kg.lexer import declared_prefixes

    text = (
        "# PREFIX commented: <urn:c>\nPREFIX dk: <https://w3id.org/dk#>\nprefix : <urn:e>\n"
        'BASE <http://b/>\nPREFIX a.b: <urn:ab>\nSELECT * { ?s ?p "PREFIX later: <urn:l>" }'
    )
    assert declared_prefixes(text) == {"dk", "", "a.b"}
    assert declared_prefixes("SELECT * {}") == frozenset()


@pytest.mark.parametrize("unit", ["a.", "a-", "a.:", "<a", '"""a', "1.", "ex:a.b-c "])
def test_reading_takes_linear_time_whatever_the_text(unit: str) -> None:
    """Regression: a prefixed name was tried at every 'a' of 'a.a.a…' and scanned to the end
    of the run each time: 40 kB took a minute, in the web worker."""
    import time

    started = time.perf_counter()
    shape(unit * (40_000 // len(unit)))
    assert time.perf_counter() - started < 1.0


def test_the_number_of_terms_is_capped() -> None:
    """A megabyte of one-character terms would cost seconds of the web worker's time."""
    from kg.lexer import MAX_TERMS

    found = shape("1 " * MAX_TERMS)
    assert (
        found.error
        == f"the text has more than {MAX_TERMS} terms, at line 1, column {MAX_TERMS + 1}"
    )
    assert shape("1 " * (MAX_TERMS // 2 - 1)).error is None


def test_keywords_glued_to_names_are_counted_with_the_words() -> None:
    """Issue 23: check_reach compared rdflib's SERVICE count with the words only, so a glued
    SERVICE:x that rdflib hid (in a comment ended by a lone CR, in a \\u0022 string) passed."""
    assert shape("ASK { ?s ?p ?o SERVICE:x {} }").count("SERVICE") == 1
    assert shape("ASK { ?s ?p ?o SERVICEc:x {} trueSERVICE:y {} }").count("SERVICE") == 2
    assert shape("ASK { ?s ?p ?o SERVICE <x> {} }").count("SERVICE") == 1
    assert shape("ASK { ?s ?p fromage:x }").count("FROM") == 0  # Oxigraph: a name (measured)
    assert shape("PREFIX service: <x> ASK {}").count("SERVICE") == 0  # its declaration
    assert READINGS_DIFFER in shape('ASK { BIND("\\u0022" AS ?a) SERVICE:f {} }').risky


@pytest.mark.parametrize(
    "text",
    [
        "ASK { FILTER(EXISTS{}<?x)SERVICE:f#>\n{} }",  # issue 23: '}' ends an operand
        "ASK { FILTER(NOT EXISTS{ ?s ?p ?o }<?x)SERVICE:f#>\n{} }",
        "ASK { FILTER(<<( ?s ?p ?o )>><?x)SERVICE:f#>\n{} }",  # '>' of a triple term
        "ASK { FILTER(NOW()<?x)SERVICE:f#>\n{} }",
    ],
)
def test_an_iri_after_any_operand_end_needs_the_parse(text: str) -> None:
    assert shape(text).needs_parse


def test_carriage_returns_become_line_feeds_for_rdflib() -> None:
    from kg.lexer import for_line_feed_parsers

    assert for_line_feed_parsers("a #\rSERVICE\r\nb") == "a #\nSERVICE\nb"


def test_a_from_glued_to_a_name_counts_where_a_dataset_clause_may_stand() -> None:
    assert shape("SELECT * FROM:g { ?s ?p ?o }").count("FROM") == 1
    assert shape("PREFIX from: <x> SELECT * FROM from:g { }").count("FROM") == 1  # an IRI there
    assert shape("PREFIX s: <x> SELECT * { SERVICE service:x {} }").count("SERVICE") == 1


@pytest.mark.parametrize(
    "text",
    [
        "ASK { ?s ?p ?x FILTER(?x = <urn:a>) }",
        "ASK { BIND(<urn:a> AS ?x) }",
        "ASK { ?s ?p ?x FILTER(?x IN (<urn:a>, <urn:b>)) }",
        'ASK { BIND(STRDT("1", <urn:t>) AS ?x) FILTER(?x != "1"^^<urn:t>) }',
        "ASK { ?s ?p ?x FILTER(<urn:f>(?x) && !<urn:g>(?x)) }",
        "ASK { ?s (<urn:p>/<urn:q>|^<urn:r>) ?o }",
    ],
)
def test_an_iri_where_only_an_operand_may_stand_needs_no_parse(text: str) -> None:
    """The ordinary places of an IRI in an expression keep the fast path."""
    assert not shape(text).needs_parse, shape(text).risky
