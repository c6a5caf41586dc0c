"""HTML documentation of the ontology at /ontology, and the ontology itself by Accept.

pyLODE would be the usual tool, but the last release installable on Python 3.11 (3.4.1) fails
at import (it reads a pyproject.toml that its wheel does not ship), so this is a compact
generator of our own: classes, properties and concepts, each with its labels and definitions in
Swedish and English and an anchor (``/ontology#Award``). It reads only ``ontology/*.ttl``, not
the build, so editors see their change at once; the page is made on first request and cached.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from kg.namespaces import DK, ONTOLOGY_IRI

ontology_docs = Blueprint("ontology_docs", __name__)

FORMATS = {  # media type -> rdflib format
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
}
_GROUPS = (
    ("Classes", "Klasser", (OWL.Class,)),
    ("Properties", "Egenskaper", (OWL.ObjectProperty, OWL.DatatypeProperty)),
    ("Concepts", "Begrepp", (SKOS.ConceptScheme, SKOS.Concept)),
)


def load_ontology(root: Path) -> Graph:
    """The model as editors' tools see it: the ontology and its alignments in one graph."""
    graph = Graph()
    graph.bind("dk", DK)
    for path in sorted((root / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _text(graph: Graph, node: URIRef, predicate: URIRef, lang: str) -> str:
    for value in graph.objects(node, predicate):
        if getattr(value, "language", None) == lang:
            return str(value)
    return ""


def _terms(graph: Graph, types: tuple) -> list[URIRef]:
    """Our terms of the given types; a concept is typed with a subclass of skos:Concept."""
    kinds = set(types)
    if SKOS.Concept in kinds:
        kinds |= set(graph.subjects(RDFS.subClassOf, SKOS.Concept))
    found = {t for k in kinds for t in graph.subjects(RDF.type, k) if str(t).startswith(DK)}
    if SKOS.Concept in kinds:
        found -= set(graph.subjects(RDF.type, OWL.Class))
    return sorted(found)


def render_html(graph: Graph) -> str:
    """One page: header, table of contents, then one entry per term with an anchor."""
    onto = URIRef(ONTOLOGY_IRI)
    title = _text(graph, onto, URIRef("http://purl.org/dc/terms/title"), "en")
    version = graph.value(onto, OWL.versionInfo)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title></head><body>",
        f"<h1>{escape(title)}</h1><p>IRI: <code>{ONTOLOGY_IRI}</code>; version {version}; "
        "also as <a href='?format=ttl'>Turtle</a>, <a href='?format=rdf'>RDF/XML</a>, "
        "<a href='?format=jsonld'>JSON-LD</a>.</p>",
    ]
    for heading_en, heading_sv, types in _GROUPS:
        terms = _terms(graph, types)
        parts.append(f"<h2 id='{heading_en.lower()}'>{heading_en} / {heading_sv}</h2>")
        for term in terms:
            name = str(term)[len(DK) :]
            deprecated = (term, OWL.deprecated, None) in graph
            parts.append(
                f"<section id='{escape(name)}'><h3>dk:{escape(name)}"
                f"{' (deprecated)' if deprecated else ''}</h3><dl>"
            )
            for lang in ("sv", "en"):
                label = _text(graph, term, RDFS.label, lang)
                definition = _text(graph, term, SKOS.definition, lang)
                parts.append(f"<dt lang='{lang}'>{escape(label)}</dt>")
                parts.append(f"<dd lang='{lang}'>{escape(definition)}</dd>")
            for predicate, caption in (
                (RDFS.subClassOf, "subclass of"),
                (RDFS.subPropertyOf, "subproperty of"),
                (RDFS.domain, "domain"),
                (RDFS.range, "range"),
            ):
                for value in sorted(graph.objects(term, predicate)):
                    shown = graph.namespace_manager.normalizeUri(value)
                    href = f"#{str(value)[len(DK) :]}" if str(value).startswith(DK) else str(value)
                    parts.append(
                        f"<dt>{caption}</dt><dd><a href='{escape(href)}'>{escape(shown)}</a></dd>"
                    )
            parts.append("</dl></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


@cache
def _cached(root: Path, stamp: float, fmt: str) -> str:
    graph = load_ontology(root)
    return render_html(graph) if fmt == "html" else graph.serialize(format=fmt)


def ontology_html(root: Path) -> str:
    """The HTML page, for the website's own /ontology route (content negotiation lives there)."""
    return _cached(root, _stamp(root), "html")


def _stamp(root: Path) -> float:
    return max((p.stat().st_mtime for p in (root / "ontology").glob("*.ttl")), default=0.0)


def negotiate(accept: str, asked: str | None) -> str:
    """Pick a media type: ?format= wins, then the best Accept match, then HTML."""
    by_suffix = {
        "ttl": "text/turtle",
        "rdf": "application/rdf+xml",
        "jsonld": "application/ld+json",
        "nt": "application/n-triples",
        "html": "text/html",
    }
    if asked in by_suffix:
        return by_suffix[asked]
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    best = parse_accept_header(accept, MIMEAccept).best_match(["text/html", *FORMATS])
    return best or "text/html"


@ontology_docs.get("/ontology")
def ontology() -> Response:
    root = current_app.config["KG_SETTINGS"].root
    media = negotiate(request.headers.get("Accept", ""), request.args.get("format"))
    if media == "text/html":
        body = ontology_html(root)
    else:
        body = _cached(root, _stamp(root), FORMATS[media])
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept"
    return response
