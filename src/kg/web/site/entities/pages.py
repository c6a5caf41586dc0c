"""Dereferenceable IRIs and the page about each thing: ``/id/{kind}/{slug}``.

Every IRI under ``https://w3id.org/digikommun/id/`` answers here on the local host too: the
server maps its own host onto the base, so ``/id/municipality/lidingo`` is the thing, its
``.html`` page is for people and its ``.ttl``/``.jsonld``/``.nt``/``.rdf`` documents are for
machines (DESIGN.md, Identifiers). Pages only ask the engine; they never read Turtle files.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response
from rdflib import Graph

from kg.namespaces import BASE, INFERRED_GRAPH
from kg.store import Term, Triples
from kg.web.endpoint.rdf_documents import RDF_FORMATS, graph_of, rdf_response, suffix_for
from kg.web.site.entities.citation import cite, release
from kg.web.site.entities.fact_sources import cited_sources
from kg.web.site.entities.fact_table import facts, merge_twins, property_family
from kg.web.site.entities.leads import lead
from kg.web.site.entities.place_map import small_map
from kg.web.site.entities.profiles import profile
from kg.web.site.entities.source_texts import anchor, paragraph_around, source_passages
from kg.web.site.entities.values import language_name, shown
from kg.web.site.entities.vocabulary_names import spelled_out, term_name
from kg.web.site.rendering import (
    DK,
    HTML,
    curie,
    current_lang,
    engine,
    href,
    iri_ref,
    labels,
    not_found,
    page,
    pick,
    preferred,
    see_other,
    select,
    workbench_link,
)

entities = Blueprint("entities", __name__)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SLUG = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


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


@entities.get("/id/<kind>/<path:slug>")
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
    return see_other(f"/id/{kind}/{name}", None if wanted == HTML else suffix_for(wanted))


def entity_page(iri: str, kind: str, name: str) -> Response:
    lang = current_lang()
    ref = iri_ref(iri)
    out = facts(select(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {ref} ?p ?o }} }}"), "o", True)
    inc = facts(
        select(f"SELECT ?p ?s ?g WHERE {{ GRAPH ?g {{ ?s ?p {ref} }} }} LIMIT 2000"), "s", False
    )
    iris = {iri} | {f.prop for f in out + inc} | {f.value.value for f in out + inc}
    iris |= {g for f in out + inc for g in f.graphs}
    terms = {f.prop for f in out + inc} | {f.value.value for f in out if f.prop == RDF_TYPE}
    terms |= {t.prop for f in out + inc for t in f.also}
    names = readable_names({i for i in iris | terms if "://" in i}, terms, lang)

    def values(prop: str) -> list[Term]:
        return [f.value for f in out if f.prop == prop]

    types = [f for f in out if f.prop == RDF_TYPE]
    described = (
        values("http://purl.org/dc/terms/description")
        or values("http://www.w3.org/2004/02/skos/core#definition")
        or values("http://www.w3.org/2000/01/rdf-schema#comment")
    )
    description = pick(described, lang)
    # the language the description is written in, when the data has none in the page's
    description_lang = next(
        (t.lang for t in described if t.value == description and t.lang != lang), None
    )
    quote_box = None
    if values(DK + "quote"):
        quote_box = statement_box(iri, lang)
    rest, inc = merge_twins([f for f in out if f.prop != RDF_TYPE], inc, property_family())
    rest.sort(key=lambda f: (f.inferred, names.get(f.prop, f.prop).lower(), f.value.value))
    inc.sort(key=lambda f: (f.inferred, names.get(f.prop, f.prop).lower(), f.value.value))
    source_text = source_passages(iri) if kind == "source" else None
    sections = profile(kind, iri, lang)
    if kind == "initiative" and any(s.show == "quotes" for s in sections):
        # The sentence that states it leads; the description only paraphrases that sentence.
        sections.sort(key=lambda s: s.show != "quotes")
        description = description_lang = None
    sources = page_sources(out, names, lang)
    cited = cited_sources(iri, rest + inc, lang)
    title = names.get(iri, name)
    contents = [(f"profile-{s.name}", s.title) for s in sections]
    query = (
        "SELECT ?property ?value ?graph WHERE {\n"
        f"  GRAPH ?graph {{ {curie_or_ref(iri)} ?property ?value }}\n}}"
    )
    return page(
        "entity.html",
        lang=lang,
        iri=iri,
        title=title,
        names=names,
        types=types,
        description=description,
        description_lang=description_lang,
        facts=rest,
        incoming=inc,
        quote=quote_box,
        profile=sections,
        contents=contents,
        lead=lead(kind, iri, lang),
        place_map=small_map(kind, iri, lang),
        sources=sources,
        citation=cite(iri, title, lang, release()),
        shown=lambda term: shown(term, names, lang),
        cited=lambda fact: cited.get(id(fact), []),
        language_name=language_name,
        source_text=source_text,
        rdf_links=[(s, f"/id/{kind}/{name}.{s}") for s in RDF_FORMATS],
        workbench=workbench_link(query),
        inferred_graph=str(INFERRED_GRAPH),
        curie=curie,
    )


def readable_names(iris: set[str], terms: set[str], lang: str) -> dict[str, str]:
    """Names for a page's IRIs in ``lang``: the graph's labels, then the outside vocabularies'
    names (``prov:wasDerivedFrom`` → "hämtad ur"), and a record's name from what it records,
    so the fact table never shows a CURIE or a record IRI to a reader."""
    names = labels(iris, lang)
    for iri in terms & set(names):
        if names[iri] in (curie(iri), iri):
            names[iri] = term_name(iri, lang) or spelled_out(iri)
    records = sorted(i for i in iris if i.startswith(BASE + "id/record/") and names[i] == curie(i))
    if records:
        values = " ".join(iri_ref(r) for r in records)
        rows = select(
            f"SELECT ?r ?p ?o WHERE {{ VALUES ?r {{ {values} }} "
            "?r rdf:predicate ?p ; rdf:object ?o }"
        )
        parts = labels(
            {r["p"].value for r in rows} | {r["o"].value for r in rows if r["o"].kind == "uri"},
            lang,
        )
        word = "uppgift" if lang == "sv" else "record"
        for row in rows:
            prop = parts.get(row["p"].value)
            prop = (
                term_name(row["p"].value, lang) or prop if prop == curie(row["p"].value) else prop
            )
            obj = parts.get(row["o"].value, row["o"].value)
            names[row["r"].value] = f"{word}: {prop} {obj}"
    return names


def page_sources(out: list, names: dict[str, str], lang: str) -> list[tuple[str, str | None]]:
    """The texts and reference graphs the page's facts come from: name and link, once each."""
    found: dict[str, tuple[str, str | None]] = {}
    for fact in out:
        for graph in fact.sources:
            if graph.startswith(BASE + "graph/source-"):
                doc = BASE + "id/source/" + graph.rsplit("-", 1)[1]
                found.setdefault(doc, (doc, href(doc, lang)))
            else:
                found.setdefault(graph, (graph, href(graph, lang)))
    missing = {k for k in found if k not in names}
    if missing:
        names.update(labels(missing, lang))

    def name(key: str) -> str:
        given = names.get(key, key)
        return key.rsplit("/", 1)[-1] if given in (key, curie(key)) else given

    return sorted(
        ((name(key), link) for key, (_, link) in found.items()),
        key=lambda pair: pair[0].lower(),
    )


def curie_or_ref(iri: str) -> str:
    short = curie(iri)
    return short if short != iri and re.fullmatch(r"[a-z]+:[A-Za-z0-9_-]+", short) else f"<{iri}>"


def statement_box(iri: str, lang: str) -> dict | None:
    rows = select(
        f"""SELECT ?quote ?translation ?source ?sel ?exact ?prefix ?suffix WHERE {{
          {iri_ref(iri)} dk:quote ?quote .
          OPTIONAL {{ {iri_ref(iri)} dk:translation ?translation }}
          OPTIONAL {{ {iri_ref(iri)} dk:quotedFrom ?source }}
          OPTIONAL {{ {iri_ref(iri)} dk:textSelector ?sel . ?sel oa:exact ?exact
                      OPTIONAL {{ ?sel oa:prefix ?prefix }} OPTIONAL {{ ?sel oa:suffix ?suffix }} }}
        }} LIMIT 1"""
    )
    if not rows:
        return None
    row = rows[0]
    context = paragraph = None
    if "source" in row:
        context = href(row["source"].value, lang)
        if "sel" in row:
            context += "#" + anchor(row["sel"].value)
        if "exact" in row:
            paragraph = paragraph_around(
                row["source"].value,
                row["exact"].value,
                row["prefix"].value if "prefix" in row else "",
                row["suffix"].value if "suffix" in row else "",
            )
    return {
        "quote": row["quote"].value,
        "translation": row["translation"].value if "translation" in row else None,
        "context": context,
        "paragraph": paragraph,
    }
