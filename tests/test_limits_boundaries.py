"""The cheap checks and the reach check of kg.web.endpoint.limits on their boundaries and in their
words.

Issue 22: the depth and length caps could be off by one and no test noticed (none sat on a
boundary), and several refusals were asserted by status only. Here each cap is tried at its
value and one past it, and each refusal is matched by the reason a user reads.
"""

from __future__ import annotations

import dataclasses
import sys

import pytest

from kg.settings import Settings
from kg.web.endpoint import limits
from kg.web.endpoint.limits import QueryRejected, check_query, check_reach, check_text

SETTINGS = dataclasses.replace(Settings(), max_query_length=200, max_query_depth=5)
GRAPH = "http://example.org/graph/a"


def padded(length: int) -> str:
    """An ``ASK {}`` exactly ``length`` characters long."""
    return "ASK {}" + " " * (length - len("ASK {}"))


def refusal(*args, call=check_text, **kwargs) -> QueryRejected:
    with pytest.raises(QueryRejected) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_query_of_exactly_the_length_cap_passes_and_one_more_character_does_not() -> None:
    assert check_text(padded(200), SETTINGS).form == "ASK"
    over = refusal(padded(201), SETTINGS)
    assert over.status == 413
    assert over.reason == ("The query is 201 characters long; this endpoint accepts at most 200.")


def test_an_over_long_query_in_the_url_is_414() -> None:
    assert refusal(padded(201), SETTINGS, via_url=True).status == 414
    assert check_text(padded(200), SETTINGS, via_url=True).form == "ASK"


def test_brackets_exactly_the_depth_cap_deep_pass_and_one_deeper_do_not() -> None:
    at_cap = "ASK { FILTER(" + "(" * 3 + "1" + ")" * 3 + ") }"  # { ( ( ( ( : depth 5
    assert check_text(at_cap, SETTINGS).depth == 5
    deeper = "ASK { FILTER(" + "(" * 4 + "1" + ")" * 4 + ") }"
    over = refusal(deeper, SETTINGS)
    assert over.status == 400
    assert over.reason == "The query nests brackets 6 deep; this endpoint accepts at most 5."


def test_a_nul_character_is_refused_by_name() -> None:
    over = refusal("ASK {}\x00", SETTINGS)
    assert (over.status, over.reason) == (400, "The query contains a NUL character.")


def test_a_lexical_error_is_refused_as_malformed_with_its_place() -> None:
    over = refusal("ASK { ?s ?p ?o } bogus", SETTINGS)
    assert over.status == 400
    assert over.reason.startswith("Malformed query: bogus at line 1, column 18 ")


def test_a_refusal_reads_as_status_and_reason_and_has_no_headers_by_default() -> None:
    rejected = QueryRejected(400, "No.")
    assert str(rejected) == "400: No."
    assert rejected.headers == {}


@pytest.mark.parametrize("parameter", ["default_graphs", "named_graphs"])
def test_both_graph_parameters_may_only_name_existing_graphs(parameter: str) -> None:
    over = refusal(
        "ASK {}", SETTINGS, [GRAPH], call=check_reach, **{parameter: ["http://elsewhere/g"]}
    )
    assert (over.status, over.reason) == (
        400,
        "<http://elsewhere/g> names no graph in this dataset.",
    )
    check_reach("ASK {}", SETTINGS, [GRAPH], **{parameter: [GRAPH]})


def test_check_query_runs_the_cheap_checks_too() -> None:
    assert refusal(padded(201), SETTINGS, [GRAPH], call=check_query).status == 413
    assert refusal(padded(201), SETTINGS, [GRAPH], call=check_query, via_url=True).status == 414


def test_check_query_passes_the_graph_parameters_on() -> None:
    for parameter in ("default_graphs", "named_graphs"):
        over = refusal("ASK {}", SETTINGS, [GRAPH], call=check_query, **{parameter: ["urn:x"]})
        assert "<urn:x> names no graph" in over.reason


def test_check_reach_refuses_a_lexical_error_itself() -> None:
    over = refusal("ASK { ?s ?p ?o } bogus", SETTINGS, [], call=check_reach)
    assert over.status == 400 and over.reason.startswith("Malformed query: bogus")


def test_from_and_from_named_select_only_existing_graphs() -> None:
    check_query(f"SELECT * FROM <{GRAPH}> WHERE {{ ?s ?p ?o }}", SETTINGS, [GRAPH])
    check_query(f"SELECT * FROM NAMED <{GRAPH}> WHERE {{ ?s ?p ?o }}", SETTINGS, [GRAPH])
    for clause in ("FROM", "FROM NAMED"):
        over = refusal(
            f"SELECT * {clause} <urn:other> WHERE {{ ?s ?p ?o }}", SETTINGS, [GRAPH],
            call=check_query,
        )  # fmt: skip
        assert (over.status, over.reason) == (
            400,
            "FROM <urn:other> names no graph in this dataset; FROM only selects existing "
            "graphs and never loads anything.",
        )


def test_a_service_with_a_variable_endpoint_is_refused_even_when_some_are_allowed() -> None:
    settings = dataclasses.replace(SETTINGS, service_allowlist=("http://partner/sparql",))
    over = refusal("SELECT * WHERE { SERVICE ?e { ?s ?p ?o } }", settings, [], call=check_query)
    assert (over.status, over.reason) == (
        400,
        "SERVICE with a variable endpoint is refused: name the endpoint.",
    )


def test_a_service_not_on_the_allow_list_is_refused_by_its_iri() -> None:
    settings = dataclasses.replace(SETTINGS, service_allowlist=("http://partner/sparql",))
    check_query("SELECT * WHERE { SERVICE <http://partner/sparql> { ?s ?p ?o } }", settings, [])
    over = refusal(
        "SELECT * WHERE { SERVICE <http://other/sparql> { ?s ?p ?o } }", settings, [],
        call=check_query,
    )  # fmt: skip
    assert (over.status, over.reason) == (
        400,
        "SERVICE <http://other/sparql> is refused: this endpoint does not call other "
        "endpoints unless the operator allow-lists them.",
    )


def test_a_service_beside_a_values_block_is_judged_not_crashed_on() -> None:
    """rdflib keeps VALUES rows as plain dicts in the algebra: the walk that finds the SERVICE
    calls must go through them too, or every such query would be a 500."""
    settings = dataclasses.replace(SETTINGS, service_allowlist=("http://partner/sparql",))
    values = "VALUES (?x ?y) { (<urn:a> 1) (<urn:b> UNDEF) }"
    check_query(
        f"SELECT * WHERE {{ {values} SERVICE <http://partner/sparql> {{ ?x ?p ?o }} }}",
        settings, [],
    )  # fmt: skip
    over = refusal(
        f"SELECT * WHERE {{ {values} SERVICE <http://other/sparql> {{ ?x ?p ?o }} }}",
        settings, [], call=check_query,
    )  # fmt: skip
    assert over.reason.startswith("SERVICE <http://other/sparql> is refused: ")


def test_every_risky_thing_a_text_that_does_not_parse_holds_is_listed() -> None:
    over = refusal("SELECT * FROM <urn:g> WHERE { SERVICE }", SETTINGS, ["urn:g"], call=check_query)
    assert over.reason == (
        "The query does not parse as SPARQL 1.1 (error at line 1, column 31) and holds "
        "FROM at line 1, column 10; SERVICE at line 1, column 31: that cannot be checked, "
        "so the query is refused."
    )


def test_a_service_the_parser_does_not_see_is_refused_even_when_from_agrees() -> None:
    """Oxigraph reads ``SERVICEfoo:x`` as SERVICE and ``foo:x``; rdflib sees a predicate. The
    count of SERVICE alone differs (FROM agrees): that alone must refuse the text."""
    text = "PREFIX SERVICEfoo: <urn:x#> SELECT * WHERE { ?s SERVICEfoo:x ?o }"
    over = refusal(text, SETTINGS, [], call=check_query)
    assert (over.status, over.reason) == (
        400,
        "The query is read differently by SPARQL parsers (SERVICE in the prefixed name "
        "'SERVICEfoo:' at line 1, column 8; SERVICE in the prefixed name 'SERVICEfoo:x' at "
        "line 1, column 49); write it plainly (white space around keywords, no \\u escapes "
        "outside strings).",
    )


def test_escapes_that_change_the_keywords_refuse_even_when_the_counts_agree() -> None:
    r"""rdflib applies ``\u0022`` first and calls the SERVICE that Oxigraph reads inside a
    string: the two readings differ, though the parser finds the one SERVICE the merged
    tokens count. An allow-listed endpoint does not make that text readable."""
    text = 'SELECT * WHERE { ?s ?p "\\u0022 . SERVICE <http://x/> { ?a ?b ?c } #"\n}'
    settings = dataclasses.replace(SETTINGS, service_allowlist=("http://x/",))
    over = refusal(text, settings, [], call=check_query)
    assert over.reason.startswith("The query is read differently by SPARQL parsers (")


def test_a_risky_text_that_does_not_parse_is_refused_with_what_it_holds() -> None:
    over = refusal("SELECT * WHERE { SERVICE }", SETTINGS, [], call=check_query)
    assert over.status == 400
    assert over.reason.startswith("The query does not parse as SPARQL 1.1 (error at line 1")
    assert "SERVICE at line 1, column 18" in over.reason


def test_an_update_is_refused_as_read_only_by_the_parser() -> None:
    over = refusal("ADD <urn:g> TO <urn:h>", SETTINGS, [], call=check_query)
    assert (over.status, over.reason) == (
        400,
        "Updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused: read-only.",
    )


def test_escapes_that_change_the_keywords_are_refused_as_read_differently() -> None:
    text = r'SELECT * WHERE { ?s ?p "\u0022 . SERVICE <http://x/> { ?a ?b ?c } #" }'
    over = refusal(text, SETTINGS, [], call=check_query)
    assert over.status == 400
    assert over.reason.startswith("The query ")


def test_the_parser_gets_the_recursion_it_needs_and_gives_it_back() -> None:
    """A deep but allowed query with FROM (so it is parsed) passes; the limit is restored."""
    settings = dataclasses.replace(Settings(), max_query_depth=64)
    deep = f"ASK FROM <{GRAPH}> {{ FILTER(" + "(" * 60 + "1" + ")" * 60 + ") }"
    before = sys.getrecursionlimit()
    check_query(deep, settings, [GRAPH])
    assert sys.getrecursionlimit() == before
    assert limits.PARSER_RECURSION_LIMIT >= 100 * 64  # about 100 frames per bracket level


def test_warming_up_runs_the_real_parser_on_a_query_it_accepts(monkeypatch) -> None:
    """A query process forked after the warm-up must find rdflib's grammar built: the
    warm-up once went through check_query with a query whose tokens skip the parser, and
    warmed nothing."""
    parsed = []
    real = limits._parse
    monkeypatch.setattr(limits, "_parse", lambda text: parsed.append(real(text)) or parsed[-1])
    limits.warm_up()
    assert parsed == [([], [])]  # parsed as a query: no SERVICE, no FROM, no parse error


def test_a_parser_message_that_ends_a_sentence_is_not_given_a_second_full_stop(
    monkeypatch,
) -> None:
    """The parser's own words sit inside the refusal's sentence, in parentheses."""
    import rdflib.plugins.sparql.algebra

    def refuse(*args, **kwargs):
        raise Exception("This grammar rule is not supported.")  # a plain one, as rdflib raises

    monkeypatch.setattr(rdflib.plugins.sparql.algebra, "translateQuery", refuse)
    over = refusal(
        "SELECT * FROM <urn:g> WHERE { ?s ?p ?o }", SETTINGS, ["urn:g"], call=check_query
    )
    assert over.reason.startswith(
        "The query does not parse as SPARQL 1.1 (This grammar rule is not supported) and holds"
    )


def test_an_unknown_prefix_is_named_whole_whatever_letters_end_it() -> None:
    over = refusal(
        "SELECT * FROM <urn:g> WHERE { ?s boX:x ?o }", SETTINGS, ["urn:g"], call=check_query
    )
    assert "(Unknown namespace prefix : boX)" in over.reason


def test_an_unknown_prefix_is_named_in_the_refusal_without_a_doubled_full_stop() -> None:
    over = refusal(
        "SELECT * FROM <urn:g> WHERE { ?s nope:x ?o }", SETTINGS, ["urn:g"], call=check_query
    )
    assert over.reason == (
        "The query does not parse as SPARQL 1.1 (Unknown namespace prefix : nope) and holds "
        "FROM at line 1, column 10: that cannot be checked, so the query is refused."
    )


def test_a_service_deep_inside_subqueries_optionals_and_unions_is_found() -> None:
    text = (
        "SELECT * { { SELECT * { OPTIONAL { ?a ?b ?c } "
        "{ SERVICE <http://other/> { ?s ?p ?o } } UNION { ?x ?y ?z } } } }"
    )
    over = refusal(text, SETTINGS, [], call=check_query)
    assert over.reason.startswith("SERVICE <http://other/> is refused: ")


def test_the_endpoint_s_own_prefixes_are_known_when_a_risky_query_is_parsed() -> None:
    """Queries may use the prefixes the endpoint declares (dk:, rdfs:, ...) without PREFIX;
    the parse that judges FROM and SERVICE must know them too, or it refuses good queries."""
    check_query(f"SELECT * FROM <{GRAPH}> WHERE {{ ?s dk:validFrom ?o }}", SETTINGS, [GRAPH])


def test_a_nesting_the_parser_cannot_follow_is_refused_in_words() -> None:
    """Past the depth cap's default, with a cap raised high, rdflib's parser runs out of
    recursion: the text is refused as too deep, not answered with a 500."""
    settings = dataclasses.replace(Settings(), max_query_depth=10_000)
    deep = f"ASK FROM <{GRAPH}> {{ FILTER(" + "(" * 400 + "1" + ")" * 400 + ") }"
    before = sys.getrecursionlimit()
    over = refusal(deep, settings, [GRAPH], call=check_query)
    assert (over.status, over.reason) == (400, "The query nests too deeply to be parsed.")
    assert sys.getrecursionlimit() == before
