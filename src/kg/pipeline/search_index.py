"""The full-text index of the artifact: one SQLite FTS5 file beside ``kg.nq``.

The website's search box and the reconciliation service answer from it, so a request never
scans the graph with regular expressions. It holds, for every thing under ``id/`` (and every
term of our ontology), its names (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``,
``skos:hiddenLabel``, ``dcterms:title``), its quotes (the Swedish text and the English
translation), its descriptions and definitions, and, for a statement, the names of its
speaker: so "broman" finds Daniel Broman *and* what he said. The tokenizer is ``unicode61``
with ``remove_diacritics 2``: case and diacritics are ignored, "lidingo" finds Lidingö.

Quotes and descriptions are kept per language (so a snippet can be shown in the page's
language), and a ``roles`` column holds what the ontology says a thing *is* and *did*, in its
own labels: the labels of its classes ("kommun", "municipality"), and for a nominee or an
edition each nomination's stage and the nominee property ("vinnare", "winner", "nominerad",
"nominee") with the edition's names or the nominee's names beside them. So "winner 2019" and
"vinnare 2019" find the 2019 edition and Lidingö, which won it, with no word list in the code:
the words come from ``ontology.ttl``. Each such phrase is also a row of the ``roles`` table,
so the reader can tell a thing that won in 2019 from one that won in 2017 and was nominated in
2019 (the query's words must meet in one role).

A hyphenated word is also held joined, in the ``joined`` column ("e-tjänst" as "etjänst",
``kg.compounds``), so a reader who writes the compound without the hyphen finds it too.

Small misspellings ("Lidngö") are caught by the reader with the ``terms`` and ``grams``
tables: every word of a name, and its padded character trigrams, so a word the index does not
hold can be replaced by the names' words within a small edit distance.

The file is written from the build's own store, rows in sorted order, then optimised and
vacuumed: the same inputs give the same bytes (``tests/test_search_index.py``). The pipeline
writes it; only ``kg.web.services.search_lookup`` reads it (read-only).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.compounds import joined_forms
from kg.namespaces import BASE, DK, ONTOLOGY_IRI
from kg.trigrams import padded_grams

SEARCH_INDEX_NAME = "search.sqlite"
#: Raised when the tables change, so that a reader can refuse an index it does not understand.
SCHEMA_VERSION = "3"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"

#: Which predicates feed which column. Names are also what fuzzy matching and reconciliation
#: compare against; ``hiddenLabel`` holds misspellings the texts use, searchable but not shown.
NAME_PREDICATES = (
    SKOS + "prefLabel",
    RDFS + "label",
    SKOS + "altLabel",
    SKOS + "hiddenLabel",
    DCTERMS + "title",
)
QUOTE_PREDICATES = (str(DK.quote), str(DK.translation))
DESCRIPTION_PREDICATES = (
    DCTERMS + "description",
    SKOS + "definition",
    RDFS + "comment",
)
#: Facts the reconciliation service compares a spreadsheet's columns with.
FACT_PREDICATES = (str(DK.municipalityCode), str(DK.countyCode), str(DK.inCounty))
#: Kinds that are plumbing, not things a reader looks for (a selector repeats its quote).
SKIPPED_KINDS = frozenset({"selector"})
#: The column separator inside one field: shows well in a snippet.
JOIN = " · "
#: Characters the reader uses as snippet markers never occur in the indexed text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name_sv TEXT, name_en TEXT,
    description_sv TEXT, description_en TEXT
);
CREATE INDEX things_kind ON things (kind);
CREATE TABLE names (thing INTEGER NOT NULL, name TEXT NOT NULL, lang TEXT NOT NULL,
                    PRIMARY KEY (thing, name, lang)) WITHOUT ROWID;
CREATE TABLE types (thing INTEGER NOT NULL, class TEXT NOT NULL,
                    PRIMARY KEY (thing, class)) WITHOUT ROWID;
CREATE INDEX types_class ON types (class, thing);
CREATE TABLE classes (class TEXT PRIMARY KEY, label_sv TEXT, label_en TEXT) WITHOUT ROWID;
CREATE TABLE kinds (kind TEXT PRIMARY KEY, class TEXT, things INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE facts (thing INTEGER NOT NULL, property TEXT NOT NULL, value TEXT NOT NULL,
                    PRIMARY KEY (thing, property, value)) WITHOUT ROWID;
CREATE INDEX facts_value ON facts (property, value);
CREATE TABLE roles (thing INTEGER NOT NULL, role TEXT NOT NULL,
                    PRIMARY KEY (thing, role)) WITHOUT ROWID;
CREATE VIRTUAL TABLE text USING fts5 (
    names, quotes_sv, quotes_en, descriptions_sv, descriptions_en, context, roles, joined,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TABLE terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE grams (gram TEXT NOT NULL, term TEXT NOT NULL,
                    PRIMARY KEY (gram, term)) WITHOUT ROWID;
"""


@dataclass
class Thing:
    """What the index keeps about one IRI, gathered from the store before anything is written."""

    iri: str
    kind: str
    names: set[tuple[str, str]] = field(default_factory=set)  # (text, lang)
    shown: dict[str, str] = field(default_factory=dict)  # lang → display name
    quotes: set[tuple[str, str]] = field(default_factory=set)  # (text, lang)
    descriptions: set[tuple[str, str]] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    context: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    facts: set[tuple[str, str]] = field(default_factory=set)


def kind_of(iri: str) -> str | None:
    """``municipality`` for ``…/id/municipality/lidingo``; ``term`` for an ontology term."""
    if iri.startswith(BASE + "id/"):
        kind, slash, slug = iri[len(BASE) + 3 :].partition("/")
        return kind if slash and slug and kind not in SKIPPED_KINDS else None
    if iri.startswith(str(DK)):
        return "term"
    return None


def write_search_index(store: ox.Store, path: Path, version: str) -> str:
    """Write the index of ``store``'s default graph to ``path`` (which must not exist yet) and
    return its sha256. ``version`` is the dataset version it belongs to."""
    things = _gather(store)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("PRAGMA journal_mode = OFF")  # a fresh file in a staging folder
        connection.executescript(SCHEMA)
        connection.execute("BEGIN")
        _insert(connection, things, _class_labels(store), version)
        connection.execute("COMMIT")
        connection.execute("INSERT INTO text (text) VALUES ('optimize')")
        _insert_vocabulary(connection)
        connection.execute("VACUUM")
    finally:
        connection.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(store: ox.Store, sparql: str) -> Iterable[tuple[str, ...]]:
    for solution in store.query(sparql, use_default_graph_as_union=False):
        yield tuple(
            term.value if term is not None else ""
            for term in solution  # type: ignore[union-attr]
        )


def _values(predicates: Iterable[str]) -> str:
    return " ".join(f"<{p}>" for p in predicates)


def _literal_rows(store: ox.Store, predicates: Iterable[str]) -> Iterable[tuple[str, ...]]:
    """(subject, predicate, text, language) of every literal under ``predicates``."""
    sparql = (
        f"SELECT ?s ?p ?o (LANG(?o) AS ?lang) WHERE {{ VALUES ?p {{ {_values(predicates)} }} "
        "?s ?p ?o FILTER (isIRI(?s) && isLiteral(?o)) }"
    )
    return _rows(store, sparql)


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _gather(store: ox.Store) -> dict[str, Thing]:
    things: dict[str, Thing] = {}

    def thing(iri: str) -> Thing | None:
        kind = kind_of(iri)
        if kind is None:
            return None
        if kind == "term" and iri not in terms:
            return None
        return things.setdefault(iri, Thing(iri, kind))

    terms = {
        row[0]
        for row in _rows(
            store, f"SELECT ?t WHERE {{ ?t <{RDFS}isDefinedBy> <{ONTOLOGY_IRI}> FILTER isIRI(?t) }}"
        )
    }
    rank = {p: i for i, p in enumerate(NAME_PREDICATES)}
    shown_rank: dict[tuple[str, str], tuple[int, str]] = {}
    for s, p, text, lang in _literal_rows(store, NAME_PREDICATES):
        found = thing(s)
        if found is None or not _clean(text):
            continue
        found.names.add((_clean(text), lang))
        if p == SKOS + "hiddenLabel":
            continue
        key = (rank[p], _clean(text))  # prefLabel first, then the alphabetically first label
        if lang in ("sv", "en") and ((s, lang) not in shown_rank or key < shown_rank[(s, lang)]):
            shown_rank[(s, lang)] = key
            found.shown[lang] = key[1]
    for s, _p, text, lang in _literal_rows(store, QUOTE_PREDICATES):
        if (found := thing(s)) is not None and _clean(text):
            found.quotes.add((_clean(text), lang))
    for s, _p, text, lang in _literal_rows(store, DESCRIPTION_PREDICATES):
        if (found := thing(s)) is not None and _clean(text):
            found.descriptions.add((_clean(text), lang))
    for s, name in _rows(
        store,
        f"SELECT ?s ?name WHERE {{ ?s <{DK.speaker}> ?who . ?who <{RDFS}label> ?name }}",
    ):
        if (found := things.get(s)) is not None:
            found.context.add(_clean(name))
    for s, cls in _rows(
        store,
        f'SELECT ?s ?c WHERE {{ ?s <{RDF_TYPE}> ?c FILTER STRSTARTS(STR(?c), "{DK}") }}',
    ):
        if (found := things.get(s)) is not None:
            found.types.add(cls)
    for s, p, value in _rows(
        store, f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {_values(FACT_PREDICATES)} }} ?s ?p ?o }}"
    ):
        if (found := things.get(s)) is not None:
            found.facts.add((p, value))
    _gather_roles(store, things)
    return things


def _term_labels(store: ox.Store) -> dict[str, str]:
    """Each ontology term's labels in all languages as one phrase ("vinnare winner")."""
    labels: dict[str, list[str]] = defaultdict(list)
    for term, text in _rows(
        store,
        f"SELECT DISTINCT ?t ?l WHERE {{ ?t <{RDFS}isDefinedBy> <{ONTOLOGY_IRI}> ; "
        f"<{RDFS}label> ?l }} ORDER BY ?t ?l",
    ):
        if _clean(text) not in labels[term]:
            labels[term].append(_clean(text))
    return {term: " ".join(texts) for term, texts in labels.items()}


def _shown_names(found: Thing) -> str:
    return " ".join(dict.fromkeys(found.shown[lang] for lang in sorted(found.shown)))


def _gather_roles(store: ox.Store, things: dict[str, Thing]) -> None:
    """What the ontology's own words say each thing is and did (see the module docstring)."""
    labels = _term_labels(store)
    for found in things.values():
        kinds = " ".join(labels[c] for c in sorted(found.types) if c in labels)
        if kinds:
            found.roles.add(kinds)
    stages: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for nomination, nominee, edition, stage in _rows(
        store,
        f"SELECT DISTINCT ?n ?o ?e ?st WHERE {{ ?n <{DK.nominee}> ?o ; <{DK.forEdition}> ?e "
        f"OPTIONAL {{ ?n <{DK.stage}> ?st }} }}",
    ):
        reached = stages[(nomination, nominee, edition)]
        if stage in labels:
            reached.add(labels[stage])
    nominee_label = labels.get(str(DK.nominee), "")
    for (nomination, nominee, edition), reached in stages.items():
        role = " ".join([*sorted(reached), nominee_label]).strip()
        for iri, beside in (
            (nominee, things.get(edition)),
            (edition, things.get(nominee)),
            (nomination, None),
        ):
            if (found := things.get(iri)) is not None:
                found.roles.add(f"{role} {_shown_names(beside)}".strip() if beside else role)


def _class_labels(store: ox.Store) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for cls, text, lang in _rows(
        store,
        f"SELECT ?c ?l (LANG(?l) AS ?lang) WHERE {{ ?c a <http://www.w3.org/2002/07/owl#Class> ; "
        f'<{RDFS}label> ?l FILTER STRSTARTS(STR(?c), "{DK}") }} ORDER BY ?c ?l',
    ):
        labels[cls].setdefault(lang, text)
    return labels


def _pick(texts: Iterable[tuple[str, str]], lang: str) -> str | None:
    ordered = sorted(texts)
    for wanted in (lang, "sv" if lang == "en" else "en", ""):
        for text, text_lang in ordered:
            if text_lang == wanted:
                return text
    return ordered[0][0] if ordered else None


def _insert(
    connection: sqlite3.Connection,
    things: dict[str, Thing],
    class_labels: dict[str, dict[str, str]],
    version: str,
) -> None:
    connection.executemany(
        "INSERT INTO meta VALUES (?, ?)", [("schema", SCHEMA_VERSION), ("version", version)]
    )
    for number, iri in enumerate(sorted(things), start=1):
        t = things[iri]
        if not (t.names or t.quotes or t.descriptions):  # roles alone name nothing
            continue
        names = sorted(t.names)
        sv = t.shown.get("sv") or t.shown.get("en") or iri.rsplit("/", 1)[-1]
        en = t.shown.get("en") or sv
        connection.execute(
            "INSERT INTO things VALUES (?, ?, ?, ?, ?, ?, ?)",
            (number, iri, t.kind, sv, en, _pick(t.descriptions, "sv"), _pick(t.descriptions, "en")),
        )
        connection.executemany(
            "INSERT INTO names VALUES (?, ?, ?)", [(number, n, lang) for n, lang in names]
        )
        connection.executemany(
            "INSERT INTO types VALUES (?, ?)", [(number, c) for c in sorted(t.types)]
        )
        connection.executemany(
            "INSERT INTO facts VALUES (?, ?, ?)", [(number, p, v) for p, v in sorted(t.facts)]
        )
        connection.executemany(
            "INSERT INTO roles VALUES (?, ?)", [(number, r) for r in sorted(t.roles)]
        )
        connection.execute(
            "INSERT INTO text (rowid, names, quotes_sv, quotes_en, descriptions_sv, "
            "descriptions_en, context, roles, joined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                JOIN.join(dict.fromkeys(n for n, _ in names)),
                *_by_language(t.quotes),
                *_by_language(t.descriptions),
                JOIN.join(sorted(t.context)),
                JOIN.join(sorted(t.roles)),
                _joined(t),
            ),
        )
    _insert_classes(connection, class_labels)


def _joined(t: Thing) -> str:
    """The hyphenated words of a thing's names, quotes and descriptions written without the
    hyphen (kg.compounds), so that "etjänst" finds what says "e-tjänst"."""
    texts = [n for n, _ in sorted(t.names)] + [q for q, _ in sorted(t.quotes | t.descriptions)]
    return " ".join(dict.fromkeys(word for text in texts for word in joined_forms(text)))


def _by_language(texts: set[tuple[str, str]]) -> tuple[str, str]:
    """The Swedish (or untagged) texts and the English ones, each joined: the reader shows a
    snippet in the page's language."""
    ordered = sorted(texts)
    english = [text for text, lang in ordered if lang.startswith("en")]
    other = [text for text, lang in ordered if not lang.startswith("en")]
    return JOIN.join(dict.fromkeys(other)), JOIN.join(dict.fromkeys(english))


def _insert_classes(
    connection: sqlite3.Connection, class_labels: dict[str, dict[str, str]]
) -> None:
    """Each class's labels, and for each kind the class that best names it: the one most of
    the kind's things have, and of those the one with the fewest instances overall (the most
    specific: ``municipality`` is dk:Municipality, not its superclass dk:Organisation)."""
    connection.executemany(
        "INSERT INTO classes VALUES (?, ?, ?)",
        [
            (cls, labels.get("sv") or labels.get("en"), labels.get("en") or labels.get("sv"))
            for cls, labels in sorted(class_labels.items())
        ],
    )
    connection.execute(
        """INSERT INTO kinds
        SELECT kind, (SELECT ty.class FROM types ty JOIN things t2 ON t2.id = ty.thing
                      WHERE t2.kind = things.kind GROUP BY ty.class
                      ORDER BY COUNT(*) DESC,
                               (SELECT COUNT(*) FROM types all_ WHERE all_.class = ty.class),
                               ty.class LIMIT 1),
               COUNT(*)
        FROM things WHERE kind != 'term' GROUP BY kind ORDER BY kind"""
    )
    connection.execute(
        "INSERT INTO kinds SELECT 'term', NULL, COUNT(*) FROM things WHERE kind = 'term'"
    )


def _insert_vocabulary(connection: sqlite3.Connection) -> None:
    """The words of names as the tokenizer folded them, with their trigrams: the reader's
    misspelling fallback looks a query word up here when the index does not hold it."""
    connection.execute("CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, text, col)")
    words = [
        row[0]
        for row in connection.execute(
            "SELECT DISTINCT term FROM temp.vocabulary WHERE col IN ('names', 'joined') "
            "ORDER BY term"
        )
        if len(row[0]) >= 3 and not row[0].isdigit()
    ]
    connection.execute("DROP TABLE temp.vocabulary")
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO terms VALUES (?)", [(w,) for w in words])
    connection.executemany(
        "INSERT INTO grams VALUES (?, ?)",
        [(gram, w) for w in words for gram in sorted(padded_grams(w))],
    )
    connection.execute("COMMIT")


def add_search_index(store: ox.Store, folder: Path, manifest: dict) -> None:
    """Write the index into the build's staging ``folder`` and name it, with its hash, in the
    manifest (which ``write_build`` writes afterwards, so both appear together or not at all)."""
    digest = write_search_index(store, folder / SEARCH_INDEX_NAME, manifest["version"])
    manifest["search_index"] = {
        "file": SEARCH_INDEX_NAME,
        "sha256": digest,
        "sqlite": sqlite3.sqlite_version,
        "schema": SCHEMA_VERSION,
    }
