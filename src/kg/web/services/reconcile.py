"""``/reconcile``: the W3C Reconciliation Service API 0.2, as OpenRefine speaks it.

* ``GET /reconcile`` answers the service manifest (JSONP with ``?callback=``);
* ``GET`` or ``POST /reconcile`` with ``queries`` (a JSON batch; a form field on POST) answers
  one result list per query, scored as :mod:`kg.web.services.reconcile_match` explains;
* ``/reconcile/preview?id=`` is the small HTML card OpenRefine shows in an iframe;
* ``/reconcile/suggest/{entity,type,property}?prefix=`` are the suggest services that complete
  names in OpenRefine's dialogs (a property's name matches anywhere in it: ``kod`` finds
  "kommunkod");
* ``/reconcile/propose_properties?type=`` and ``extend={…}`` are data extension
  (:mod:`kg.web.services.reconcile_extend`): county, code, editions, coordinates, Wikipedia, posts.

A candidate's description tells namesakes apart: a municipality's county and code, a
person's posts and organisations.

Identifiers are paths under ``https://w3id.org/digikommun/id/`` (``municipality/lidingo``);
types and properties are our ontology's IRIs. A batch that breaks the specification gets a
400 with a one-line JSON reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask import Blueprint, Response, render_template, request

from kg.web.endpoint.page_http import add_cors
from kg.web.services.reconcile_cost import BatchRefusedError, batch_budget
from kg.web.services.reconcile_extend import EXTENSIONS, extend, parse_extend, proposals
from kg.web.services.reconcile_match import (
    ID_SPACE,
    IN_COUNTY,
    PROPERTIES,
    TYPES,
    BadBatchError,
    Candidate,
    Matcher,
    expand_type,
    parse_batch,
)
from kg.web.services.search import public_base, search_index
from kg.web.services.search_lookup import SearchIndexMissingError, tokens
from kg.web.site.rendering import engine, href

reconcile = Blueprint("reconcile", __name__)

JSON = "application/json"
#: A JSONP callback is a JavaScript name (with dots), nothing that could run code of its own;
#: matched in full (``$`` would let a trailing newline through).
CALLBACK = re.compile(r"[A-Za-z_$][0-9A-Za-z_$.]{0,63}")
PREVIEW_SIZE = (420, 160)
SUGGEST_LIMIT = 10


def answer(body: object, status: int = 200) -> Response:
    """JSON, or JSONP when a valid ``callback`` is given; CORS-open like the endpoint."""
    callback = request.values.get("callback")
    text = json.dumps(body, ensure_ascii=False)
    if callback and status == 200 and CALLBACK.fullmatch(callback):
        response = Response(f"{callback}({text});", mimetype="application/javascript")
    else:
        response = Response(text, status=status, mimetype=JSON)
    response.headers["Cache-Control"] = "no-store" if status != 200 else "public, max-age=300"
    return add_cors(response)


def bad(reason: str, status: int = 400) -> Response:
    return answer({"error": reason}, status)


def lang() -> str:
    """Names in Swedish by default (the data's language, and what a Swedish spreadsheet
    holds); ``?lang=en`` on the service URL for English names and descriptions."""
    return "en" if request.values.get("lang") == "en" else "sv"


def class_names(language: str) -> dict[str, str]:
    """Every class of the ontology with its label in ``language``."""
    return {
        cls: sv if language == "sv" else en
        for cls, sv, en in search_index().rows("SELECT class, label_sv, label_en FROM classes")
    }


def type_names(language: str) -> dict[str, str]:
    """The four types offered for reconciliation, with their labels."""
    names = class_names(language)
    return {t: names.get(t, t.rsplit("#", 1)[-1]) for t in TYPES}


def term_names(iris: list[str], language: str) -> dict[str, str]:
    marks = ",".join("?" * len(iris))
    rows = search_index().rows(
        f"SELECT iri, name_sv, name_en FROM things WHERE iri IN ({marks})",  # noqa: S608
        iris,
    )
    found = {iri: sv if language == "sv" else en for iri, sv, en in rows}
    return {iri: found.get(iri, iri.rsplit("#", 1)[-1]) for iri in iris}


def manifest() -> dict:
    base = public_base()
    language = lang()
    suffix = "?lang=en" if language == "en" else ""
    names = type_names(language)
    return {
        "versions": ["0.2"],
        "name": "Sveriges DigitaliseringsKommun KG" + (" (sv)" if language == "sv" else " (en)"),
        "identifierSpace": ID_SPACE,
        "schemaSpace": str(TYPES[0]).rsplit("#", 1)[0] + "#",
        "documentation": f"{base}/search{suffix}",
        "view": {"url": base + "/id/{{id}}"},
        "preview": {
            "url": base + "/reconcile/preview?id={{id}}" + (f"&lang={language}"),
            "width": PREVIEW_SIZE[0],
            "height": PREVIEW_SIZE[1],
        },
        "defaultTypes": [{"id": t, "name": names[t]} for t in TYPES],
        "suggest": {
            kind: {"service_url": base, "service_path": f"/reconcile/suggest/{kind}{suffix}"}
            for kind in ("entity", "type", "property")
        },
        "extend": {
            "propose_properties": {
                "service_url": base,
                "service_path": f"/reconcile/propose_properties{suffix}",
            },
            "property_settings": [],
        },
    }


def describe(candidate: Candidate, language: str, names: dict[str, str]) -> str:
    """A line that tells namesakes apart: the kind, its county and codes, or its description."""
    parts = []
    county = min(candidate.facts.get(IN_COUNTY, ()), default=None)
    if county:
        parts.append(names.get(county, county))
    for prop in PROPERTIES:
        if prop != IN_COUNTY:
            parts += sorted(candidate.facts.get(prop, ()))
    if candidate.kind == "person":
        parts += person_posts(candidate.iri, language)
    if not parts and candidate.description[language]:
        text = candidate.description[language] or ""
        parts.append(text if len(text) <= 140 else text[:139] + "…")
    return " · ".join(parts)


def person_posts(iri: str, language: str) -> list[str]:
    """A person's posts as "title, organisation" (each once), from the graph."""
    rows = (
        engine()
        .query(
            "SELECT DISTINCT ?title ?org WHERE { VALUES ?who { <" + iri + "> } "
            "?p org:heldBy ?who ; dk:postTitle ?t ; org:postIn ?o . ?o skos:prefLabel ?org "
            f'FILTER (LANG(?org) = "{language}") '
            f'FILTER (LANG(?t) = "{language}" || LANG(?t) = "sv") '
            "BIND (STR(?t) AS ?title) } ORDER BY ?title ?org"
        )
        .rows
    )
    return list(dict.fromkeys(f"{row['title'].value}, {row['org'].value}" for row in rows))


def result(candidates: list[Candidate], language: str) -> list[dict]:
    types = type_names(language)
    counties = sorted({c for cand in candidates for c in cand.facts.get(IN_COUNTY, ())})
    county_names = names_by_iri(counties, language)
    out = []
    for c in candidates:
        features = []
        if c.similarity is not None:
            features.append({"id": "name_similarity", "value": round(c.similarity, 3)})
        if c.agreement is not None:
            features.append({"id": "property_agreement", "value": round(c.agreement, 3)})
        own = [t for t in TYPES if t in c.types]
        out.append(
            {
                "id": c.iri[len(ID_SPACE) :],
                "name": c.shown[language],
                "description": describe(c, language, county_names),
                "score": c.score,
                "match": c.match,
                "type": [{"id": t, "name": types[t]} for t in own],
                "features": features,
            }
        )
    return out


def names_by_iri(iris: list[str], language: str) -> dict[str, str]:
    if not iris:
        return {}
    marks = ",".join("?" * len(iris))
    column = "name_sv" if language == "sv" else "name_en"
    return dict(
        search_index().rows(
            f"SELECT iri, {column} FROM things WHERE iri IN ({marks})",  # noqa: S608
            iris,
        )
    )


@reconcile.before_request
def refuse_bad_callback() -> Response | None:
    """Every route of the blueprint accepts ``callback`` (issue 23: the suggest services echoed
    any): one that is not a JavaScript name is a 400 before any route runs."""
    callback = request.values.get("callback")
    if callback is not None and not CALLBACK.fullmatch(callback):
        return bad("callback must be a JavaScript name such as jsonp123")
    return None


@reconcile.route("/reconcile", methods=["GET", "POST"])
def service() -> Response:
    try:
        search_index()
    except SearchIndexMissingError as error:
        return bad(f"Reconciliation is not available: {error}.", 503)
    raw = request.values.get("queries")
    wanted = request.values.get("extend")
    if raw is None and wanted is not None:
        try:
            ids, properties = parse_extend(wanted)
        except BadBatchError as error:
            return bad(str(error))
        return within_budget(
            lambda _check: extend(engine(), ids, properties, lang(), class_names(lang()))
        )
    if raw is None:
        if request.method == "POST":
            return bad("POST a form field queries (or extend) holding a JSON batch")
        return answer(manifest())
    try:
        batch = parse_batch(raw)
    except BadBatchError as error:
        return bad(str(error))
    matcher = Matcher(search_index())
    language = lang()

    def reconcile_all(check: Callable[[], None]) -> dict:
        results = {}
        for key, query in batch.items():
            check()
            results[key] = {"result": result(matcher.reconcile(query), language)}
        return results

    return within_budget(reconcile_all)


def within_budget(work: Callable[[Callable[[], None]], dict]) -> Response:
    """Run a batch (matching or extension) holding one slot of the server's busy limit and
    stopped at the query timeout, so no batch costs the server more than one query may."""
    try:
        with batch_budget() as check:
            return answer(work(check))
    except BatchRefusedError as refused:
        response = bad(str(refused), 503)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response


@reconcile.get("/reconcile/preview")
def preview() -> Response:
    """A card for OpenRefine's iframe: name, kind, codes, description, a link to the page."""
    identifier = request.args.get("id", "")
    language = lang()
    if not re.fullmatch(r"[a-z0-9-]+/[a-z0-9.-]+", identifier):
        return Response("Give an id such as municipality/lidingo.\n", 400, mimetype="text/plain")
    index = search_index()
    rows = index.rows(
        "SELECT id FROM things WHERE iri = ? AND kind != 'term'", (ID_SPACE + identifier,)
    )
    if not rows:
        return Response("No such thing.\n", 404, mimetype="text/plain")
    candidate = Matcher(index)._load([rows[0][0]])[0]
    counties = names_by_iri(sorted(candidate.facts.get(IN_COUNTY, ())), language)
    body = render_template(
        "reconcile_preview.html",
        lang=language,
        name=candidate.shown[language],
        kind=type_names(language).get(next((t for t in TYPES if t in candidate.types), ""), ""),
        line=describe(candidate, language, counties),
        description=candidate.description[language],
        link=href(candidate.iri, language),
        size=PREVIEW_SIZE,
    )
    response = Response(body, mimetype="text/html")
    # OpenRefine shows the card in an iframe on its own origin: this page (only) may be framed.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; frame-ancestors *; base-uri 'none'"
    )
    return response


@reconcile.get("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    prefix = request.args.get("prefix", "")
    if not tokens(prefix):
        return bad("Give a prefix to complete: /reconcile/suggest/entity?prefix=…")
    language = lang()
    wanted = request.args.get("type")
    index = search_index()
    hits = [h for h in index.search(prefix[:200], limit=200) if h.kind != "term"]
    if wanted:
        typed = {
            thing
            for (thing,) in index.rows(
                "SELECT thing FROM types WHERE class = ?", (expand_type(wanted),)
            )
        }
        hits = [h for h in hits if h.id in typed]
    types = class_names(language)
    kinds = dict(index.rows("SELECT kind, class FROM kinds"))
    return answer(
        {
            "result": [
                {
                    "id": h.iri[len(ID_SPACE) :],
                    "name": h.name(language),
                    "description": h.description(language) or "",
                    "notable": [{"id": kinds[h.kind], "name": types.get(kinds[h.kind], h.kind)}]
                    if kinds.get(h.kind)
                    else [],
                }
                for h in hits[:SUGGEST_LIMIT]
            ]
        }
    )


def _suggest_fixed(options: dict[str, str]) -> Response:
    """The options whose name or local name holds the typed text anywhere ("kod" finds
    "kommunkod"), those that begin with it first."""
    prefix = " ".join(tokens(request.args.get("prefix", "")))
    found = []
    for iri, name in options.items():
        texts = (" ".join(tokens(name)), iri.rsplit("#")[-1].rsplit("/")[-1].lower())
        if any(prefix in text for text in texts):
            starts = any(text.startswith(prefix) for text in texts)
            found.append((not starts, name, {"id": iri, "name": name}))
    return answer({"result": [entry for *_, entry in sorted(found, key=lambda f: f[:2])]})


@reconcile.get("/reconcile/propose_properties")
def propose_properties() -> Response:
    """The properties data extension offers for a type (W3C Reconciliation API 0.2)."""
    limit = request.args.get("limit")
    if limit is not None and not (limit.isdigit() and 0 < int(limit) <= 100):
        return bad("limit must be a whole number from 1 to 100")
    return answer(proposals(request.args.get("type"), lang(), int(limit) if limit else None))


@reconcile.get("/reconcile/suggest/type")
def suggest_type() -> Response:
    return _suggest_fixed(type_names(lang()))


@reconcile.get("/reconcile/suggest/property")
def suggest_property() -> Response:
    """The properties a query may compare, and the ones data extension adds."""
    options = term_names(list(PROPERTIES), lang())
    options.update({e.id: e.name(lang()) for e in EXTENSIONS if e.id not in options})
    return _suggest_fixed(options)
