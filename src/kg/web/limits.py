"""What a query may ask for, decided before any engine sees it.

Both engines call out to the network for ``SERVICE`` (pyoxigraph POSTs to the URL, rdflib
fetches it), and rdflib loads ``FROM`` IRIs, files included. Neither has a switch to stop
that, so the endpoint reads the query itself. One entry point, :func:`check_query`, raises
:class:`QueryRejected` with the HTTP status and a one-sentence reason.

The checks run from cheap to expensive, so that hostile input is stopped before it can cost
much: the length cap first (the parser is slow on huge input), then a bracket-depth guard
from one linear pass of :mod:`kg.lexer` (the parser recurses per bracket), and only then
rdflib's real SPARQL parser, which resolves prefixes so that ``SERVICE``, ``FROM`` and
``FROM NAMED`` are judged by the IRI they really name, wherever the words sit in strings, IRIs
or comments. :func:`check_query` is :func:`check_text` (cheap, run in the web worker) followed
by :func:`check_reach` (which may parse, run in a killable query process).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.lexer import Shape, shape, unescape_codepoints
from kg.settings import Settings

#: Words that only a SPARQL Update request contains; a query never needs them.
UPDATE_WORDS = frozenset(
    {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}
)

#: Recursion needed by rdflib's parser: about 100 frames per bracket level.
PARSER_RECURSION_LIMIT = 12000


@dataclass
class QueryRejected(Exception):  # noqa: N818 - the name reads as what happened to the query
    """The query is refused: ``status`` is the HTTP status, ``reason`` one sentence for users."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"


# --- the entry point ------------------------------------------------------------------------


def check_text(text: str, settings: Settings, *, via_url: bool = False) -> Shape:
    """The cheap checks (length, depth), safe to run in the web worker; returns the
    :class:`~kg.lexer.Shape` of the text as SPARQL reads it (code-point escapes applied),
    which also tells an update from a query and names the query form."""
    if len(text) > settings.max_query_length:
        status = 414 if via_url else 413
        raise QueryRejected(
            status,
            f"The query is {len(text)} characters long; this endpoint accepts at most "
            f"{settings.max_query_length}.",
        )
    if "\x00" in text:
        raise QueryRejected(400, "The query contains a NUL character.")
    found = shape(unescape_codepoints(text))
    if found.depth > settings.max_query_depth:
        raise QueryRejected(
            400,
            f"The query nests brackets {found.depth} deep; this endpoint accepts at most "
            f"{settings.max_query_depth}.",
        )
    return found


def check_query(
    text: str,
    settings: Settings,
    graph_names: Iterable[str],
    *,
    via_url: bool = False,
    default_graphs: Iterable[str] = (),
    named_graphs: Iterable[str] = (),
) -> None:
    """Raise :class:`QueryRejected` unless the query is safe to hand to an engine.

    ``graph_names`` are the named graphs of the dataset; ``FROM``, ``FROM NAMED`` and the
    protocol's ``default-graph-uri``/``named-graph-uri`` (``default_graphs``/``named_graphs``)
    may only select among them. ``via_url`` makes an over-long query a 414 instead of a 413.
    The parser runs here, so call this where a runaway parse can be stopped (the query
    process of :mod:`kg.web.execution`).
    """
    check_text(text, settings, via_url=via_url)
    check_reach(
        text, settings, graph_names, default_graphs=default_graphs, named_graphs=named_graphs
    )


def check_reach(
    text: str,
    settings: Settings,
    graph_names: Iterable[str],
    *,
    default_graphs: Iterable[str] = (),
    named_graphs: Iterable[str] = (),
) -> None:
    """The part of :func:`check_query` that may need the parser: which graphs the query
    selects and which endpoints it calls. For a text that :func:`check_text` has passed."""
    unescaped = unescape_codepoints(text)
    known = set(graph_names)
    for name in (*default_graphs, *named_graphs):
        if name not in known:
            raise QueryRejected(400, f"<{name}> names no graph in this dataset.")
    if not _keyword_may_be_code(_WHOLE_LINE_COMMENT.sub("", unescaped).lower()):
        return  # no SERVICE, FROM or update keyword can be in this text: skip the slow parse
    parsed = _parse(text)
    if parsed is None:
        _check_unparsed(unescaped)
        return
    services, dataset = parsed
    allowed = set(settings.service_allowlist)
    for service in services:
        if service is None:
            raise QueryRejected(
                400, "SERVICE with a variable endpoint is refused: name the endpoint."
            )
        if service not in allowed:
            raise QueryRejected(
                400,
                f"SERVICE <{service}> is refused: this endpoint does not call other "
                "endpoints unless the operator allow-lists them.",
            )
    for name in dataset:
        if name not in known:
            raise QueryRejected(
                400,
                f"FROM <{name}> names no graph in this dataset; FROM only selects existing "
                "graphs and never loads anything.",
            )


def warm_up() -> None:
    """Import and exercise rdflib's parser once, in the web worker before it forks.

    Building the grammar costs about a second of CPU; done here, every query process
    inherits it, so a process that replaces a killed one answers at once (and never forks
    while another thread holds the import lock).
    """
    check_query("ASK { FILTER(1 < 2) }", Settings(), ())


def _parse(text: str) -> tuple[list[str | None], list[str]] | None:
    """SERVICE endpoints (``None`` for a variable) and FROM/FROM NAMED IRIs, as rdflib's
    parser resolves them; ``None`` when rdflib cannot parse the text as a query."""
    from pyparsing import ParseBaseException
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue

    from kg.namespaces import PREFIXES

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, PARSER_RECURSION_LIMIT))
    try:
        try:
            tree = parseQuery(text)
        except ParseBaseException:
            try:
                parseUpdate(text)
            except (ParseBaseException, RecursionError):
                return None
            raise QueryRejected(
                400, "Updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused: read-only."
            ) from None
        try:
            algebra = translateQuery(tree, initNs=PREFIXES).algebra
        except Exception:  # rdflib raises plain Exceptions (unknown prefix)
            return None
    except RecursionError:
        raise QueryRejected(400, "The query nests too deeply to be parsed.") from None
    finally:
        sys.setrecursionlimit(limit)

    services: list[str | None] = []
    stack: list[object] = [algebra]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                services.append(str(term) if isinstance(term, URIRef) else None)
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    dataset = [
        str(clause.get("default") or clause.get("named"))
        for clause in algebra.get("datasetClause") or ()
    ]
    return services, dataset


#: A text that contains none of these (after code-point escapes, in any case) cannot hold a
#: SERVICE, FROM or update keyword, so the slow parse is skipped: keywords have no other escape.
_RISKY_WORDS = ("service", "from", *UPDATE_WORDS)
_RISKY = re.compile("|".join(sorted(_RISKY_WORDS)))
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _keyword_may_be_code(code: str) -> bool:
    """False only when every risky word is the tail of a prefixed name or a variable.

    Measured on Oxigraph's parser: ``?s ?p trueSERVICE <x> {}`` parses as ``true SERVICE``, so a
    word glued to letters is not safe in general; but a local name (``prov:wasDerivedFrom``) or
    a variable (``?validFrom``) is read greedily by every parser, so a word after ``:``, ``?`` or
    ``$`` and plain name characters is part of the name. Dots are not followed back: a parser
    may end a name before one.
    """
    for match in _RISKY.finditer(code):
        start = match.start()
        while start > 0 and code[start - 1] in _NAME_CHARS:
            start -= 1
        if start == 0 or code[start - 1] not in ":?$":
            return True
    return False


#: A line that starts with ``#`` is a comment or the inside of a long string, never code (an IRI
#: cannot span lines), so its words cannot be keywords: the header lines of example queries.
_WHOLE_LINE_COMMENT = re.compile(r"(?m)^[ \t]*#.*$")

_STRICT = re.compile(r"(?<![\w?$:])(service|from|" + "|".join(UPDATE_WORDS) + r")(?![\w:])", re.I)


def _check_unparsed(unescaped: str) -> None:
    """rdflib could not parse the text: the engine will most likely report a syntax error, but
    it may accept syntax rdflib lacks. Without a parse tree the words cannot be placed, so any
    of them anywhere (even in a string, an IRI or a comment) refuses the query."""
    match = _STRICT.search(unescaped)
    if match:
        word = match.group(1).upper()
        kind = "an update" if word.lower() in UPDATE_WORDS else word
        raise QueryRejected(
            400,
            f"The query does not parse as SPARQL 1.1 and contains {word}; {kind} cannot be "
            "checked in it, so it is refused.",
        )
