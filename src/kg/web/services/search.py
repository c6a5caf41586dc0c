"""``/search?q=``: find things by name, quote or description, as HTML or JSON.

Answers come from the build's full-text index (:mod:`kg.web.services.search_lookup`), never from a
scan of the graph. Results are grouped by kind (municipality, person, statement …), each with
a snippet whose matches are marked: the snippet is HTML-escaped first and only then are the
index's own markers turned into ``<mark>``, so no text from the data can become markup.
``/opensearch.xml`` lets a browser add the search as one of its engines.

A search that finds nothing says what the graph holds (the index's count of each kind, with
links to the lists), the query with its unknown words replaced by the closest words of names
("did you mean") and the things those words name. ``/search/suggest?q=`` answers the search
box's type-ahead from the same index, as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, current_app, request
from markupsafe import Markup
from markupsafe import escape as html_escape

from kg.store.base import read_manifest
from kg.web.services.search_lookup import (
    CLOSE,
    MAX_QUERY_CHARS,
    OPEN,
    Hit,
    SearchIndex,
    SearchIndexMissingError,
    term_text,
    terms,
)
from kg.web.site.lists import list_files
from kg.web.site.rendering import current_lang, href, page
from kg.web.site.search_text import search_text

search = Blueprint("search", __name__)

JSON = "application/json"
HTML = "text/html"
OPENSEARCH = "application/opensearchdescription+xml"
#: Results per request; the index answers more, but nobody reads past this.
MAX_RESULTS = 100
#: Type-ahead suggestions per keystroke.
MAX_SUGGESTIONS = 8
#: Names for kinds without a class of their own.
EXTRA_KINDS = {
    "term": {"sv": "ontologiterm", "en": "ontology term"},
    "document": {"sv": "dokument", "en": "document"},
}


@search.record_once
def _open_index(state) -> None:
    """Open the index with the app, as the engine is: a worker serves one build until reload."""
    app = state.app
    settings = app.config["KG_SETTINGS"]
    try:
        manifest = read_manifest(settings.manifest)
        name = manifest.get("search_index", {}).get("file")
        if not name:
            raise SearchIndexMissingError("the build has no search index: run `kg build` again")
        app.extensions["kg_search"] = SearchIndex(settings.build_dir / name)
    except (OSError, ValueError, SearchIndexMissingError) as error:
        app.extensions["kg_search"] = SearchIndexMissingError(str(error))


@search.app_context_processor
def _search_words() -> dict:
    """The search box on every page reads its words (hint, listbox name) from here."""
    return {"search_words_for": search_text}


def search_index() -> SearchIndex:
    """The app's index; raises :class:`SearchIndexMissingError` when the build has none."""
    found = current_app.extensions.get("kg_search")
    if isinstance(found, SearchIndex):
        return found
    raise (
        found
        if isinstance(found, SearchIndexMissingError)
        else SearchIndexMissingError("no search index")
    )


def marked(snippet: str) -> Markup:
    """The snippet as safe HTML: escaped, then the index's markers become ``<mark>``."""
    escaped = str(html_escape(snippet))
    return Markup(escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))  # noqa: S704 - escaped


def plain(snippet: str) -> str:
    return snippet.replace(OPEN, "").replace(CLOSE, "")


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit]


def kind_label(kind: str, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """A kind's name in ``lang``, from its class's label (``municipality`` → kommun)."""
    names = EXTRA_KINDS.get(kind) or labels.get(kind) or {}
    return names.get(lang, kind)


def grouped(hits: list[Hit], lang: str, labels: dict[str, dict[str, str]]) -> list[Group]:
    """Hits grouped by kind, groups in the order of their best hit."""
    groups: dict[str, Group] = {}
    for hit in hits:
        if hit.kind not in groups:
            groups[hit.kind] = Group(hit.kind, kind_label(hit.kind, lang, labels), [])
        groups[hit.kind].hits.append(hit)
    return list(groups.values())


def wanted_format() -> str | None:
    """``?format=json|html`` wins; otherwise the Accept header (HTML when it says nothing)."""
    asked = request.args.get("format", "").lower()
    if asked in ("json", JSON):
        return JSON
    if asked in ("html", HTML):
        return HTML
    if not request.accept_mimetypes:
        return HTML
    return request.accept_mimetypes.best_match([HTML, JSON])


def refuse(status: int, reason: str, fmt: str | None, **context) -> Response:
    """A 4xx/5xx with one sentence: JSON for programs, the search page (with the reason) for
    people, plain text when neither was asked for."""
    if fmt == JSON:
        response = Response(json.dumps({"error": reason}), status=status, mimetype=JSON)
    elif fmt == HTML:
        response = page(
            "search.html",
            status=status,
            error=reason,
            groups=[],
            st=search_text(current_lang()),
            **context,
        )
    else:
        response = Response(reason + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return response


@search.get("/search")
def search_page() -> Response:
    fmt = wanted_format()
    lang = current_lang()
    q = request.args.get("q", "")
    kind = request.args.get("kind", "")
    context = {"q": q, "kind": kind, "lang": lang}
    if fmt is None:
        return refuse(406, "Not acceptable: ask for text/html or application/json.", None)
    if len(q) > MAX_QUERY_CHARS:
        return refuse(
            400, f"The query is longer than {MAX_QUERY_CHARS} characters.", fmt, **context
        )
    try:
        index = search_index()
    except SearchIndexMissingError as error:
        return refuse(503, f"Search is not available: {error}.", fmt, **context)
    labels = index.kind_labels()
    if kind and kind not in labels:
        reason = f"Unknown kind {kind!r}; known kinds: {', '.join(sorted(labels))}."
        return refuse(400, reason, fmt, **context)
    words = [term_text(term) for term in terms(q)]
    if not words:
        if fmt == JSON:
            return refuse(
                400, "Give a query with at least one word of two or more letters: /search?q=…", fmt
            )
        return finish(
            page("search.html", groups=[], count=0, words=[], st=search_text(lang), **context)
        )
    hits = index.search(q, kind=kind or None, limit=MAX_RESULTS, lang=lang)
    groups = grouped(hits, lang, labels)
    help_ = nothing_found_help(index, q, lang, labels) if not hits else {}
    position = {id(h): number for number, h in enumerate(hits, start=1)}  # the overall order
    if fmt == JSON:
        body = {
            "query": q,
            "words": words,
            "lang": lang,
            "count": len(hits),
            **({"help": help_} if help_ else {}),
            "groups": [
                {
                    "kind": g.kind,
                    "label": g.label,
                    "count": len(g.hits),
                    "results": [
                        {
                            "id": h.iri,
                            "name": h.name(lang),
                            "url": href(h.iri, lang),
                            "description": h.description(lang),
                            "snippet": plain(h.snippet),
                            "snippet_html": str(marked(h.snippet)),
                            "rank": position[id(h)],
                        }
                        for h in g.hits
                    ],
                }
                for g in groups
            ],
        }
        return finish(Response(json.dumps(body, ensure_ascii=False), mimetype=JSON))
    return finish(
        page(
            "search.html",
            groups=groups,
            count=len(hits),
            words=words,
            marked=marked,
            help=help_,
            st=search_text(lang),
            **context,
        )
    )


def nothing_found_help(
    index: SearchIndex, q: str, lang: str, labels: dict[str, dict[str, str]]
) -> dict:
    """What to offer when a search finds nothing: what the graph covers (each kind's count,
    with its list when it has one), the query with close words ("did you mean") and the
    things those words name."""
    better, close = index.suggestions(q)
    lists = list_files()
    return {
        "did_you_mean": better,
        "did_you_mean_url": f"/search?{urlencode({'q': better, 'lang': lang})}" if better else None,
        "close": [{"id": h.iri, "name": h.name(lang), "url": href(h.iri, lang)} for h in close],
        "covers": [
            {
                "kind": kind,
                "label": kind_label(kind, lang, labels),
                "count": count,
                "list": f"/id/{kind}/?lang={lang}" if kind in lists else None,
            }
            for kind, count in index.kind_counts()
        ],
    }


@search.get("/search/suggest")
def suggest() -> Response:
    """Type-ahead for the search box: the best few things for what has been typed so far,
    from the same index and ranking as ``/search`` (JSON; an empty list for no word yet)."""
    lang = current_lang()
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        return refuse(400, f"The query is longer than {MAX_QUERY_CHARS} characters.", JSON)
    try:
        index = search_index()
    except SearchIndexMissingError as error:
        return refuse(503, f"Search is not available: {error}.", JSON)
    labels = index.kind_labels()
    hits = index.search(q, limit=MAX_SUGGESTIONS, lang=lang) if terms(q) else []
    body = {
        "query": q,
        "suggestions": [
            {
                "id": h.iri,
                "name": h.name(lang),
                "kind": h.kind,
                "kind_label": kind_label(h.kind, lang, labels),
                "url": href(h.iri, lang),
            }
            for h in hits
        ],
    }
    return finish(Response(json.dumps(body, ensure_ascii=False), mimetype=JSON))


def finish(response: Response) -> Response:
    """Answers change only with a new build, and differ by Accept (and language)."""
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.add("Accept")
    if "lang" not in request.args:
        response.vary.add("Accept-Language")
    return response


def public_base() -> str:
    settings = current_app.config["KG_SETTINGS"]
    return (settings.public_url or request.host_url).rstrip("/")


@search.get("/opensearch.xml")
def opensearch() -> Response:
    """An OpenSearch 1.1 description: browsers offer to add the site's search from it."""
    base = public_base()
    lang = current_lang()
    html_url = quoteattr(f"{base}/search?q={{searchTerms}}&lang={lang}")
    json_url = quoteattr(f"{base}/search?q={{searchTerms}}&format=json&lang={lang}")
    description = (
        "Sök kommuner, personer, citat och mer i kunskapsgrafen om Sveriges DigitaliseringsKommun"
        if lang == "sv"
        else "Search municipalities, people, quotes and more in the Sveriges "
        "DigitaliseringsKommun knowledge graph"
    )
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>DigitaliseringsKommun KG</ShortName>
  <Description>{escape(description)}</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <Language>{lang}</Language>
  <Url type="text/html" method="get" template={html_url}/>
  <Url type="application/json" method="get" template={json_url}/>
  <Url type="{OPENSEARCH}" rel="self" template={quoteattr(base + "/opensearch.xml")}/>
</OpenSearchDescription>
"""
    response = Response(body, mimetype=OPENSEARCH)
    response.mimetype_params["charset"] = "utf-8"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
