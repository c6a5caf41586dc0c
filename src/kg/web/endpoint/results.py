"""Serialise engine-neutral results in every format the endpoint offers.

Tabular results (SELECT, ASK) follow the W3C SPARQL 1.1 Query Results formats: JSON, XML, CSV
and TSV. Graph results (CONSTRUCT, DESCRIBE) go through rdflib's serialisers, which already
implement Turtle, N-Triples, RDF/XML, JSON-LD, TriG and N-Quads correctly; writing our own
would only add bugs. The tables below are the single source for what is offered: the protocol
negotiates from them and the Service Description is generated from them, so it cannot claim a
format the server does not produce.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from kg.namespaces import PREFIXES
from kg.store import Bindings, Boolean, Term, Triples

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One serialisation: its media type, the names a ``format`` parameter may use, its W3C
    format IRI (for the Service Description) and the aliases a client may send in Accept."""

    media_type: str
    names: tuple[str, ...]
    iri: str
    aliases: tuple[str, ...] = ()
    charset: bool = True


# Order matters: it is the server's preference when the client does not mind.
TABULAR_FORMATS: tuple[Format, ...] = (
    Format(SPARQL_JSON, ("json", "srj"), FORMATS_NS + "SPARQL_Results_JSON", ("application/json",)),
    Format(
        SPARQL_XML,
        ("xml", "srx"),
        FORMATS_NS + "SPARQL_Results_XML",
        ("application/xml", "text/xml"),
    ),
    Format("text/csv", ("csv",), FORMATS_NS + "SPARQL_Results_CSV"),
    Format("text/tab-separated-values", ("tsv",), FORMATS_NS + "SPARQL_Results_TSV"),
)
BOOLEAN_FORMATS: tuple[Format, ...] = TABULAR_FORMATS[:2]
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("text/turtle", ("turtle", "ttl"), FORMATS_NS + "Turtle", ("application/x-turtle",)),
    Format(
        "application/n-triples",
        ("ntriples", "n-triples", "nt"),
        FORMATS_NS + "N-Triples",
        ("text/plain",),
    ),
    Format(
        "application/rdf+xml",
        ("rdfxml", "rdf/xml", "rdf", "xml"),
        FORMATS_NS + "RDF_XML",
        ("application/xml", "text/xml"),
    ),
    Format(
        "application/ld+json",
        ("jsonld", "json-ld", "json"),
        FORMATS_NS + "JSON-LD",
        ("application/json",),
    ),
    Format("application/trig", ("trig",), FORMATS_NS + "TriG"),
    Format("application/n-quads", ("nquads", "n-quads", "nq"), FORMATS_NS + "N-Quads"),
)
_RDFLIB_NAMES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "pretty-xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def rdflib_format(media_type: str) -> str:
    """rdflib's serialiser name for one of ``GRAPH_FORMATS``."""
    return _RDFLIB_NAMES[media_type]


def formats_for(result_kind: str) -> tuple[Format, ...]:
    """The formats offered for ``select``, ``ask`` or ``graph`` results."""
    return {"select": TABULAR_FORMATS, "ask": BOOLEAN_FORMATS, "graph": GRAPH_FORMATS}[result_kind]


def result_kind(result: Bindings | Boolean | Triples) -> str:
    if isinstance(result, Boolean):
        return "ask"
    if isinstance(result, Bindings):
        return "select"
    return "graph"


# --- JSON ---------------------------------------------------------------------------------


def term_json(term: Term) -> dict[str, str]:
    if term.kind == "uri":
        return {"type": "uri", "value": term.value}
    if term.kind == "bnode":
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.lang:
        out["xml:lang"] = term.lang
    elif term.datatype and term.datatype != XSD_STRING:
        out["datatype"] = term.datatype
    return out


def to_json(result: Bindings | Boolean) -> str:
    """SPARQL 1.1 Query Results JSON Format."""
    if isinstance(result, Boolean):
        return json.dumps({"head": {}, "boolean": result.value})
    return json.dumps(
        {
            "head": {"vars": result.variables},
            "results": {
                "bindings": [{k: term_json(v) for k, v in row.items()} for row in result.rows]
            },
        },
        ensure_ascii=False,
    )


# --- XML ----------------------------------------------------------------------------------


def _term_xml(term: Term) -> str:
    if term.kind == "uri":
        return f"<uri>{escape(term.value)}</uri>"
    if term.kind == "bnode":
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.lang:
        return f"<literal xml:lang={quoteattr(term.lang)}>{escape(term.value)}</literal>"
    if term.datatype and term.datatype != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def to_xml(result: Bindings | Boolean) -> str:
    """SPARQL Query Results XML Format (Second Edition)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', f'<sparql xmlns="{RESULTS_NS}">']
    if isinstance(result, Boolean):
        out += ["<head/>", f"<boolean>{'true' if result.value else 'false'}</boolean>"]
    else:
        out.append("<head>")
        out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
        out += ["</head>", "<results>"]
        for row in result.rows:
            out.append("<result>")
            out += [
                f"<binding name={quoteattr(name)}>{_term_xml(term)}</binding>"
                for name, term in row.items()
            ]
            out.append("</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


# --- CSV and TSV --------------------------------------------------------------------------


def to_csv(result: Bindings) -> str:
    """SPARQL 1.1 Query Results CSV: plain values, RFC 4180 quoting, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(
            [_csv_value(row[v]) if v in row else "" for v in result.variables],
        )
    return out.getvalue()


def _csv_value(term: Term) -> str:
    return "_:" + term.value if term.kind == "bnode" else term.value


def _tsv_term(term: Term) -> str:
    if term.kind == "uri":
        return f"<{term.value}>"
    if term.kind == "bnode":
        return "_:" + term.value
    lexical = (
        term.value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if term.lang:
        return f'"{lexical}"@{term.lang}'
    if term.datatype and term.datatype != XSD_STRING:
        return f'"{lexical}"^^<{term.datatype}>'
    return f'"{lexical}"'


def to_tsv(result: Bindings) -> str:
    """SPARQL 1.1 Query Results TSV: terms in Turtle syntax, variables with their ``?``."""
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join(_tsv_term(row[v]) if v in row else "" for v in result.variables))
    return "\n".join(lines) + "\n"


# --- graphs -------------------------------------------------------------------------------


def to_graph_format(result: Triples, media_type: str) -> str:
    """Serialise CONSTRUCT/DESCRIBE triples; for TriG and N-Quads they form the default graph."""
    from rdflib import Graph

    graph = Graph()
    for s, p, o in result.triples:
        graph.add((s.to_rdflib(), p.to_rdflib(), o.to_rdflib()))
    return graph_to_text(graph, media_type)


def graph_to_text(graph, media_type: str) -> str:
    """An rdflib graph in one of ``GRAPH_FORMATS`` (in TriG and N-Quads, as the default graph),
    the same bytes in every process (:mod:`kg.store.rdf_text`)."""
    from kg.store import rdf_text

    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=False)
    return rdf_text.serialise(graph, _RDFLIB_NAMES[media_type])


SERIALISERS: dict[str, Callable[..., str]] = {
    SPARQL_JSON: to_json,
    SPARQL_XML: to_xml,
    "text/csv": to_csv,
    "text/tab-separated-values": to_tsv,
}


def serialise(result: Bindings | Boolean | Triples, media_type: str) -> str:
    """Serialise ``result`` as ``media_type``, which must be one ``formats_for`` offered."""
    if isinstance(result, Triples):
        return to_graph_format(result, media_type)
    return SERIALISERS[media_type](result)
