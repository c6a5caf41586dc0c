"""A client engine that forwards queries to any SPARQL 1.1 Protocol endpoint.

When the graph outgrows one machine it lives in a real triple store (Oxigraph server, Fuseki,
GraphDB, Virtuoso, QLever) and our Flask front answers from there: every protection, limit,
page and cache in front of ``store/`` stays ours, only the evaluation moves. The client is
stdlib only (``http.client`` with one keep-alive connection per thread) so a worker does not
pay a TCP handshake per query, and every request carries the query timeout.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from itertools import islice

import pyoxigraph as ox

from kg.lexer import shape, unescape_codepoints
from kg.namespaces import PREFIXES
from kg.store.base import Bindings, Boolean, QueryResult, QuerySyntaxError, Term, Triples
from kg.store.embedded import term as ox_term

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
#: "1" and "0" are valid lexical forms of xsd:boolean; our engines write the canonical ones.
_CANONICAL_BOOLEAN = {"1": "true", "0": "false"}
#: SELECT/ASK come back as SPARQL JSON, CONSTRUCT/DESCRIBE as N-Triples: the server picks.
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


class RemoteEndpointError(RuntimeError):
    """The remote store failed or did not answer in time (the web layer answers 503)."""


class RemoteEngine:
    """Answers through ``endpoint`` (an ``http://`` or ``https://`` SPARQL query URL).

    The remote store's default graph must be the set union of the named graphs, as ours is
    (``kg publish`` writes it). A store whose default dataset is every graph at once, a triple
    repeated once per graph that states it (Virtuoso), is asked with an explicit dataset
    instead: ``union_graph`` (the graph ``kg publish`` wrote the union into) as the default
    graph and ``graphs`` (the build's named graphs) as the named graphs, unless the request or
    the query (``FROM``) names a dataset of its own. The named graphs are listed because such a
    store also holds graphs of its own (Virtuoso's system graphs), which ``GRAPH ?g`` would
    otherwise find. ``version`` is the dataset version published there (from the local
    manifest when present), so caches keyed by it turn over when a new build is published.
    """

    def __init__(
        self,
        endpoint: str,
        version: str = "remote",
        timeout: float = 10.0,
        *,
        union_graph: str = "",
        graphs: tuple[str, ...] = (),
    ) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{endpoint!r} is not an http(s) SPARQL endpoint URL")
        self.endpoint = endpoint
        self.version = version
        self.timeout = timeout
        self._parts = parts
        self._local = threading.local()
        self._counts: dict[str, int] | None = None
        self.union_graph = union_graph
        self.graphs = graphs

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self._parts.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(self._parts.hostname, self._parts.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _post(self, body: str) -> tuple[int, str, bytes]:
        path = self._parts.path or "/"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": ACCEPT,
        }
        for attempt in (1, 2):  # a keep-alive connection the server closed is retried once
            conn = self._connection()
            try:
                conn.request("POST", path, body=body.encode(), headers=headers)
                response = conn.getresponse()
                data = response.read()
                return response.status, response.getheader("Content-Type", ""), data
            except (http.client.HTTPException, ConnectionError) as err:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise RemoteEndpointError(f"{self.endpoint}: {err}") from None
            except TimeoutError:
                conn.close()
                self._local.conn = None
                raise RemoteEndpointError(
                    f"{self.endpoint} did not answer within {self.timeout} s"
                ) from None
            except OSError as err:
                conn.close()
                self._local.conn = None
                raise RemoteEndpointError(f"{self.endpoint}: {err}") from None
        raise AssertionError("unreachable")

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        # Our prefixes are predefined for users; a remote store does not know them, so they are
        # declared in the prologue (a query may still redeclare any of them).
        prologue = f"BASE <{base_iri}>\n" if base_iri else ""
        prologue += "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
        params: list[tuple[str, str]] = [("query", prologue + sparql)]
        if default_graphs is None and named_graphs is None and self._asks_union(sparql):
            default_graphs, named_graphs = [self.union_graph], list(self.graphs)
        params += [("default-graph-uri", g) for g in default_graphs or ()]
        params += [("named-graph-uri", g) for g in named_graphs or ()]
        if default_graphs == []:  # an empty default graph: name one that cannot exist
            params.append(("default-graph-uri", "urn:x-kg:empty-default-graph"))
        status, content_type, body = self._post(urllib.parse.urlencode(params))
        if status == 400:
            message = body.decode("utf-8", "replace").strip()
            raise QuerySyntaxError(_strip_prologue_lines(message, prologue))
        if status != 200:
            raise RemoteEndpointError(
                f"{self.endpoint} answered {status}: {body[:200].decode('utf-8', 'replace')}"
            )
        limit = None if max_rows is None else max_rows + 1
        if content_type.startswith("application/sparql-results+json"):
            document = json.loads(body)
            if "boolean" in document:
                return Boolean(bool(document["boolean"]))
            variables = document["head"].get("vars", [])
            if variables == [VIRTUOSO_ASK] and _form(sparql) == "ASK":
                return _virtuoso_boolean(document["results"]["bindings"])
            rows = [
                {name: _json_term(value) for name, value in binding.items()}
                for binding in islice(document["results"]["bindings"], limit)
            ]
            truncated = max_rows is not None and len(rows) > max_rows
            return Bindings(variables, rows[:max_rows] if truncated else rows, truncated)
        if content_type.startswith("application/n-triples"):
            parsed = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            triples = [
                (ox_term(t.subject), ox_term(t.predicate), ox_term(t.object))
                for t in islice(parsed, limit)
            ]
            truncated = max_rows is not None and len(triples) > max_rows
            return Triples(triples[:max_rows] if truncated else triples, truncated)
        raise RemoteEndpointError(f"{self.endpoint} answered an unexpected {content_type!r}")

    def _asks_union(self, sparql: str) -> bool:
        """Whether to name the published dataset: a store with a union graph, and a query
        without ``FROM``/``FROM NAMED`` of its own (the protocol's dataset would override it)."""
        if not self.union_graph:
            return False
        return "FROM" not in shape(unescape_codepoints(sparql)).words

    def graph_counts(self) -> dict[str, int]:
        if self._counts is None:
            result = self.query(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
            )
            assert isinstance(result, Bindings)
            self._counts = dict(
                sorted((row["g"].value, int(row["n"].value)) for row in result.rows)
            )
        return self._counts


def _json_term(value: dict) -> Term:
    kind = value["type"]
    if kind == "uri":
        return Term("uri", value["value"])
    if kind == "bnode":
        return Term("bnode", value["value"])
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Term("literal", value["value"], lang=value["xml:lang"])
        datatype = value.get("datatype", XSD_STRING)
        if datatype == XSD_BOOLEAN:  # Virtuoso writes stored booleans as 0 and 1: same values
            return Term(
                "literal", _CANONICAL_BOOLEAN.get(value["value"], value["value"]), datatype=datatype
            )
        return Term("literal", value["value"], datatype=datatype)
    return Term("triple", json.dumps(value["value"], sort_keys=True))


def _strip_prologue_lines(message: str, prologue: str) -> str:
    """Positions in a remote error count our prologue lines; say so rather than mislead."""
    lines = prologue.count("\n")
    return f"{message} (line numbers include {lines} predefined PREFIX lines)"


#: Virtuoso 7.2 answers an ASK asked with a dataset (``default-graph-uri``/``named-graph-uri``)
#: as a one-row SELECT of this variable, ``1`` or ``0``, instead of the protocol's ``boolean``.
VIRTUOSO_ASK = "__ASK_RETVAL"
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _form(sparql: str) -> str | None:
    """The query form: its first form keyword outside strings, IRIs and comments."""
    return next((w for w in shape(unescape_codepoints(sparql)).words if w in _FORMS), None)


def _virtuoso_boolean(bindings: list[dict]) -> Boolean:
    value = bindings[0].get(VIRTUOSO_ASK, {}).get("value") if bindings else None
    return Boolean(value in ("1", "true"))
