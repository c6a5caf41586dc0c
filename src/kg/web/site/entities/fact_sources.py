"""The "Source" column of the fact table: the documents a fact comes from, by title, in the
page's language, instead of the names of the graphs that hold it.

A graph name (``source-001``, ``reference``, ``links-wikipedia``) tells a reader nothing. Every
graph records where its facts come from, at one of three levels, and the most specific wins:

1. a source-text graph ``graph/source-NNN`` is the text ``id/source/NNN``;
2. a record of the fact itself (an ``rdf:Statement`` with the same subject, predicate and
   object in that graph) names its document with ``prov:wasDerivedFrom`` or ``dcterms:source``;
3. the fact's subject names its documents in that graph the same way.

Only a graph that says none of these is shown as itself (linked to its page).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from urllib.parse import urlparse

from kg.namespaces import BASE, INFERRED_GRAPH
from kg.web.site.entities.fact_table import Fact
from kg.web.site.rendering import curie, href, iri_ref, labels, select

SOURCE_GRAPH = BASE + "graph/source-"
DERIVED = "prov:wasDerivedFrom|dcterms:source"
CHUNK = 200

#: (name, link) of one document
Cited = tuple[str, str | None]


def _subject_documents(subjects: set[str]) -> dict[tuple[str, str], set[str]]:
    """(graph, subject) → the documents the subject names in that graph."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    chunk = sorted(subjects)
    for start in range(0, len(chunk), CHUNK):
        values = " ".join(iri_ref(s) for s in chunk[start : start + CHUNK])
        for row in select(
            f"SELECT ?g ?s ?doc WHERE {{ VALUES ?s {{ {values} }} "
            f"GRAPH ?g {{ ?s {DERIVED} ?doc }} FILTER (isIRI(?doc) && ?doc != ?s) }}"
        ):
            found[(row["g"].value, row["s"].value)].add(row["doc"].value)
    return found


def _record_documents(iri: str) -> dict[tuple[str, str, str, str], set[str]]:
    """(graph, subject, predicate, object) → the documents a record of that fact names."""
    found: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    ref = iri_ref(iri)
    for row in select(
        "SELECT ?g ?s ?p ?o ?doc WHERE { GRAPH ?g { "
        f"{{ ?r rdf:subject {ref} }} UNION {{ ?r rdf:object {ref} }} "
        f"?r rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; {DERIVED} ?doc }} "
        "FILTER isIRI(?doc) }"
    ):
        key = (row["g"].value, row["s"].value, row["p"].value, row["o"].value)
        found[key].add(row["doc"].value)
    return found


def _plain(text: str) -> str:
    """Lower case without diacritics, as host names spell words ("Kvalitetsmässan")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _name(doc: str, names: dict[str, str]) -> str:
    """The document's title; an outside page's site follows its title unless the title names
    it already ("Lidingö kommun (sv.wikipedia.org)"), so a reader sees whose page it is."""
    given = names.get(doc, doc)
    if doc.startswith(BASE):
        return doc.rsplit("/", 1)[-1] if given in (doc, curie(doc)) else given
    site = urlparse(doc).netloc.removeprefix("www.")
    if given in (doc, curie(doc)):
        return site or doc  # an outside page without a title: its site
    parts = site.split(".")
    if not site or parts[-2 if len(parts) > 1 else 0].lower() in _plain(given):
        return given
    return f"{given} ({site})"


def cited_sources(iri: str, facts: list[Fact], lang: str) -> dict[int, list[Cited]]:
    """For each fact of a page (by ``id``), its documents as (title, link), each once."""
    every = facts + [twin for f in facts for twin in f.also]
    records = _record_documents(iri)
    subjects = {iri} | {f.value.value for f in every if not f.outgoing}
    by_subject = _subject_documents(subjects)
    chosen: dict[int, list[str]] = {}
    for fact in every:
        subject, obj = (iri, fact.value.value) if fact.outgoing else (fact.value.value, iri)
        docs: list[str] = []
        for graph in sorted(fact.graphs - {str(INFERRED_GRAPH)}):
            if graph.startswith(SOURCE_GRAPH):
                found = {BASE + "id/source/" + graph.removeprefix(SOURCE_GRAPH)}
            else:
                found = records.get((graph, subject, fact.prop, obj)) or by_subject.get(
                    (graph, subject)
                )
            docs += sorted(found or {graph})
        chosen[id(fact)] = list(dict.fromkeys(docs))
    names = labels({d for docs in chosen.values() for d in docs}, lang)
    return {
        key: [(_name(doc, names), href(doc, lang)) for doc in docs] for key, docs in chosen.items()
    }
