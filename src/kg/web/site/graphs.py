"""Named graphs you can fetch: ``https://w3id.org/digikommun/graph/{name}`` dereferences.

Every provenance query names a graph IRI, so a client that follows one must get something:
``/graph/{name}`` answers 303 See Other to an HTML page about the graph (what it holds, where
it comes from, its size and licence, download links) or to its triples in the RDF format the
``Accept`` header asks for; ``/graph/{name}.ttl`` (``.trig``, ``.nq``, ``.jsonld``, ``.nt``,
``.rdf``) is that document itself. ``/graph/`` lists the graphs. The documents are the same
bytes the read-only Graph Store (:mod:`kg.web.services.graph_store`) sends, made here once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from kg.namespaces import GRAPH, INFERRED_GRAPH
from kg.store import Triples, rdf_text
from kg.web.endpoint import http, page_http, rdf_documents
from kg.web.endpoint.negotiate import negotiate
from kg.web.endpoint.rdf_documents import graph_of
from kg.web.site.rendering import (
    HTML,
    current_lang,
    engine,
    labels,
    not_found,
    page,
    see_other,
    select,
)

graphs = Blueprint("graphs", __name__)

#: Suffix → (media type, rdflib format): the forms a graph's triples are served in. Turtle
#: first: it is what a client that accepts any RDF gets.
GRAPH_FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("text/turtle", "turtle"),
    "trig": ("application/trig", "trig"),
    "nq": ("application/n-quads", "nquads"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}
MEDIA_TYPES = [media for media, _ in GRAPH_FORMATS.values()]
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: The licence of the data, as in the catalog and the site's footer.
DATA_LICENCE = "https://creativecommons.org/licenses/by/4.0/"


def graph_iri(name: str) -> str:
    return str(GRAPH[name])


def held(iri: str) -> bool:
    """Whether the store holds a named graph of this IRI (it never fetches one)."""
    return iri in engine().graph_counts()


def triples_of(iri: str | None) -> Triples:
    """The triples of one named graph, or of the default graph (the union) for None."""
    if iri is None:
        sparql = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    else:
        sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
    result = engine().query(sparql)
    assert isinstance(result, Triples)
    return result


def serialise(iri: str | None, suffix: str) -> bytes:
    """A graph's triples in the format of ``suffix``; quad formats keep the graph's name."""
    graph = graph_of(triples_of(iri))
    fmt = GRAPH_FORMATS[suffix][1]
    if fmt in (rdf_text.TRIG, rdf_text.NQUADS):  # a quad format keeps the graph's name
        named = {} if iri is None else {iri: graph}
        text = rdf_text.serialise_graphs(named, fmt, default=None if iri else graph)
    else:
        text = rdf_documents.serialise(graph, fmt)
    return text.encode("utf-8")


def suffix_for(media: str) -> str:
    return next(s for s, (m, _) in GRAPH_FORMATS.items() if m == media)


def document(iri: str | None, suffix: str, *, negotiated: bool) -> Response:
    """A graph document with the caching every read answer has: ETag from the build, 304 on a
    matching If-None-Match, gzip when accepted (``kg.web.endpoint.http``)."""
    media = GRAPH_FORMATS[suffix][0]
    compress = page_http.wants_gzip()
    etag = http.etag_for(
        engine().version, "graph", iri or "", media, "gzip" if compress else "identity"
    )
    if page_http.if_none_match(etag):
        return page_http.not_modified(etag)
    response = Response(serialise(iri, suffix), mimetype=media)
    if media.startswith("text/") or media == "application/trig":
        response.mimetype_params["charset"] = "utf-8"
    response = page_http.finish(response, etag, compress=compress)
    if not negotiated:  # a suffix URL names one form: it does not vary with Accept
        response.headers["Vary"] = "Accept-Encoding"
    return response


def not_acceptable(offered: list[str]) -> Response:
    response = Response(
        "Not acceptable: ask for one of " + ", ".join(offered) + ".\n",
        status=406,
        mimetype="text/plain",
    )
    response.vary.add("Accept")
    return response


# ---------------------------------------------------------------------------
# /graph/{name}: 303 to the page or the document; suffixed forms answer 200
# ---------------------------------------------------------------------------


@graphs.get("/graph/<name>")
def graph(name: str) -> Response:
    base, dot, suffix = name.rpartition(".")
    if not dot or suffix not in (*GRAPH_FORMATS, "html"):
        base, suffix = name, ""
    if not NAME.match(base) or not held(graph_iri(base)):
        return not_found()
    if suffix == "html":
        return graph_page(base)
    if suffix:
        return document(graph_iri(base), suffix, negotiated=False)
    wanted = negotiate(request.headers.get("Accept"), [HTML, *MEDIA_TYPES])
    if wanted is None:
        return not_acceptable([HTML, *MEDIA_TYPES])
    return page_http.add_cors(
        see_other(f"/graph/{base}", None if wanted == HTML else suffix_for(wanted))
    )


def _inputs(name: str) -> list[str]:
    """The input files of the build this graph was loaded from (one per graph, by stem)."""
    manifest = Path(current_app.config["KG_SETTINGS"].manifest)
    if not manifest.is_file():
        return []
    inputs = json.loads(manifest.read_text(encoding="utf-8")).get("inputs", {})
    return sorted(
        path for path in inputs if Path(path).suffix == ".ttl" and Path(path).stem == name
    )


def graph_summary(name: str, lang: str) -> dict:
    """What a graph holds, from the store: its size, things per class, and where it comes from."""
    iri = graph_iri(name)
    classes = select(
        f"""SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          GRAPH <{iri}> {{ ?s a ?class }} }} GROUP BY ?class ORDER BY DESC(?n) ?class LIMIT 40"""
    )
    derived = select(
        f"""SELECT DISTINCT ?source WHERE {{
          GRAPH <{iri}> {{ ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?source }}
          FILTER isIRI(?source) }} ORDER BY ?source LIMIT 50"""
    )
    subjects = select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
    names = labels({r["class"].value for r in classes} | {r["source"].value for r in derived}, lang)
    return {
        "name": name,
        "iri": iri,
        "triples": engine().graph_counts()[iri],
        "subjects": int(subjects[0]["n"].value),
        "classes": [
            (r["class"].value, names[r["class"].value], int(r["n"].value)) for r in classes
        ],
        "derived": [(r["source"].value, names[r["source"].value]) for r in derived],
        "inputs": _inputs(name),
        "inferred": iri == str(INFERRED_GRAPH),
    }


def graph_page(name: str) -> Response:
    lang = current_lang()
    response = page(
        "graph.html",
        lang=lang,
        graph=graph_summary(name, lang),
        formats=list(GRAPH_FORMATS),
        licence=DATA_LICENCE,
        store_link="/store?" + _query_string(graph_iri(name)),
    )
    return page_http.add_cors(response)


def _query_string(iri: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"graph": iri})


# ---------------------------------------------------------------------------
# /graph/: the list of graphs
# ---------------------------------------------------------------------------


@graphs.get("/graph/")
@graphs.get("/graph")
def graph_list() -> Response:
    """Every named graph with its size; HTML for people, a VoID-like Turtle list for machines."""
    counts = engine().graph_counts()
    wanted = negotiate(request.headers.get("Accept"), [HTML, "text/turtle"])
    if wanted is None:
        return not_acceptable([HTML, "text/turtle"])
    if wanted == "text/turtle":
        lines = [
            "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .",
            "@prefix void: <http://rdfs.org/ns/void#> .",
            "",
        ]
        for iri, n in counts.items():
            lines.append(f"<{iri}> a sd:Graph , void:Dataset ; void:triples {n} .")
        response = Response("\n".join(lines) + "\n", mimetype="text/turtle")
        response.mimetype_params["charset"] = "utf-8"
    else:
        response = page(
            "graphs.html",
            graphs=[(iri, iri.rsplit("/", 1)[-1], n) for iri, n in counts.items()],
            total=sum(counts.values()),
        )
    response.vary.add("Accept")
    return page_http.add_cors(response)
