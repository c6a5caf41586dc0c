"""What a query may ask for, decided before any engine sees it.

Both engines call out to the network for ``SERVICE`` (pyoxigraph POSTs to the URL, rdflib
fetches it), and rdflib loads ``FROM`` IRIs, files included. Neither has a switch to stop
that, so the endpoint reads the query itself. One entry point, :func:`check_query`, raises
:class:`QueryRejected` with the HTTP status and a one-sentence reason.

The checks run from cheap to expensive, so that hostile input is stopped before it can cost
much: the length cap first, then one pass of :mod:`kg.lexer`, SPARQL 1.1's lexical grammar in
full, which refuses a text that is not made of SPARQL terminals and measures the bracket depth
(the parser recurses per bracket). Its tokens decide whether the slow parse is needed at all:
only when they prove that no risky keyword (``SERVICE``, ``FROM``, an update) can be code is it
skipped. Otherwise rdflib's real SPARQL parser resolves prefixes, so that ``SERVICE``, ``FROM``
and ``FROM NAMED`` are judged by the IRI they really name; a risky text it cannot parse is
refused. :func:`check_query` is :func:`check_text` (cheap, run in the web worker) followed by
:func:`check_reach` (which may parse, run in a killable query process).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.lexer import READINGS_DIFFER, Shape, for_line_feed_parsers, shape, unescape_codepoints
from kg.settings import Settings

__all__ = [
    "MALFORMED",
    "QueryRejected",
    "check_graphs",
    "check_query",
    "check_reach",
    "check_text",
    "unescape_codepoints",
]

#: How the gate's refusal of a text it cannot read begins (kg.web.endpoint.protocol words it anew).
MALFORMED = "Malformed query: "

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
    """The cheap checks (length, lexical grammar, depth), safe to run in the web worker;
    returns the :class:`~kg.lexer.Shape` of the text, which also tells an update from a query
    and names the query form."""
    if len(text) > settings.max_query_length:
        status = 414 if via_url else 413
        raise QueryRejected(
            status,
            f"The query is {len(text)} characters long; this endpoint accepts at most "
            f"{settings.max_query_length}.",
        )
    if "\x00" in text:
        raise QueryRejected(400, "The query contains a NUL character.")
    found = shape(text)
    if found.error:
        raise QueryRejected(400, f"{MALFORMED}{found.error}.")
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
    process of :mod:`kg.web.endpoint.execution`).
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
    known = check_graphs(graph_names, default_graphs, named_graphs)
    found = shape(text)
    if found.error:
        raise QueryRejected(400, f"{MALFORMED}{found.error}.")
    if not found.needs_parse:
        return  # the tokens prove no SERVICE, FROM or update can be code: skip the slow parse
    parsed = _parse(for_line_feed_parsers(text))
    if isinstance(parsed, str):
        raise QueryRejected(
            400,
            f"The query does not parse as SPARQL 1.1 ({parsed}) and holds "
            f"{'; '.join(found.risky)}: that cannot be checked, so the query is refused.",
        )
    services, dataset = parsed
    if (
        READINGS_DIFFER in found.risky
        or len(services) != found.count("SERVICE")
        or len(dataset) != found.count("FROM")
    ):
        # The parser must see exactly the SERVICE and FROM keywords the tokens show, glued ones
        # (SERVICE:x) included; where it does not (rdflib misreads some strings with '#',
        # applies \u escapes first), the engine might read what neither the parser nor the
        # lexer agreed on (issues 14 and 23).
        raise QueryRejected(
            400,
            f"The query is read differently by SPARQL parsers ({'; '.join(found.risky)}); "
            "write it plainly (white space around keywords, no \\u escapes outside strings).",
        )
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


def check_graphs(
    graph_names: Iterable[str],
    default_graphs: Iterable[str] = (),
    named_graphs: Iterable[str] = (),
) -> set[str]:
    """The protocol's ``default-graph-uri``/``named-graph-uri`` may only select among the
    dataset's graphs: the whole of :func:`check_reach` for a text whose tokens prove that it
    names no SERVICE, FROM or update. Returns the known graph names."""
    known = set(graph_names)
    for name in (*default_graphs, *named_graphs):
        if name not in known:
            raise QueryRejected(400, f"<{name}> names no graph in this dataset.")
    return known


def warm_up() -> None:
    """Import and exercise rdflib's parser once, in the web worker before it forks.

    Building the grammar costs about a second of CPU; done here, every query process
    inherits it, so a process that replaces a killed one answers at once (and never forks
    while another thread holds the import lock). The parser is called directly: a query
    given to :func:`check_query` reaches it only when its tokens hold a risky keyword, and
    the harmless one this used to check never did, so nothing was warmed (issue 22).
    """
    _parse("ASK { FILTER(1 < 2) }")


def _parse(text: str) -> tuple[list[str | None], list[str]] | str:
    """SERVICE endpoints (``None`` for a variable) and FROM/FROM NAMED IRIs, as rdflib's
    parser resolves them; where rdflib cannot parse the text as a query, where it stopped."""
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
        except ParseBaseException as err:
            try:
                parseUpdate(text)
            except (ParseBaseException, RecursionError):
                return f"error at line {err.lineno}, column {err.col}"
            raise QueryRejected(
                400, "Updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused: read-only."
            ) from None
        try:
            algebra = translateQuery(tree, initNs=PREFIXES).algebra
        except Exception as err:  # rdflib raises plain Exceptions (unknown prefix)
            return str(err).rstrip(".")
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
    # A clause is FROM (key "default") or FROM NAMED (key "named"). Read as a dict: CompValue.get
    # answers the key's name for a missing key, which made FROM NAMED alone a FROM <default>.
    dataset = [
        str(dict.get(clause, "default") or dict.get(clause, "named"))
        for clause in algebra.get("datasetClause") or ()
    ]
    return services, dataset
