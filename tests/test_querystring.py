"""The C-speed query-string decoder gives exactly what urllib and werkzeug give."""

from __future__ import annotations

import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from kg.web.endpoint.querystring import ERRORS, parse_qsl, unquote

# Text rich in what decoding must get right: escapes (valid, broken, of non-UTF-8 bytes),
# backslashes that must not become escapes, plus signs, separators and non-ASCII.
PIECES = st.sampled_from(
    [
        "%",
        "%2",
        "%41",
        "%7B",
        "%c3%a5",
        "%C3",
        "%ff",
        "%zz",
        "\\",
        "\\x41",
        "\\n",
        "+",
        "&",
        "=",
        "a",
        "ö",
        "€",
        " ",
        "x=y",
        "%25",
        "%5C",
        "%00",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join)


@given(TEXT)
def test_unquote_is_urllibs(text: str) -> None:
    assert unquote(text) == urllib.parse.unquote(text, errors=ERRORS)


@given(TEXT)
def test_parse_qsl_is_urllibs(text: str) -> None:
    assert parse_qsl(text) == urllib.parse.parse_qsl(text, keep_blank_values=True, errors=ERRORS)


def test_a_real_query_round_trips() -> None:
    query = 'PREFIX dk: <https://w3id.org/dk#>\nSELECT ?s { ?s a dk:X ; ?p "å\\"%" }'
    encoded = urllib.parse.urlencode({"query": query, "format": "json"})
    assert parse_qsl(encoded) == [("query", query), ("format", "json")]


def test_requests_decode_args_with_it(client) -> None:
    response = client.get("/sparql?query=ASK%20%7B%7D&format=json")
    assert response.status_code == 200 and response.get_json()["boolean"] is True
