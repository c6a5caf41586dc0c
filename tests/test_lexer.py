"""The one pass that tells updates from queries, names the query form and measures nesting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.lexer import shape, unescape_codepoints

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


@given(st.text(max_size=300))
def test_any_text_gives_a_shape(text: str) -> None:
    found = shape(text)
    assert found.depth >= 0
    assert found.operation in ("query", "update")


PROLOGUE_PIECES = st.sampled_from(
    [
        "PREFIX ex: <http://example.org/>",
        "prefix : <urn:x>",
        "BASE <http://b/>",
        "# a comment",
        "PREFIX a.b-c: <urn:a>",
        "\n",
        "  ",
        "PREFIX e:<x>",
        "PREFIXES: <x>",
    ]
)
REST = st.sampled_from(
    [
        "SELECT * { ?s ?p ?o }",
        "INSERT DATA { <a> <b> <c> }",
        "ASK { FILTER((1)) }",
        "{",
        "}",
        "SERVICE",
        '"PREFIX"',
        "<urn:(>",
        "ex:delete",
        "prefix",
        "( [",
        "# ((",
        "'",
        '"""',
    ]
)


@given(st.lists(PROLOGUE_PIECES, max_size=8), st.lists(REST, max_size=8))
def test_skipping_the_prologue_changes_nothing_the_checks_read(prologue, rest) -> None:
    from kg.lexer import walk

    text = " ".join(prologue) + "\n" + " ".join(rest)
    fast, slow = shape(text), walk(text)
    assert fast.depth == slow.depth
    declarations = len(slow.words) - len(fast.words)  # the PREFIX and BASE words skipped
    assert set(slow.words[:declarations]) <= {"PREFIX", "BASE"}
    assert fast.words == slow.words[declarations:]
    assert (fast.operation, fast.form, fast.mentions_service) == (
        slow.operation,
        slow.form,
        slow.mentions_service,
    )


def test_declared_prefixes_come_from_the_prologue_only() -> None:
    from kg.lexer import declared_prefixes

    text = (
        "# PREFIX commented: <urn:c>\nPREFIX dk: <https://w3id.org/dk#>\nprefix : <urn:e>\n"
        'BASE <http://b/>\nPREFIX a.b: <urn:ab>\nSELECT * { ?s ?p "PREFIX later: <urn:l>" }'
    )
    assert declared_prefixes(text) == {"dk", "", "a.b"}
    assert declared_prefixes("SELECT * {}") == frozenset()
