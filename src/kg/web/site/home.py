"""The front of the website: the home page (what the graph holds), the example queries and
the query workbench that opens them.

The blueprint keeps the name ``pages`` because the protocol hands browsers that GET ``/sparql``
to the view ``pages.workbench`` (``kg.web.endpoint.protocol.WORKBENCH_VIEW``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request, url_for

from kg.namespaces import BASE, INFERRED_GRAPH, PREFIXES
from kg.web.endpoint.query_errors import WORDS as ERROR_WORDS
from kg.web.site.entities.citation import TITLE, cite, release
from kg.web.site.lists import list_for_class
from kg.web.site.rendering import (
    DK,
    HTML,
    LANGS,
    current_lang,
    engine,
    href,
    labels,
    not_found,
    page,
    preferred,
    select,
    workbench_link,
)

pages = Blueprint("pages", __name__)


@dataclass
class Example:
    slug: str
    #: the title per language (``sv``, ``en``), from the file's ``# title: svenska | English``
    titles: dict[str, str]
    description: str
    expected: str
    text: str

    @property
    def link(self) -> str:
        return workbench_link(self.text)

    def title(self, lang: str) -> str:
        """The title in the page's language (a page never mixes two)."""
        return self.titles.get(lang) or self.titles["en"]


def load_examples(folder: Path) -> list[Example]:
    """The example queries under ``queries/``: a ``# title: svensk titel | English title``,
    ``# description:`` and ``# expected:`` header, then the query. Kept as files so tests can
    run every one of them. A title without ``|`` serves both languages."""
    examples = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            match = re.match(r"#\s*(title|description|expected):\s*(.*)", line)
            if match:
                header[match.group(1)] = match.group(2).strip()
        sv, bar, en = header.get("title", path.stem).partition("|")
        examples.append(
            Example(
                path.stem,
                {"sv": sv.strip(), "en": (en if bar else sv).strip()},
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
            (
                list_for_class(r["class"].value) or href(r["class"].value, lang),
                names[r["class"].value],
                int(r["n"].value),
            )
            for r in classes
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


#: What a newcomer looks for, in the order the home page counts it: (kind, class, plural
#: in Swedish, plural in English); the ontology's labels are singular.
COVERED = (
    ("edition", "AwardEdition", "omgångar", "editions"),
    ("municipality", "Municipality", "kommuner", "municipalities"),
    ("nomination", "Nomination", "nomineringar", "nominations"),
    ("person", "Person", "personer", "people"),
    ("initiative", "Initiative", "satsningar", "initiatives"),
    ("statement", "Statement", "citat", "quotes"),
    ("source", "SourceDocument", "källtexter", "source texts"),
)


def winners(lang: str) -> list[dict]:
    """Each edition with its winners, newest first, names in the page language."""
    rows = select(
        """PREFIX award: <https://w3id.org/digikommun/id/award/>
        SELECT ?edition ?year ?winner WHERE {
          ?edition dk:editionOf award:sveriges-digitaliseringskommun ; dk:year ?year .
          OPTIONAL { ?n dk:forEdition ?edition ; dk:stage dk:Winner ; dk:nominee ?winner }
        } ORDER BY DESC(?year)"""
    )
    names = labels({r["winner"].value for r in rows if "winner" in r}, lang)
    found: dict[str, dict] = {}
    for row in rows:
        entry = found.setdefault(
            row["edition"].value,
            {"edition": row["edition"].value, "year": row["year"].value, "winners": []},
        )
        if "winner" in row:
            winner = row["winner"].value
            entry["winners"].append((names.get(winner, winner), href(winner, lang)))
    return list(found.values())


def coverage(lang: str) -> list[tuple[str, str, int]]:
    """How many things of each kind a newcomer looks for: (list link, class name, count)."""
    values = " ".join(f"(dk:{cls})" for _, cls, *_ in COVERED)
    rows = select(
        f"""SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          VALUES (?class) {{ {values} }} ?s a ?class }} GROUP BY ?class"""
    )
    counts = {r["class"].value: int(r["n"].value) for r in rows}
    return [
        (f"/id/{kind}/?lang={lang}", sv if lang == "sv" else en, counts[DK + cls])
        for kind, cls, sv, en in COVERED
        if counts.get(DK + cls)
    ]


@pages.get("/")
def home() -> Response:
    lang = current_lang()
    return page(
        "home.html",
        lang=lang,
        overview=overview(lang),
        winners=winners(lang),
        coverage=coverage(lang),
        examples=examples()[:4],
        version=engine().version,
        release=release(),
    )


def _about(default: str) -> Response:
    """The About page; ``/om`` is Swedish and ``/about`` English unless ``?lang=`` says."""
    asked = request.args.get("lang", "")
    lang = asked if asked in LANGS else default
    return page(
        "about.html",
        lang=lang,
        overview=overview(lang),
        coverage=coverage(lang),
        release=release(),
        citation=cite(BASE, TITLE, lang),
    )


@pages.get("/about")
def about() -> Response:
    return _about("en")


@pages.get("/om")
def om() -> Response:
    return _about("sv")


@pages.get("/cite")
def cite_page() -> Response:
    """How to cite the dataset or one page of it, in the page language."""
    lang = current_lang()
    return page(
        "cite.html",
        lang=lang,
        release=release(),
        citation=cite(BASE, TITLE, lang),
        example=cite(BASE + "id/municipality/lidingo", "Lidingö", lang),
    )


@pages.get("/examples")
def examples_page() -> Response:
    return page("examples.html", examples=examples())


@pages.get("/examples.json")
def examples_json() -> Response:
    """The examples for the workbench's picker (a file, so the page needs no inline script)."""
    body = [
        {"slug": e.slug, "title": e.titles["en"], "titles": e.titles, "query": e.text}
        for e in examples()
    ]
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
        # A shared link's query is in the page itself, readable before the editor loads.
        query=request.args.get("query", ""),
        prefixes=json.dumps(PREFIXES),
        # The editor's own marker speaks with the endpoint's sentences
        # (kg.web.endpoint.query_errors).
        error_words=json.dumps(ERROR_WORDS[current_lang()], ensure_ascii=False),
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
