"""The linked-data website: dereferenceable IRIs, entity and source pages, home and examples.

Every IRI under ``https://w3id.org/digikommun/id/`` answers here on the local host too: the
server maps its own host onto the base, so ``/id/municipality/lidingo`` is the thing, its
``.html`` page is for people and its ``.ttl``/``.jsonld``/``.nt``/``.rdf`` documents are for
machines (DESIGN.md, Identifiers). Pages only ask the engine; they never read Turtle files.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from rdflib import Graph

from kg.namespaces import BASE, INFERRED_GRAPH, ONTOLOGY_IRI, PREFIXES
from kg.store import Bindings, Term, Triples
from kg.web.ontology_docs import render_terms

pages = Blueprint("pages", __name__)

LANGS = ("sv", "en")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DK = BASE + "ontology#"
SLUG = re.compile(r"^[a-z0-9][a-z0-9.-]*$")

#: Suffix → (media type, rdflib format). The order is the order of the links on pages.
RDF_FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}
HTML = "text/html"

#: Interface strings; data labels come from the graph in the same language.
UI: dict[str, dict[str, str]] = {
    "sv": {
        "home": "Start",
        "workbench": "Frågebänk",
        "examples": "Exempelfrågor",
        "pictures": "Bilder",
        "map": "Karta",
        "downloads": "Nedladdning",
        "catalog": "Metadata (DCAT-AP-SE)",
        "ontology": "Ontologi",
        "types": "Typer",
        "outgoing": "Uppgifter",
        "incoming": "Länkar hit",
        "property": "Egenskap",
        "value": "Värde",
        "from": "Källa",
        "inferred": "härledd",
        "inferred_note": "Härledda uppgifter kommer från OWL 2 RL-resonemang (graph/inferred), "
        "inte direkt från en text.",
        "quote": "Citat",
        "translation": "Översättning",
        "in_context": "Läs citatet i sitt sammanhang",
        "rdf_forms": "Som RDF",
        "open_workbench": "Öppna i frågebänken",
        "provenance": "Ursprung",
        "not_found": "Hittades inte",
        "not_found_text": "Det finns ingen sådan resurs i grafen.",
        "source_text": "Källtexten",
        "source_facts": "Uppgifter som hämtats ur texten",
        "passages": "Markerade stycken är citat; klicka för att se uppgiften.",
        "language": "Språk",
    },
    "en": {
        "home": "Home",
        "workbench": "Query workbench",
        "examples": "Example queries",
        "pictures": "Pictures",
        "map": "Map",
        "downloads": "Downloads",
        "catalog": "Metadata (DCAT-AP-SE)",
        "ontology": "Ontology",
        "types": "Types",
        "outgoing": "Facts",
        "incoming": "Links to here",
        "property": "Property",
        "value": "Value",
        "from": "Source",
        "inferred": "inferred",
        "inferred_note": "Inferred facts come from OWL 2 RL reasoning (graph/inferred), "
        "not directly from a text.",
        "quote": "Quote",
        "translation": "Translation",
        "in_context": "Read the quote in its context",
        "rdf_forms": "As RDF",
        "open_workbench": "Open in the query workbench",
        "provenance": "Provenance",
        "not_found": "Not found",
        "not_found_text": "There is no such resource in the graph.",
        "source_text": "The source text",
        "source_facts": "Facts taken from this text",
        "passages": "Highlighted passages are quotes; click one to see its fact.",
        "language": "Language",
    },
}


# ---------------------------------------------------------------------------
# Small helpers the other website modules share
# ---------------------------------------------------------------------------


def engine():
    return current_app.extensions["kg_engine"]


def select(sparql: str) -> list[dict[str, Term]]:
    """Rows of a SELECT; the pages only ever ask fixed, bounded queries."""
    result = engine().query(sparql)
    assert isinstance(result, Bindings), sparql
    return result.rows


def iri_ref(iri: str) -> str:
    """``<iri>`` for a query, refusing characters that could break out of the IRI."""
    if re.search(r"[\s<>\"{}|\\^`]", iri):
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
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def curie(iri: str) -> str:
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
    iris = {i for i in iris if not re.search(r"[\s<>\"{}|\\^`]", i)}
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


def graph_of(triples: Triples) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    for s, p, o in triples.triples:
        g.add((s.to_rdflib(), p.to_rdflib(), o.to_rdflib()))
    return g


def rdf_response(g: Graph, suffix: str, negotiated: bool = False) -> Response:
    media, fmt = RDF_FORMATS[suffix]
    if fmt == "json-ld":
        body = g.serialize(format=fmt, context=dict(PREFIXES), auto_compact=True)
    else:
        body = g.serialize(format=fmt)
    response = Response(body, mimetype=media)
    if media.startswith("text/"):
        response.mimetype_params["charset"] = "utf-8"
    if negotiated:
        response.vary.add("Accept")
    return response


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


# ---------------------------------------------------------------------------
# Dereferencing /id/{kind}/{slug}
# ---------------------------------------------------------------------------


def exists(iri: str) -> bool:
    result = engine().query(
        f"ASK {{ {{ {iri_ref(iri)} ?p ?o }} UNION {{ ?s ?q {iri_ref(iri)} }} }}"
    )
    return bool(getattr(result, "value", False))


def describe(iri: str) -> Graph:
    """The RDF document about a thing: its outgoing and incoming triples, the labels of its
    neighbours, and its quote selector, so a client can show it without asking again."""
    ref = iri_ref(iri)
    result = engine().query(
        f"""CONSTRUCT {{ {ref} ?p ?o . ?s ?q {ref} . ?n rdfs:label ?l . ?sel ?sp ?so }}
        WHERE {{
          {{ {ref} ?p ?o }} UNION {{ ?s ?q {ref} }}
          UNION {{ {{ {ref} ?x ?n }} UNION {{ ?n ?y {ref} }} ?n rdfs:label ?l }}
          UNION {{ {ref} dk:textSelector ?sel . ?sel ?sp ?so }}
        }}"""
    )
    assert isinstance(result, Triples)
    return graph_of(result)


def not_found() -> Response:
    return page("404.html", status=404)


@pages.get("/id/<kind>/<path:slug>")
def thing(kind: str, slug: str) -> Response:
    """303 to the form the client wants, or the form itself for a suffix URL."""
    name, dot, suffix = slug.rpartition(".")
    if not dot or suffix not in (*RDF_FORMATS, "html"):
        name, suffix = slug, ""
    if not (SLUG.match(kind) and SLUG.match(name)):
        return not_found()
    iri = f"{BASE}id/{kind}/{name}"
    if not exists(iri):
        return not_found()
    if suffix == "html":
        return entity_page(iri, kind, name)
    if suffix:
        return rdf_response(describe(iri), suffix)
    wanted = preferred([HTML, *(media for media, _ in RDF_FORMATS.values())])
    if wanted is None:
        response = Response("Not acceptable: ask for text/html or an RDF format.\n", 406)
        response.vary.add("Accept")
        return response
    if wanted == HTML:
        target = f"/id/{kind}/{name}.html?lang={current_lang()}"
    else:
        target = f"/id/{kind}/{name}." + next(s for s, (m, _) in RDF_FORMATS.items() if m == wanted)
    response = redirect(target, code=303)
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


@dataclass
class Fact:
    """One row on an entity page: a property and a value, and the graphs that state it."""

    prop: str
    value: Term
    graphs: set[str] = field(default_factory=set)

    @property
    def inferred(self) -> bool:
        return self.graphs == {str(INFERRED_GRAPH)}

    @property
    def sources(self) -> list[str]:
        return sorted(g for g in self.graphs if g != str(INFERRED_GRAPH))


def facts(rows: list[dict[str, Term]], key: str) -> list[Fact]:
    grouped: dict[tuple[str, Term], Fact] = {}
    for row in rows:
        index = (row["p"].value, row[key])
        grouped.setdefault(index, Fact(row["p"].value, row[key])).graphs.add(row["g"].value)
    return list(grouped.values())


def entity_page(iri: str, kind: str, name: str) -> Response:
    lang = current_lang()
    ref = iri_ref(iri)
    out = facts(select(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {ref} ?p ?o }} }}"), "o")
    inc = facts(select(f"SELECT ?p ?s ?g WHERE {{ GRAPH ?g {{ ?s ?p {ref} }} }} LIMIT 2000"), "s")
    iris = {iri} | {f.prop for f in out + inc} | {f.value.value for f in out + inc}
    iris |= {g for f in out + inc for g in f.graphs}
    names = labels({i for i in iris if "://" in i}, lang)

    def values(prop: str) -> list[Term]:
        return [f.value for f in out if f.prop == prop]

    types = [f for f in out if f.prop == RDF_TYPE]
    description = pick(
        values("http://purl.org/dc/terms/description")
        or values("http://www.w3.org/2004/02/skos/core#definition")
        or values("http://www.w3.org/2000/01/rdf-schema#comment"),
        lang,
    )
    quote_box = None
    if values(DK + "quote"):
        quote_box = statement_box(iri, lang)
    rest = [f for f in out if f.prop != RDF_TYPE]
    rest.sort(key=lambda f: (f.inferred, names.get(f.prop, f.prop).lower(), f.value.value))
    inc.sort(key=lambda f: (f.inferred, names.get(f.prop, f.prop).lower(), f.value.value))
    source_text = source_passages(iri) if kind == "source" else None
    query = (
        "SELECT ?property ?value ?graph WHERE {\n"
        f"  GRAPH ?graph {{ {curie_or_ref(iri)} ?property ?value }}\n}}"
    )
    return page(
        "entity.html",
        lang=lang,
        iri=iri,
        title=names.get(iri, name),
        names=names,
        types=types,
        description=description,
        facts=rest,
        incoming=inc,
        quote=quote_box,
        source_text=source_text,
        rdf_links=[(s, f"/id/{kind}/{name}.{s}") for s in RDF_FORMATS],
        workbench=workbench_link(query),
        inferred_graph=str(INFERRED_GRAPH),
        curie=curie,
    )


def curie_or_ref(iri: str) -> str:
    short = curie(iri)
    return short if short != iri and re.fullmatch(r"[a-z]+:[A-Za-z0-9_-]+", short) else f"<{iri}>"


def statement_box(iri: str, lang: str) -> dict | None:
    rows = select(
        f"""SELECT ?quote ?translation ?source ?sel WHERE {{
          {iri_ref(iri)} dk:quote ?quote .
          OPTIONAL {{ {iri_ref(iri)} dk:translation ?translation }}
          OPTIONAL {{ {iri_ref(iri)} dk:quotedFrom ?source }}
          OPTIONAL {{ {iri_ref(iri)} dk:textSelector ?sel }}
        }} LIMIT 1"""
    )
    if not rows:
        return None
    row = rows[0]
    context = None
    if "source" in row:
        context = href(row["source"].value, lang)
        if "sel" in row:
            context += "#" + anchor(row["sel"].value)
    return {
        "quote": row["quote"].value,
        "translation": row["translation"].value if "translation" in row else None,
        "context": context,
    }


def anchor(selector_iri: str) -> str:
    return "q-" + selector_iri.rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------
# Source texts with their quoted passages highlighted
# ---------------------------------------------------------------------------


@dataclass
class Segment:
    text: str
    link: str | None = None
    anchor: str | None = None
    extra: list[str] = field(default_factory=list)


def source_passages(source_iri: str) -> dict | None:
    """The verbatim text split into plain runs and quoted passages, each passage linked to the
    statement (or question) whose ``oa:TextQuoteSelector`` points at it."""
    rows = select(f"SELECT ?file WHERE {{ {iri_ref(source_iri)} dk:sourceFile ?file }} LIMIT 1")
    if not rows:
        return None
    settings = current_app.config["KG_SETTINGS"]
    folder = (Path(settings.root) / "data" / "sources").resolve()
    path = (Path(settings.root) / rows[0]["file"].value).resolve()
    if path.parent != folder or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    passages = []
    for row in select(
        f"""SELECT ?thing ?sel ?exact ?prefix ?suffix WHERE {{
          ?thing dk:quotedFrom {iri_ref(source_iri)} ; dk:textSelector ?sel .
          ?sel oa:exact ?exact .
          OPTIONAL {{ ?sel oa:prefix ?prefix }} OPTIONAL {{ ?sel oa:suffix ?suffix }}
        }}"""
    ):
        prefix = row["prefix"].value if "prefix" in row else ""
        suffix = row["suffix"].value if "suffix" in row else ""
        exact = row["exact"].value
        at = text.find(prefix + exact + suffix)
        start = at + len(prefix) if at >= 0 else text.find(exact)
        if start >= 0:
            passages.append((start, start + len(exact), row["thing"].value, row["sel"].value))
    passages.sort()
    segments: list[Segment] = []
    cursor = 0
    lang = current_lang()
    for start, end, thing_iri, sel in passages:
        link = href(thing_iri, lang)
        if start < cursor:  # overlapping passage: mark its start inside the previous one
            if segments:
                segments[-1].extra.append(anchor(sel))
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], link=link, anchor=anchor(sel)))
        cursor = end
    segments.append(Segment(text[cursor:]))
    return {"segments": segments, "count": len(passages), "file": rows[0]["file"].value}


# ---------------------------------------------------------------------------
# The ontology and its versions
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


def ontology_html() -> Response:
    """The terms with labels, definitions and alignments, inside the site's page."""
    graph = ontology_graph("ontology") + ontology_graph("alignments")
    return page(
        "ontology.html",
        lang=current_lang(),
        terms=render_terms(graph),
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
        suffix = next(s for s, (m, _) in RDF_FORMATS.items() if m == wanted)
        response = rdf_response(ontology_graph(graph), suffix)
    response.vary.add("Accept")
    return response


@pages.get("/ontology")
@pages.get("/ontology.<suffix>")
def ontology_page(suffix: str | None = None) -> Response:
    """The ontology at its own IRI (a hash namespace, so no 303: terms are fragments)."""
    if suffix is not None and suffix not in RDF_FORMATS:
        return not_found()
    return ontology_document("ontology", suffix)


@pages.get("/ontology/<path:rest>")
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


# ---------------------------------------------------------------------------
# Home, examples, workbench
# ---------------------------------------------------------------------------


@dataclass
class Example:
    slug: str
    title: str
    description: str
    expected: str
    text: str

    @property
    def link(self) -> str:
        return workbench_link(self.text)


def load_examples(folder: Path) -> list[Example]:
    """The example queries under ``queries/``: a ``# title:``/``# description:``/``# expected:``
    header, then the query. Kept as files so tests can run every one of them."""
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            match = re.match(r"#\s*(title|description|expected):\s*(.*)", line)
            if match:
                header[match.group(1)] = match.group(2).strip()
        examples.append(
            Example(
                path.stem,
                header.get("title", path.stem),
                header.get("description", ""),
                header.get("expected", ""),
                text,
            )
        )
    return examples


def examples() -> list[Example]:
    return load_examples(Path(current_app.config["KG_SETTINGS"].root) / "queries")


def overview(lang: str) -> dict:
    """What the graph holds, for a newcomer: things per class, facts per source, editions."""
    classes = select(
        """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
          ?s a ?class . ?class rdfs:isDefinedBy <https://w3id.org/digikommun/ontology> .
          FILTER (isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/digikommun/id/"))
        } GROUP BY ?class ORDER BY DESC(?n)"""
    )
    sources = select(
        """SELECT ?source ?title ?issued ?file WHERE {
          ?source a dk:SourceDocument ; dk:sourceFile ?file .
          OPTIONAL { ?source dcterms:title ?title }
          OPTIONAL { ?source dcterms:issued ?issued }
        } ORDER BY ?file"""
    )
    editions = select(
        """PREFIX award: <https://w3id.org/digikommun/id/award/>
        SELECT ?edition ?year (GROUP_CONCAT(DISTINCT ?winnerName; separator=", ") AS ?winner)
        WHERE {
          ?edition dk:editionOf award:sveriges-digitaliseringskommun ; dk:year ?year .
          OPTIONAL { ?n dk:forEdition ?edition ; dk:stage dk:Winner ; dk:nominee ?w .
                     ?w skos:prefLabel ?winnerName FILTER (lang(?winnerName) = "sv") }
        } GROUP BY ?edition ?year ORDER BY ?year"""
    )
    counts = engine().graph_counts()
    names = labels({r["class"].value for r in classes}, lang)
    return {
        "classes": [
            (r["class"].value, names[r["class"].value], int(r["n"].value)) for r in classes
        ],
        "sources": [
            {
                "iri": r["source"].value,
                "title": r["title"].value if "title" in r else r["file"].value,
                "issued": r["issued"].value if "issued" in r else "",
                "triples": counts.get(
                    BASE + "graph/source-" + r["source"].value.rsplit("/", 1)[-1], 0
                ),
            }
            for r in sources
        ],
        "editions": [
            (r["edition"].value, r["year"].value, r["winner"].value if "winner" in r else "")
            for r in editions
        ],
        "graphs": counts,
        "asserted": sum(n for g, n in counts.items() if g != str(INFERRED_GRAPH)),
        "inferred": counts.get(str(INFERRED_GRAPH), 0),
    }


@pages.get("/")
def home() -> Response:
    lang = current_lang()
    return page(
        "home.html",
        lang=lang,
        overview=overview(lang),
        examples=examples()[:4],
        version=engine().version,
    )


@pages.get("/examples")
def examples_page() -> Response:
    return page("examples.html", examples=examples())


@pages.get("/examples.json")
def examples_json() -> Response:
    """The examples for the workbench's picker (a file, so the page needs no inline script)."""
    body = [{"slug": e.slug, "title": e.title, "query": e.text} for e in examples()]
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@pages.get("/prefixes.json")
def prefixes_json() -> Response:
    """Our prefixes in prefix.cc's shape, so YASQE's prefix completion knows them offline."""
    return Response(json.dumps(PREFIXES), mimetype="application/json")


@pages.get("/query")
def workbench() -> Response:
    """YASGUI over ``/sparql``; the protocol's ``/sparql`` GET hands browsers to this view."""
    return page(
        "workbench.html",
        examples=examples(),
        prefixes=json.dumps(PREFIXES),
        endpoint=url_for("protocol.sparql_get")
        if "protocol.sparql_get" in current_app.view_functions
        else "/sparql",
    )


@pages.app_errorhandler(404)
def not_found_anywhere(error) -> Response:
    """A real 404 page for people; a one-line text for programs."""
    if preferred([HTML, "text/plain"]) == HTML and request.accept_mimetypes.accept_html:
        return not_found()
    return Response("Not found.\n", status=404, mimetype="text/plain")
