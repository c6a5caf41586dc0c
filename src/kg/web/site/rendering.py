"""What every HTML page of the website shares: the page language, the interface strings, the
engine and its bounded SELECTs, readable labels for IRIs, local links for our IRIs, and the frame
that renders a template in one language with a switch to the other.

The page modules (``entity_pages``, ``lists``, ``home``, ``ontology_docs``, ``pictures``,
``downloads``) each serve one kind of page and import these few helpers, so a label or a link
looks the same on every page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from urllib.parse import quote, urlencode

from flask import Response, abort, current_app, redirect, render_template, request

from kg.namespaces import BASE, ONTOLOGY_IRI, PREFIXES
from kg.store import Bindings, Term
from kg.web.site.interface_text import UI

LANGS = ("sv", "en")
HTML = "text/html"
DK = BASE + "ontology#"
UNSAFE_IN_IRI = re.compile(r"[\s<>\"{}|\\^`]")


def engine():
    return current_app.extensions["kg_engine"]


def select(sparql: str) -> list[dict[str, Term]]:
    """Rows of a SELECT; the pages only ever ask fixed, bounded queries."""
    result = engine().query(sparql)
    assert isinstance(result, Bindings), sparql
    return result.rows


def iri_ref(iri: str) -> str:
    """``<iri>`` for a query, refusing characters that could break out of the IRI."""
    if UNSAFE_IN_IRI.search(iri):
        abort(404)
    return f"<{iri}>"


def current_lang() -> str:
    """The page language: ``?lang=`` when given (kept in links), else Accept-Language."""
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS, default="sv") or "sv"


def href(iri: str, lang: str) -> str | None:
    """A local link for one of our IRIs (the host maps onto the base); None for others."""
    if iri.startswith(BASE + "id/"):
        return f"/{iri[len(BASE) :]}.html?lang={lang}"
    if iri.startswith(DK):
        return f"/ontology?lang={lang}#{iri[len(DK) :]}"
    if iri == ONTOLOGY_IRI or iri.startswith(ONTOLOGY_IRI + "/"):
        return "/" + iri[len(BASE) :]
    if iri.startswith(BASE + "graph/source-"):
        return f"/id/source/{iri.rsplit('-', 1)[1]}.html?lang={lang}"
    if iri.startswith(BASE + "graph/"):  # every other named graph has its own page
        return f"/{iri[len(BASE) :]}.html?lang={lang}"
    if iri.startswith(("http://", "https://")):
        return iri
    return None


@lru_cache(maxsize=4096)
def curie(iri: str) -> str:
    """``prefix:local`` for an IRI in one of our namespaces (the longest one), else the IRI."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]) :]}"
    return iri


def pick(literals: list[Term], lang: str) -> str | None:
    """The literal in the page language, else Swedish, else English, else any."""
    for wanted in (lang, "sv", "en", None):
        for lit in literals:
            if lit.lang == wanted:
                return lit.value
    return literals[0].value if literals else None


def labels(iris: set[str], lang: str) -> dict[str, str]:
    """Readable labels for many IRIs in one query (rdfs:label, skos:prefLabel, dcterms:title)."""
    found: dict[str, list[Term]] = defaultdict(list)
    iris = {i for i in iris if not UNSAFE_IN_IRI.search(i)}
    chunk = sorted(iris)
    for start in range(0, len(chunk), 200):
        values = " ".join(f"<{i}>" for i in chunk[start : start + 200])
        # A skos:prefLabel (one per language, the official name) wins over the several
        # rdfs:label forms the texts use ("Lidingö stad", "Lidingö"); they are sorted first.
        for row in select(
            f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} "
            "{ ?x skos:prefLabel ?l BIND (0 AS ?rank) } UNION "
            "{ ?x rdfs:label|dcterms:title ?l BIND (1 AS ?rank) } } ORDER BY ?x ?rank STR(?l)"
        ):
            found[row["x"].value].append(row["l"])
    return {iri: pick(lits, lang) or curie(iri) for iri, lits in found.items()} | {
        iri: curie(iri) for iri in iris if iri not in found
    }


def preferred(offers: list[str]) -> str | None:
    """The offer the client's Accept prefers (q-values honoured; ties go to the first offer)."""
    if not request.accept_mimetypes:
        return offers[0]
    return request.accept_mimetypes.best_match(offers)


def workbench_link(query: str) -> str:
    """A shareable link that opens ``query`` in the workbench (the URL holds the state)."""
    return "/sparql?" + urlencode({"query": query}, quote_via=quote)


def page(template: str, status: int = 200, **context) -> Response:
    lang = context.pop("lang", None) or current_lang()
    here = request.path
    args = {k: v for k, v in request.args.items() if k != "lang"}

    def switch(to: str) -> str:
        return here + "?" + urlencode({**args, "lang": to})

    response = Response(
        render_template(template, lang=lang, t=UI[lang], switch=switch, href=href, **context),
        status=status,
        mimetype=HTML,
    )
    if "lang" not in request.args:
        response.vary.add("Accept-Language")
    return response


def not_found() -> Response:
    """The 404 page, with a search box holding the last part of the path (a guessed name)."""
    from kg.web.site.search_text import search_text

    return page("404.html", status=404, search_words=search_text(current_lang()))


def see_other(path: str, suffix: str | None) -> Response:
    """303 See Other to the page (``path.html?lang=``, ``suffix`` None) or to the document
    ``path.suffix`` that content negotiation chose; ``Vary`` names the headers the choice read."""
    target = f"{path}.html?lang={current_lang()}" if suffix is None else f"{path}.{suffix}"
    response = redirect(target, code=303)
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response
