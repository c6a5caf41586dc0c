"""The serving benchmark's answer check (bench/parity.py): a query that a server cannot run, or
answers with another number of rows than ours, must leave the timed mix, or a ratio would
compare different work (issue 27, item 3)."""

from __future__ import annotations

import json

from bench.parity import Answer, differences, request_url, size_of

JSON = "application/sparql-results+json"


def rows(n: int) -> bytes:
    return json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{}] * n}}).encode()


def test_a_different_row_count_is_flagged_with_both_counts() -> None:
    answers = {
        "ours": [Answer(True, "5 rows"), Answer(True, "ASK true")],
        "oxigraph": [Answer(True, "5 rows"), Answer(True, "ASK true")],
        "virtuoso": [Answer(True, "4 rows"), Answer(True, "ASK true")],
    }
    assert differences("ours", answers, ["a.rq", "b.rq"]) == {
        "a.rq": "virtuoso: 4 rows, ours: 5 rows"
    }


def test_a_query_a_server_cannot_run_is_flagged() -> None:
    answers = {"ours": [Answer(True, "1 row")], "virtuoso": [Answer(False, "HTTP 400: SP030")]}
    assert differences("ours", answers, ["a.rq"]) == {
        "a.rq": "virtuoso: HTTP 400: SP030 (cannot run it), ours: 1 row"
    }


def test_a_query_the_reference_cannot_run_is_flagged_too() -> None:
    """Two servers failing alike is no common work to time."""
    failed = Answer(False, "HTTP 503: busy")
    answers = {"ours": [failed], "oxigraph": [failed]}
    assert differences("ours", answers, ["a.rq"]) == {
        "a.rq": "ours: HTTP 503: busy (cannot run it); "
        "oxigraph: HTTP 503: busy (cannot run it), ours: HTTP 503: busy"
    }


def test_answers_alike_leave_nothing_out() -> None:
    same = [Answer(True, "12 rows"), Answer(True, "3 triples")]
    assert differences("ours", {"ours": same, "virtuoso": list(same)}, ["a", "b"]) == {}


def test_sizes_are_read_from_each_kind_of_answer() -> None:
    assert size_of(200, JSON, rows(3)) == Answer(True, "3 rows")
    assert size_of(200, JSON + "; charset=utf-8", rows(1)) == Answer(True, "1 row")
    assert size_of(200, JSON, b'{"head": {}, "boolean": false}') == Answer(True, "ASK false")
    turtle = b"@prefix e: <http://e/> . e:a e:p e:b , e:c ."
    assert size_of(200, "text/turtle; charset=utf-8", turtle) == Answer(True, "2 triples")
    assert size_of(400, "text/plain", b"Parse error\nat line 2") == Answer(
        False, "HTTP 400: Parse error"
    )
    assert not size_of(200, "text/html", b"<html/>").ok
    assert not size_of(200, "text/turtle", b"this is not turtle").ok


def test_the_query_follows_parameters_the_path_already_has() -> None:
    assert request_url("/query", "ASK {}") == "/query?query=ASK+%7B%7D"
    assert request_url("/sparql?default-graph-uri=urn%3Ax", "ASK {}") == (
        "/sparql?default-graph-uri=urn%3Ax&query=ASK+%7B%7D"
    )
