"""RDF documents for things and graphs: the suffix formats, and a response that serialises an
rdflib graph with our prefixes. Shared by the entity pages, the ontology and the downloads."""

from __future__ import annotations

from flask import Response
from rdflib import Graph

from kg.namespaces import PREFIXES
from kg.store import Triples, rdf_text

#: Suffix → (media type, rdflib format). The order is the order of the links on pages.
RDF_FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


def graph_of(triples: Triples) -> Graph:
    g = rdf_text.new_graph()
    for s, p, o in triples.triples:
        g.add((s.to_rdflib(), p.to_rdflib(), o.to_rdflib()))
    return g


def rdf_response(g: Graph, suffix: str, negotiated: bool = False) -> Response:
    media, fmt = RDF_FORMATS[suffix]
    response = Response(serialise(g, fmt), mimetype=media)
    if media.startswith("text/"):
        response.mimetype_params["charset"] = "utf-8"
    if negotiated:
        response.vary.add("Accept")
    return response


def serialise(g: Graph, fmt: str) -> str:
    """``g`` in rdflib's format ``fmt``, the same bytes in every worker; JSON-LD compacted
    with our prefixes."""
    if fmt == rdf_text.JSONLD:
        return rdf_text.serialise(g, fmt, context=dict(PREFIXES), auto_compact=True)
    return rdf_text.serialise(g, fmt)


def suffix_for(media: str) -> str:
    """The suffix of an RDF media type that :data:`RDF_FORMATS` offers."""
    return next(s for s, (m, _) in RDF_FORMATS.items() if m == media)
