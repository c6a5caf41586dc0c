"""Syntax errors in words (kg.web.endpoint.query_errors): the cases people meet, in both languages,
with the line, the column and a caret; and the endpoint's 400 under gunicorn."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.lexer import shape
from kg.web.endpoint.query_errors import explain, explain_lexical, language

MISSING_DOT = "SELECT ?name WHERE {\n  ?m a dk:Municipality\n  ?m rdfs:label ?name\n}"


def parse_error(query: str) -> str:
    """What Oxigraph says about ``query`` (with the server's predefined prefixes)."""
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES

    try:
        ox.Store().query(query, prefixes=PREFIXES)
    except SyntaxError as error:
        return str(error)
    pytest.fail(f"{query!r} parses")


@pytest.mark.parametrize(
    ("query", "lang", "words", "line", "column"),
    [
        (MISSING_DOT, "en", "Expected `.` or `}` after the triple on line 2", 2, 23),
        (MISSING_DOT, "sv", "Det saknas `.` eller `}` efter trippeln på rad 2", 2, 23),
        ("SELECT * WHERE { ?s a foo:Bar }", "en", "The prefix `foo:` is not declared", 1, 23),
        ("SELECT * WHERE { ?s a foo:Bar }", "sv", "Prefixet `foo:` är inte deklarerat", 1, 23),
        ('SELECT * WHERE { ?s ?p "abc }', "en", "The text in quotes that starts on line 1", 1, 24),
        ("SELECT * WHERE { ?s <http://a b> ?o }", "en", "The IRI `<http://a b>` on line 1", 1, 21),
        ("SELEC ?s WHERE { ?s ?p ?o }", "en", "not with `SELEC`", 1, 1),
        ("SELECT * WHERE {\n  ?s ?p ?o .\n", "en", "The `{` on line 1 is never closed", 1, 16),
        ("SELECT * WHERE { FILTER (?o > ) }", "en", "An expression is missing here", None, None),
    ],
)
def test_errors_in_words(query, lang, words, line, column) -> None:
    said = explain(query, parse_error(query), lang)
    assert words in said.sentence, said.text
    if line is not None:
        assert (said.line, said.column) == (line, column), said.text
        caret = said.text.rstrip("\n").split("\n")[-1]
        assert caret.index("^") - caret.index("|") - 2 == column - 1, said.text
    assert "\\u{" not in said.text and "..=" not in said.text and "expected one of" not in said.text


@pytest.mark.parametrize(
    ("query", "lang", "words", "line", "column"),
    [
        ("SELECT ?x\nWHERE { ?x ?y SELET }", "en", "`SELET` is not a SPARQL 1.1 keyword", 2, 15),
        ("SELECT ?x WHERE { ?x ?y SELET }", "sv", "Menade du `SELECT`?", 1, 25),
        ("ASK { ?s ?p ?o } xyzzy", "en", "`xyzzy` is not a SPARQL 1.1 keyword.", 1, 18),
        ('ASK {\n ?s ?p "abc\n }', "sv", "inleder en text som aldrig avslutas", 2, 8),
        ("ASK { ?s ?p ~ }", "en", "`~` starts no SPARQL 1.1 term", 1, 13),
    ],
)
def test_the_gates_errors_in_words(query, lang, words, line, column) -> None:
    """What kg.lexer refuses before any parser runs, worded like the parser's errors."""
    said = explain_lexical(query, shape(query).error, lang)
    assert said is not None and words in said.sentence, said and said.text
    assert (said.line, said.column) == (line, column), said.text
    caret = said.text.rstrip("\n").split("\n")[-1]
    assert caret.index("^") - caret.index("|") - 2 == column - 1, said.text
    if "xyzzy" in query:
        assert "Did you mean" not in said.sentence  # no keyword is close


def test_a_gate_error_without_a_place_is_left_alone() -> None:
    assert explain_lexical("ASK {}", "the text has more than 250000 terms", "en") is None


def test_a_grammar_dump_is_never_repeated() -> None:
    query = "SELECT * WHERE { ?s ?p ?o . ?s ?p ?o ?o }"
    said = explain(query, parse_error(query), "en")
    assert "one of" not in said.text and len(said.sentence) < 200, said.text


def test_language_follows_accept_language() -> None:
    assert language("sv-SE,sv;q=0.9,en;q=0.5") == "sv"
    assert language("en-GB,sv;q=0.5") == "en"
    assert language(None) == "en" and language("de") == "en"


def test_the_endpoint_answers_400_in_words_with_a_caret(gunicorn_url: str) -> None:
    url = gunicorn_url + "?" + urllib.parse.urlencode({"query": MISSING_DOT})
    for lang, words in (("sv", "Det saknas `.`"), ("en", "Expected `.` or `}`")):
        request = urllib.request.Request(url, headers={"Accept-Language": lang})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=60)
        assert caught.value.code == 400
        body = caught.value.read().decode("utf-8")
        assert words in body, body
        assert "   2 |   ?m a dk:Municipality\n     |                       ^" in body, body
