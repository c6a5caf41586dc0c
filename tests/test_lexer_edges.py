"""kg.lexer on its edges: every keyword of the grammar, every bound, every message.

The gate decides from this reading alone whether a text may skip the full parser, so a keyword
missing from a table, a bound off by one or a wrong position in a message is a defect a user or
an attacker meets. The keyword lists here are written out from SPARQL 1.1 Query, section 19.8
(https://www.w3.org/TR/sparql11-query/#grammar, read 2026-12-06) and Update, section 3
(https://www.w3.org/TR/sparql11-update/#graphUpdate), not read from the module under test.
"""

from __future__ import annotations

import hashlib

import pytest

from kg import lexer
from kg.lexer import (
    AMBIGUOUS_IRI,
    MAX_REASONS,
    READINGS_DIFFER,
    REMEMBERED_LENGTH,
    declared_prefixes,
    shape,
    text_key,
    unescape_codepoints,
)

GRAMMAR_KEYWORDS = [
    "BASE",
    "PREFIX",
    "SELECT",
    "DISTINCT",
    "REDUCED",
    "AS",
    "CONSTRUCT",
    "WHERE",
    "DESCRIBE",
    "ASK",
    "FROM",
    "NAMED",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "ASC",
    "DESC",
    "LIMIT",
    "OFFSET",
    "VALUES",
    "LOAD",
    "SILENT",
    "INTO",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "TO",
    "MOVE",
    "COPY",
    "INSERT",
    "DATA",
    "DELETE",
    "WITH",
    "USING",
    "DEFAULT",
    "GRAPH",
    "ALL",
    "OPTIONAL",
    "SERVICE",
    "BIND",
    "UNDEF",
    "MINUS",
    "UNION",
    "FILTER",
    "IN",
    "NOT",
    "STR",
    "LANG",
    "LANGMATCHES",
    "DATATYPE",
    "BOUND",
    "IRI",
    "URI",
    "BNODE",
    "RAND",
    "ABS",
    "CEIL",
    "FLOOR",
    "ROUND",
    "CONCAT",
    "STRLEN",
    "UCASE",
    "LCASE",
    "ENCODE_FOR_URI",
    "CONTAINS",
    "STRSTARTS",
    "STRENDS",
    "STRBEFORE",
    "STRAFTER",
    "YEAR",
    "MONTH",
    "DAY",
    "HOURS",
    "MINUTES",
    "SECONDS",
    "TIMEZONE",
    "TZ",
    "NOW",
    "UUID",
    "STRUUID",
    "MD5",
    "SHA1",
    "SHA256",
    "SHA384",
    "SHA512",
    "COALESCE",
    "IF",
    "STRLANG",
    "STRDT",
    "SAMETERM",
    "ISIRI",
    "ISURI",
    "ISBLANK",
    "ISLITERAL",
    "ISNUMERIC",
    "REGEX",
    "SUBSTR",
    "REPLACE",
    "EXISTS",
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "AVG",
    "SAMPLE",
    "GROUP_CONCAT",
    "SEPARATOR",
    "TRUE",
    "FALSE",
]
UPDATE_WORDS = [
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
    "USING",
]


@pytest.mark.parametrize("keyword", GRAMMAR_KEYWORDS)
def test_every_grammar_keyword_is_read_as_one_in_any_case(keyword: str) -> None:
    for spelling in (keyword, keyword.lower(), keyword.capitalize()):
        found = shape(f"{spelling} ")
        assert found.error is None, found.error
        assert found.words == (keyword,)


def test_a_word_that_is_no_keyword_is_an_error() -> None:
    assert shape("SELECTS ").error == ("SELECTS at line 1, column 1 is not a SPARQL 1.1 keyword")


@pytest.mark.parametrize("word", UPDATE_WORDS)
def test_each_update_keyword_makes_the_text_an_update(word: str) -> None:
    assert shape(f"SELECT * {{}} ; {word} ").operation == "update"
    assert f"{word} at line 1, column 15" in shape(f"SELECT * {{}} ; {word} ").risky


@pytest.mark.parametrize("word", ["SELECT", "CONSTRUCT", "DESCRIBE", "ASK"])
def test_each_query_form_is_named_and_is_no_update(word: str) -> None:
    found = shape(f"PREFIX x: <urn:x> {word} ")
    assert found.form == word
    assert found.operation == "query"
    assert found.risky == ()


def test_the_type_keyword_a_is_case_sensitive() -> None:
    assert shape("ASK { ?s a ?o }").words == ("ASK", "a")
    assert shape("ASK { ?s A ?o }").error == "A at line 1, column 10 is not a SPARQL 1.1 keyword"


@pytest.mark.parametrize("word", ["SERVICE", "FROM"])
def test_reaching_keywords_are_risky_with_their_place(word: str) -> None:
    found = shape(f"SELECT *\n  {word} ")
    assert found.risky == (f"{word} at line 2, column 3",)
    assert found.needs_parse
    assert found.mentions_service is (word == "SERVICE")


def test_reasons_are_capped_and_the_first_ones_kept() -> None:
    found = shape("SERVICE " * (MAX_REASONS + 3))
    assert len(found.risky) == MAX_REASONS
    assert found.risky[0] == "SERVICE at line 1, column 1"
    assert found.risky[-1] == f"SERVICE at line 1, column {8 * (MAX_REASONS - 1) + 1}"


def test_a_risky_keyword_glued_in_a_prefix_is_named_with_the_whole_name() -> None:
    found = shape("ASK { ?s ?p myservice:x }")
    assert found.risky == ("SERVICE in the prefixed name 'myservice:x' at line 1, column 13",)
    assert found.mentions_service
    assert shape("ASK { ?s ?p from:x }").risky == (
        "FROM in the prefixed name 'from:x' at line 1, column 13",
    )
    assert not shape("ASK { ?s ?p from:x }").mentions_service


def test_reasons_in_prefixes_are_capped_too() -> None:
    found = shape("ASK { " + "?s ?p service:x . " * (MAX_REASONS + 2) + "}")
    assert len(found.risky) == MAX_REASONS


@pytest.mark.parametrize(
    "operand", ["?a", "<urn:a>", "x:a", '"a"', "1", '"a"@en', "(1)", "true", "false"]
)
def test_an_iri_after_any_operand_in_parentheses_may_be_less_than(operand: str) -> None:
    found = shape(f"ASK {{ FILTER({operand} <urn:b>) }}")
    assert AMBIGUOUS_IRI + " at line 1, column " in "".join(found.risky)
    assert found.mentions_service  # an engine reading '<' as code may meet SERVICE after it


@pytest.mark.parametrize("before", ["FILTER(", "{ ?s ?p", "[ ?p"])
def test_an_iri_after_an_opening_or_outside_parentheses_is_only_an_iri(before: str) -> None:
    assert shape(f"ASK {{ {before} <urn:b> }}").risky == ()


def test_an_iri_in_a_values_row_is_only_an_iri() -> None:
    found = shape("SELECT * { VALUES (?a ?b) { (1 <urn:x>) (<urn:y> 2) } }")
    assert found.risky == ()
    assert found.depth == 3  # the group, the VALUES block, a row


def test_ambiguous_iris_are_capped_like_other_reasons() -> None:
    found = shape("ASK { FILTER(" + "?a <urn:b> " * (MAX_REASONS + 2) + ") }")
    assert len(found.risky) == MAX_REASONS


def test_depth_is_the_deepest_nesting_not_the_count_of_brackets() -> None:
    assert shape("ASK { } ASK { } ASK { }").depth == 1
    assert shape("ASK { { } { { } } }").depth == 3
    assert shape("ASK { [ ?p ( 1 ) ] }").depth == 3
    assert shape("ASK } } } { (").depth == 2  # a closing bracket with none open is harmless


def test_prefixes_are_those_the_whole_prologue_declares() -> None:
    text = "BASE <urn:b> PREFIX a: <urn:a> PREFIX : <urn:e> PREFIX b: <urn:c> ASK { ?s a:x b:y }"
    assert declared_prefixes(text) == frozenset({"a", "", "b"})
    assert declared_prefixes("ASK { } PREFIX c: <urn:c>") == frozenset()
    assert declared_prefixes("PREFIX a: <urn:a> ASK { ?s a:x ?o }") == frozenset({"a"})


def test_a_prefixed_name_after_the_prologue_is_not_a_declaration() -> None:
    assert declared_prefixes("PREFIX a: <urn:a> SELECT * { ?s a:p b:o }") == frozenset({"a"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\u0041", "A"),
        ("\\u00e9", "é"),
        ("\\U0001F600", "\U0001f600"),
        ("\\U0010FFFF", "\U0010ffff"),
        ("\\U00110000", "\\U00110000"),  # beyond Unicode: left as written
        ("\\uD800", "\\uD800"),  # a surrogate: left as written
        ("\\uDFFF", "\\uDFFF"),
        ("\\uD7FF", "\ud7ff"),
        ("\\uE000", "\ue000"),
        ("a\\u0062c\\u0064", "abcd"),
        ("\\u004", "\\u004"),  # too short
    ],
)
def test_code_point_escapes(text: str, expected: str) -> None:
    assert unescape_codepoints(text) == expected


def test_an_error_only_the_escaped_reading_sees_says_so() -> None:
    found = shape('ASK { ?s ?p "\\u0022" }')
    assert found.error is not None
    assert found.error.endswith("(with its \\u escapes applied)")


def test_an_error_the_engine_reading_sees_is_given_as_is() -> None:
    found = shape("ASK { \\u0053ERVICE }")
    assert found.error == "\\ at line 1, column 7 starts no SPARQL 1.1 term"


def test_the_readings_merge_words_depth_and_reasons() -> None:
    # Oxigraph reads a string; SPARQL reads the escape first: a quote, then code in braces.
    text = 'ASK { ?s ?p "x\\u0022 . { SERVICE <urn:s> { } } # " }'
    found = shape(text)
    assert "SERVICE" in found.words
    assert found.depth == 3
    assert READINGS_DIFFER in found.risky
    assert found.mentions_service


def test_equal_readings_do_not_differ() -> None:
    found = shape('ASK { ?s ?p "\\u00e9" }')
    assert found.risky == ()
    assert found.error is None


def test_a_long_word_is_shown_cut_with_an_ellipsis() -> None:
    word = "x" * 50
    assert shape(f"ASK {word}").error == (
        "x" * 40 + "… at line 1, column 5 is not a SPARQL 1.1 keyword"
    )
    assert (
        shape("ASK " + "x" * 40).error
        == "x" * 40 + " at line 1, column 5 is not a SPARQL 1.1 keyword"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "ASK { ?s ?p 'open",
            "' at line 1, column 13 opens a string that does not close on its terms",
        ),
        (
            'ASK { ?s ?p "open',
            '" at line 1, column 13 opens a string that does not close on its terms',
        ),
        ("ASK {\n\n   ~", "~ at line 3, column 4 starts no SPARQL 1.1 term"),
    ],
)
def test_errors_say_what_and_where(text: str, error: str) -> None:
    assert shape(text).error == error


def test_a_text_of_the_remembered_length_is_its_own_key_and_one_more_is_hashed() -> None:
    at = "#" + "x" * (REMEMBERED_LENGTH - 1)
    assert text_key(at) == ("text", at)
    over = at + "x"
    assert text_key(over) == ("sha256", hashlib.sha256(over.encode()).hexdigest())


def test_a_lone_surrogate_is_hashed_without_failing() -> None:
    text = "\ud800" * (REMEMBERED_LENGTH + 1)
    assert text_key(text)[0] == "sha256"


def test_texts_up_to_the_remembered_length_are_remembered_and_longer_ones_are_not() -> None:
    lexer._remembered.cache_clear()
    at = "#" + "y" * (REMEMBERED_LENGTH - 1)
    assert shape(at) is shape(at)
    assert lexer._remembered.cache_info().currsize == 1
    shape(at + "y")
    assert lexer._remembered.cache_info().currsize == 1


# --- the terminals themselves ---------------------------------------------------------------
# The two token patterns are compiled when kg.lexer is imported; these tests compile them
# again through lexer._token_pattern, so that a change to any terminal's expression shows here.


def readings():
    """Both patterns compiled anew inside the test (mutmut links a test to the functions it
    calls while it runs; the module-level compile happens at import, outside every test)."""
    spec = lexer._token_pattern(lexer._ECHAR, "")
    engine = lexer._token_pattern(f"(?:{lexer._ECHAR}|{lexer._UCHAR})", lexer._UCHAR)
    return spec, engine


def tokens(pattern, text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in pattern.finditer(text) if m.lastgroup != "ws"]


TERMINALS = [
    ("# a comment <x>\n", [("comment", "# a comment <x>")]),
    ("'''a ' '' b'''", [("string", "'''a ' '' b'''")]),
    ('"""a " "" b"""', [("string", '"""a " "" b"""')]),
    ("'a\\'b'", [("string", "'a\\'b'")]),
    ('"a\\"b\\n"', [("string", '"a\\"b\\n"')]),
    ("<http://x/a#b>", [("iri", "<http://x/a#b>")]),
    ("<>", [("iri", "<>")]),
    ("ex:a.b", [("pname", "ex:a.b")]),
    (":a", [("pname", ":a")]),
    ("ex:", [("pname", "ex:")]),
    ("ex:a%20b\\,c", [("pname", "ex:a%20b\\,c")]),
    ("_:b1.x", [("bnode", "_:b1.x")]),
    ("?x1 $y", [("var", "?x1"), ("var", "$y")]),
    ("@en-GB", [("langtag", "@en-GB")]),
    (
        "12 1.5 .5 1e3 1.e-3 .5E+2",
        [("number", n) for n in ("12", "1.5", ".5", "1e3", "1.e-3", ".5E+2")],
    ),
    ("SELECT a", [("word", "SELECT"), ("word", "a")]),
    (
        "^^ && || != <= >= { } ( ) [ ] ; , . = < > ! + - * / ^ | ?",
        [
            ("punct", p)
            for p in [
                "^^",
                "&&",
                "||",
                "!=",
                "<=",
                ">=",
                "{",
                "}",
                "(",
                ")",
                "[",
                "]",
                ";",
                ",",
                ".",
                "=",
                "<",
                ">",
                "!",
                "+",
                "-",
                "*",
                "/",
                "^",
                "|",
                "?",
            ]
        ],
    ),
    ("~", [("error", "~")]),
    ("'open\n'", [("error", "'"), ("word", "open"), ("error", "'")]),
]


@pytest.mark.parametrize(("text", "expected"), TERMINALS)
def test_each_terminal_is_read_whole_in_both_readings(text: str, expected: list) -> None:
    spec, engine = readings()
    assert tokens(spec, text) == expected
    assert tokens(engine, text) == expected


def test_white_space_is_its_own_terminal() -> None:
    assert [m.lastgroup for m in readings()[0].finditer(" \t\r\n")] == ["ws"]


def test_only_the_engine_reading_takes_code_point_escapes_in_strings_and_iris() -> None:
    SPEC, ENGINE = readings()  # noqa: N806 - the two readings, named as in kg.lexer
    assert tokens(ENGINE, '"\\u0041"') == [("string", '"\\u0041"')]
    assert tokens(SPEC, '"\\u0041"')[0] == ("error", '"')
    assert tokens(ENGINE, "<urn:\\u0041>") == [("iri", "<urn:\\u0041>")]
    assert tokens(SPEC, "<urn:\\u0041>")[0] == ("punct", "<")


@pytest.mark.parametrize("char", ["<", '"', "{", "}", "|", "^", "`", "\\", " ", "\x00"])
def test_an_iri_cannot_hold_what_the_grammar_excludes(char: str) -> None:
    assert tokens(readings()[1], f"<urn:a{char}b>")[0] != ("iri", f"<urn:a{char}b>")


def test_the_line_of_an_error_counts_only_the_lines_before_it() -> None:
    assert shape("ASK ~\n{\n}\n").error == "~ at line 1, column 5 starts no SPARQL 1.1 term"


def test_a_word_one_longer_than_shown_is_cut() -> None:
    assert shape("ASK " + "x" * 41).error == (
        "x" * 40 + "… at line 1, column 5 is not a SPARQL 1.1 keyword"
    )


def test_a_word_with_digits_is_still_called_a_word() -> None:
    assert shape("ASK x1").error == "x1 at line 1, column 5 is not a SPARQL 1.1 keyword"


def test_a_text_that_starts_with_a_line_break_puts_the_error_on_line_two() -> None:
    assert shape("\n~").error == "~ at line 2, column 1 starts no SPARQL 1.1 term"


def test_the_escaped_reading_uses_the_grammar_without_escapes_in_strings() -> None:
    # \u005C is a backslash: applied first, it leaves \u0041 in the string, which SPARQL's
    # string grammar (ECHAR only) does not allow; Oxigraph's reading sees one valid escape.
    found = shape('ASK { ?s ?p "\\u005Cu0041" }')
    assert found.error == (
        '" at line 1, column 13 opens a string that does not close on its terms'
        " (with its \\u escapes applied)"
    )


def test_readings_that_agree_on_a_risky_keyword_do_not_differ() -> None:
    found = shape('SELECT * { SERVICE <http://x/> { ?s ?p "\\u00e9" } }')
    assert found.risky == ("SERVICE at line 1, column 12",)


def test_a_text_with_escapes_keeps_its_declared_prefixes() -> None:
    assert declared_prefixes('PREFIX a: <urn:a> ASK { ?s ?p "\\u00e9" }') == frozenset({"a"})


def test_a_glued_service_counts_once_when_both_readings_see_it() -> None:
    """A backslash (here in a string) makes the lexer read the text twice; a SERVICE glued to a
    name that both readings see is one call, not two, and not none."""
    found = shape('ASK { ?s ?p "a\\tb" . ?s ?p ?o SERVICE:x { } }')
    assert found.glued == ("SERVICE",)
    assert found.count("SERVICE") == 1


def test_a_glued_service_only_the_escaped_reading_sees_is_counted() -> None:
    r"""rdflib applies ``\u0022`` first, ends the string there, and meets ``SERVICE:x``;
    Oxigraph reads one string. The SERVICE one reading sees must count."""
    found = shape('ASK { ?s ?p "a\\u0022 . ?s ?p SERVICE:x { } #"\n}')
    assert found.glued == ("SERVICE",)
    assert found.count("SERVICE") == 1


def test_a_text_over_the_term_cap_keeps_what_was_read_before_the_cap() -> None:
    """The refusal is for the length; the words, depth and reasons read so far stay (a
    caller reports them, and a risky keyword before the cap is never forgotten)."""
    from kg.lexer import MAX_TERMS

    found = shape("SELECT * { SERVICE <urn:x> { " + "1 " * MAX_TERMS)
    assert found.error.startswith(f"the text has more than {MAX_TERMS} terms")
    assert found.words == ("SELECT", "SERVICE")
    assert found.depth == 2
    assert found.risky == ("SERVICE at line 1, column 12",)
    assert shape("ASK { SERVICE:x { " + "1 " * MAX_TERMS).glued == ("SERVICE",)


def test_a_from_glued_in_the_escaped_reading_only_marks_the_readings_as_differing() -> None:
    r"""``\u0022`` ends the string only for rdflib, which then meets ``FROM:x`` where a
    dataset clause may stand; Oxigraph reads one string. Words agree, glued FROMs do not."""
    from kg.lexer import READINGS_DIFFER

    found = shape('SELECT * "a\\u0022 FROM:x #"\n{ }')
    assert found.glued == ("FROM",)
    assert READINGS_DIFFER in found.risky


def test_a_lexical_error_keeps_the_reasons_and_glued_keywords_read_before_it() -> None:
    """A caller that refuses the text still names what it held before the error."""
    found = shape("ASK { SERVICE:x { } SERVICE <urn:x> { } ~ }")
    assert found.error == "~ at line 1, column 41 starts no SPARQL 1.1 term"
    assert found.risky == (
        "SERVICE in the prefixed name 'SERVICE:x' at line 1, column 7",
        "SERVICE at line 1, column 21",
    )
    assert found.glued == ("SERVICE",)


def test_only_the_block_right_after_values_is_a_data_block() -> None:
    """After the VALUES block, a group's parentheses are code again: an IRI after an operand
    there may be the operator '<' (the rows of a data block hold only terms)."""
    from kg.lexer import AMBIGUOUS_IRI

    found = shape("ASK { VALUES ?x { <urn:a> } { FILTER(?x<urn:b>) } }")
    assert found.risky == (f"{AMBIGUOUS_IRI} at line 1, column 40",)
