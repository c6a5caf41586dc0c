"""HTML documentation of the ontology's terms, for the /ontology page.

pyLODE would be the usual tool, but no release works on Python 3.11: 3.4.1, the last that
installs, fails at import (it reads a pyproject.toml that its wheel does not ship), and 3.6.0
requires Python 3.12 (forced onto 3.11, it fails at import too: its helper library kurra is too
old there); pyLODE does not draw diagrams either. So this is a compact generator of our own:
the diagram of the model that ``kg build`` drew (``kg.pipeline.diagram``), then classes,
properties and concepts, each with its labels and definitions in Swedish and English, its
alignments, and an anchor (``/ontology#Award``). The /ontology routes at the end of this module
negotiate formats and wrap these sections in the site's page; each release is served at its
``owl:versionIRI``.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from flask import Blueprint, Response, current_app, has_app_context
from markupsafe import Markup
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from kg.namespaces import BASE, DK, ONTOLOGY_IRI
from kg.store import Triples
from kg.web.endpoint.rdf_documents import RDF_FORMATS, graph_of, rdf_response, suffix_for
from kg.web.site.rendering import HTML, current_lang, engine, not_found, page, preferred, select

ontology_routes = Blueprint("ontology_docs", __name__)

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


#: The pictures ``kg build`` writes beside the artifact, one per language
#: (``kg.pipeline.diagram.FILE_NAME``; the web layer reads files, it imports no pipeline code).
DIAGRAM_FILE = "ontology-diagram.{lang}.svg"
DIAGRAM_LANGS = ("sv", "en")
_CAPTION = {
    "sv": "Klicka på en klass eller en egenskap för att läsa om den nedan.",
    "en": "Click a class or a property to read about it below.",
}


#: Ends each diagram in :func:`render_terms`' output; the template keeps the one in the
#: page's language (the site's Content-Security-Policy allows no inline style to hide one).
DIAGRAM_END = "<!-- /diagram -->"


def render_diagram(build_dir: Path) -> str:
    """The build's diagrams, one ``<figure lang=…>`` per language in DIAGRAM_LANGS order,
    each followed by DIAGRAM_END, with every term linked to its entry on this page; empty
    figures when the build drew none (a build older than the diagram)."""
    figures = []
    for lang in DIAGRAM_LANGS:
        path = build_dir / DIAGRAM_FILE.format(lang=lang)
        figure = ""
        if path.is_file():
            svg = path.read_text(encoding="utf-8").replace(f'href="{DK}', 'href="#')
            figure = (
                f"<figure class='ontology-diagram' lang='{lang}'>{svg}"
                f"<figcaption>{escape(_CAPTION[lang])}</figcaption></figure>"
            )
        figures.append(figure + DIAGRAM_END)
    return "".join(figures)


def render_terms(graph: Graph) -> Markup:
    """The diagram of the model in each language (inside an app, from its build; see
    DIAGRAM_END), then one section per group and one entry per term, each with an anchor
    named after it."""
    parts: list[str] = []
    if has_app_context():
        parts.append(render_diagram(Path(current_app.config["KG_SETTINGS"].build_dir)))
    else:
        parts.append(DIAGRAM_END * len(DIAGRAM_LANGS))
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
    return Markup("\n".join(parts))  # noqa: S704 - every value is escaped; the SVG is our build's


# ---------------------------------------------------------------------------
# The routes: the ontology and its versions
# ---------------------------------------------------------------------------


def ontology_graph(graph: str = "ontology") -> Graph:
    result = engine().query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BASE}graph/{graph}> {{ ?s ?p ?o }} }}"
    )
    assert isinstance(result, Triples)
    return graph_of(result)


def ontology_versions() -> dict[str, str]:
    rows = select(
        f"SELECT ?v ?info WHERE {{ <{ONTOLOGY_IRI}> owl:versionIRI ?v . "
        "OPTIONAL { ?v owl:versionInfo ?info } }"
    )
    return {row["v"].value[len(ONTOLOGY_IRI) + 1 :]: row["v"].value for row in rows}


_RENDERED: dict[str, Markup] = {}


def rendered_terms() -> Markup:
    """The terms' HTML, made once per artifact version: building an rdflib graph of the model
    and writing every term took most of the page's time, and the artifact never changes while
    it is served."""
    version = str(engine().version)
    if version not in _RENDERED:
        graph = ontology_graph("ontology") + ontology_graph("alignments")
        _RENDERED.clear()
        _RENDERED[version] = render_terms(graph)
    return _RENDERED[version]


def ontology_html() -> Response:
    """The terms with labels, definitions and alignments, inside the site's page."""
    return page(
        "ontology.html",
        lang=current_lang(),
        terms=rendered_terms(),
        versions=ontology_versions(),
        formats=list(RDF_FORMATS),
    )


def ontology_document(graph: str, suffix: str | None) -> Response:
    if suffix:
        return rdf_response(ontology_graph(graph), suffix)
    wanted = preferred([HTML, *(media for media, _ in RDF_FORMATS.values())])
    if wanted == HTML and graph == "ontology":
        response = ontology_html()
    elif wanted is None or wanted == HTML:
        return rdf_response(ontology_graph(graph), "ttl", negotiated=True)
    else:
        response = rdf_response(ontology_graph(graph), suffix_for(wanted))
    response.vary.add("Accept")
    return response


@ontology_routes.get("/ontology")
@ontology_routes.get("/ontology.<suffix>")
def ontology_page(suffix: str | None = None) -> Response:
    """The ontology at its own IRI (a hash namespace, so no 303: terms are fragments)."""
    if suffix is not None and suffix not in RDF_FORMATS:
        return not_found()
    return ontology_document("ontology", suffix)


@ontology_routes.get("/ontology/<path:rest>")
def ontology_version(rest: str) -> Response:
    """Each release at its ``owl:versionIRI`` (``/ontology/0.1.0``), and the alignments."""
    name, dot, suffix = rest.rpartition(".")
    if not dot or suffix not in RDF_FORMATS:
        name, suffix = rest, None
    if name == "alignments":
        return ontology_document("alignments", suffix)
    if name in ontology_versions():
        return ontology_document("ontology", suffix)
    return prior_release(name, suffix)


def prior_release(version: str, suffix: str | None) -> Response:
    """An earlier release, frozen as ``ontology/releases/X.Y.Z.ttl`` when it was superseded."""
    releases = Path(current_app.config["KG_SETTINGS"].root) / "ontology" / "releases"
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        return not_found()
    path = releases / f"{version}.ttl"
    if not path.is_file():
        return not_found()
    graph = Graph().parse(path, format="turtle")
    if suffix:
        return rdf_response(graph, suffix)
    wanted = preferred([media for media, _ in RDF_FORMATS.values()])
    suffix = next((s for s, (m, _) in RDF_FORMATS.items() if m == wanted), "ttl")
    return rdf_response(graph, suffix, negotiated=True)
