"""Tell a SPARQL query from a SPARQL update before any engine sees the text.

A substring search is wrong both ways: ``"INSERT"`` may sit in a string, an IRI, a comment or a
prefixed name (``ex:insert``), and a real update may be spelt in lower case after a long
prologue. This tokenizer walks the SPARQL 1.1 lexical grammar far enough to skip strings (short
and long, both quotes), IRIs, comments, variables and prefixed names, and yields the bare
keywords that remain. An update keyword among them makes the text an update; the keyword that
opens the text after its prologue says which query form it is.

``keywords()`` is public so that other checks (``SERVICE`` refusal in ``limits.py``) can use
the same tokenizer instead of writing another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING"}
)
QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
    | (?P<string>'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?:
                (?:[^\s{}()\[\];,<>"'\#]|\\.)*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
    | (?P<blank>_:[^\s{}()\[\];,<>"']*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def keywords(text: str) -> Iterator[str]:
    """The bare words of ``text`` (keywords, function names, ``a``), upper-cased, in order.

    Strings, IRIs, comments, variables, prefixed names and blank-node labels are skipped, so a
    word inside any of them is never reported.
    """
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "word":
            yield match.group().upper()


def operation(text: str) -> str:
    """``update`` if the text is (or contains) a SPARQL update, else ``query``.

    Queries never use the update keywords, so one of them anywhere outside strings, IRIs and
    comments marks an update, even after a query (``SELECT … ; INSERT DATA …``).
    """
    for word in keywords(text):
        if word in UPDATE_KEYWORDS:
            return "update"
    return "query"


def query_form(text: str) -> str | None:
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``: the first query-form keyword."""
    for word in keywords(text):
        if word in QUERY_FORMS:
            return word
    return None
