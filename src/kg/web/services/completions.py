"""Term lists for the workbench's class and property completion, served from this host.

YASQE's own completers ask an outside vocabulary service (LOV) for every keystroke, which the
workbench cannot use (no request may leave this host) and which would not know our terms anyway.
These lists hold what a query against this graph can use: every class and property the
ontology declares, and every class and predicate the data actually uses, each with its labels
in Swedish and English. They change only with the build, so each list is computed once per
dataset version.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, abort, jsonify

from kg.web.site.rendering import curie, engine, select

completions = Blueprint("completions", __name__)

KINDS = {
    "class": """SELECT DISTINCT ?t WHERE {
        { ?t a owl:Class } UNION { ?t a rdfs:Class } UNION { ?x a ?t }
        FILTER (isIRI(?t)) }""",
    "property": """SELECT DISTINCT ?t WHERE {
        { ?t a owl:ObjectProperty } UNION { ?t a owl:DatatypeProperty }
        UNION { ?t a owl:AnnotationProperty } UNION { ?t a rdf:Property }
        UNION { ?x ?t ?y } }""",
}


@lru_cache(maxsize=4)
def terms(kind: str, version: str) -> tuple[dict, ...]:
    """``version`` keys the cache: a new build gives new lists."""
    iris = sorted(row["t"].value for row in select(KINDS[kind]))
    found: dict[str, dict[str, str]] = {iri: {} for iri in iris}
    for start in range(0, len(iris), 200):
        values = " ".join(f"<{iri}>" for iri in iris[start : start + 200])
        for row in select(
            f"""SELECT ?t ?l WHERE {{ VALUES ?t {{ {values} }}
                  ?t rdfs:label ?l FILTER (lang(?l) IN ("sv", "en")) }}"""
        ):
            found[row["t"].value].setdefault(row["l"].lang, row["l"].value)
    return tuple({"iri": iri, "curie": curie(iri), "label": found[iri]} for iri in iris)


@completions.get("/completions/<kind>.json")
def term_list(kind: str) -> Response:
    if kind not in KINDS:
        abort(404)
    response = jsonify(list(terms(kind, engine().version)))
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
