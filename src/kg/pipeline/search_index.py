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
vacuumed: the same inputs give the same bytes (``tests/test_search_index.py``). It is written a
chunk of subjects at a time (``CHUNK_SUBJECTS``, fewer where they take part in many
nominations: ``CHUNK_LINKS``), each gathered and inserted before the next is read, so the build
holds one chunk's things, not the graph's (issue 27). The pipeline writes it; only
``kg.web.services.search_lookup`` reads it (read-only).
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
    """What the index keeps about one IRI, gathered from the store with its chunk."""

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


#: How many subjects are gathered from the store and inserted at a time. The index is written
#: one chunk after the other, so the build's memory holds one chunk's things, not the graph's
#: (issue 27: gathering every thing at once was the build's peak, 5.35 GiB at 10 M triples).
CHUNK_SUBJECTS = 4096
#: Nomination links (a nominee's or an edition's nominations, a nomination itself) gathered at
#: a time at most, unless one subject alone has more. A nominee's roles name every edition it
#: was nominated in, so a chunk of the 290 municipalities gathered every nomination of the
#: graph with its edition's names. Written alone from a 1 M-triple store, that chunk peaked at
#: 0.23 GiB, its parts at 0.18 GiB.
CHUNK_LINKS = 20_000


def write_search_index(
    store: ox.Store,
    path: Path,
    version: str,
    chunk_subjects: int = CHUNK_SUBJECTS,
    chunk_links: int = CHUNK_LINKS,
) -> str:
    """Write the index of ``store``'s default graph to ``path`` (which must not exist yet) and
    return its sha256. ``version`` is the dataset version it belongs to.

    The subjects are listed in a temporary SQLite table (on disk, not in the main file), then
    read back in sorted order ``chunk_subjects`` at a time; each chunk is gathered from the
    store and inserted before the next is read; a chunk whose nomination links exceed
    ``chunk_links`` is gathered in parts (:func:`weighed_parts`). The bytes depend on neither
    size (``tests/test_search_index.py``)."""
    for name, size in (("chunk_subjects", chunk_subjects), ("chunk_links", chunk_links)):
        if size < 1:
            raise ValueError(f"{name} must be at least 1, not {size}")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("PRAGMA journal_mode = OFF")  # a fresh file in a staging folder
        connection.execute("PRAGMA temp_store = FILE")  # the subject list stays on disk
        connection.executescript(SCHEMA)
        _list_subjects(connection, store)
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("schema", SCHEMA_VERSION), ("version", version)]
        )
        labels = _term_labels(store)
        number = 0
        parts = (
            part
            for chunk in _subject_chunks(connection, chunk_subjects)
            for part in weighed_parts(store, chunk, chunk_links)
        )
        for part in parts:
            things = _gather(store, connection, part, labels)
            for iri in part:
                number += 1
                _insert_thing(connection, number, things[iri])
        _insert_classes(connection, _class_labels(store))
        connection.execute("COMMIT")
        connection.execute("DROP TABLE temp.subjects")
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


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _list_subjects(connection: sqlite3.Connection, store: ox.Store) -> None:
    """Every IRI the index has a thing for: a thing under ``id/`` (or a term of our ontology)
    with at least one name, quote or description literal. SQLite keeps the list on disk and
    sorts it (BINARY order of UTF-8 is Python's order of ``str``), so memory stays flat."""
    terms = {
        row[0]
        for row in _rows(
            store, f"SELECT ?t WHERE {{ ?t <{RDFS}isDefinedBy> <{ONTOLOGY_IRI}> FILTER isIRI(?t) }}"
        )
    }
    predicates = NAME_PREDICATES + QUOTE_PREDICATES + DESCRIPTION_PREDICATES
    sparql = (
        f"SELECT ?s WHERE {{ VALUES ?p {{ {_values(predicates)} }} "
        "?s ?p ?o FILTER (isIRI(?s) && isLiteral(?o)) }"
    )
    connection.execute("CREATE TEMP TABLE subjects (iri TEXT PRIMARY KEY) WITHOUT ROWID")
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT OR IGNORE INTO temp.subjects VALUES (?)",
        (
            (s,)
            for (s,) in _rows(store, sparql)
            if (kind := kind_of(s)) is not None and (kind != "term" or s in terms)
        ),
    )
    connection.execute("COMMIT")


def _subject_chunks(connection: sqlite3.Connection, size: int) -> Iterable[list[str]]:
    """The listed subjects in sorted order, ``size`` at a time (the last chunk may be short)."""
    after = ""
    while chunk := [
        iri
        for (iri,) in connection.execute(
            "SELECT iri FROM temp.subjects WHERE iri > ? ORDER BY iri LIMIT ?", (after, size)
        )
    ]:
        yield chunk
        after = chunk[-1]


def _listed(connection: sqlite3.Connection, iris: Iterable[str]) -> list[str]:
    """Those of ``iris`` that the index has a thing for."""
    return [
        iri
        for iri in sorted(set(iris))
        if connection.execute("SELECT 1 FROM temp.subjects WHERE iri = ?", (iri,)).fetchone()
    ]


def weighed_parts(store: ox.Store, chunk: list[str], limit: int) -> Iterable[list[str]]:
    """``chunk`` in order, cut into parts whose nomination links (each subject counts one more)
    stay within ``limit``; a subject with more links than that is a part of its own."""
    links = dict(
        _rows(
            store,
            f"SELECT ?x (COUNT(?n) AS ?links) WHERE {{ {_subject_values(chunk, 'x')} "
            f"{{ ?n <{DK.nominee}> ?x }} UNION {{ ?n <{DK.forEdition}> ?x }} }} GROUP BY ?x",
        )
    )
    part: list[str] = []
    weight = 0
    for iri in chunk:
        cost = 1 + int(links.get(iri) or 0)
        if part and weight + cost > limit:
            yield part
            part, weight = [], 0
        part.append(iri)
        weight += cost
    if part:
        yield part


def _subject_values(iris: Iterable[str], variable: str = "s") -> str:
    """A ``VALUES`` clause binding ``?variable`` to ``iris``: a query reads only their rows."""
    return f"VALUES ?{variable} {{ {' '.join(str(ox.NamedNode(i)) for i in iris)} }}"


def _statements(store: ox.Store, iris: Iterable[str]) -> Iterable[tuple[str, str, ox.Term]]:
    """(subject, predicate, object) of every statement about ``iris``: one lookup per subject
    in the store's index, so a chunk costs what its own statements cost (a ``VALUES ?p``
    beside would make Oxigraph scan each predicate's statements for every chunk)."""
    for solution in store.query(
        f"SELECT ?s ?p ?o WHERE {{ {_subject_values(iris)} ?s ?p ?o }}",
        use_default_graph_as_union=False,
    ):
        yield solution["s"].value, solution["p"].value, solution["o"]  # type: ignore[index]


#: Which set of a thing a literal under a predicate goes to (names are handled apart).
_TEXT_FIELDS = {
    **{p: "quotes" for p in QUOTE_PREDICATES},
    **{p: "descriptions" for p in DESCRIPTION_PREDICATES},
}
_NAME_RANK = {p: i for i, p in enumerate(NAME_PREDICATES)}
_FACTS = frozenset(FACT_PREDICATES)


def _gather_names(store: ox.Store, things: dict[str, Thing]) -> None:
    """Each thing's names, and the one shown per language: the prefLabel first, then the
    alphabetically first label (a hidden label is searchable but never shown)."""
    shown_rank: dict[tuple[str, str], tuple[int, str]] = {}
    for s, p, o in _statements(store, things):
        if isinstance(o, ox.Literal) and p in _NAME_RANK:
            _add_name(things[s], p, o, shown_rank)


def _add_name(
    found: Thing, p: str, o: ox.Literal, shown_rank: dict[tuple[str, str], tuple[int, str]]
) -> None:
    text, lang = _clean(o.value), o.language or ""
    if not text:
        return
    found.names.add((text, lang))
    if p == SKOS + "hiddenLabel":
        return
    key = (_NAME_RANK[p], text)
    if lang in ("sv", "en") and (
        (found.iri, lang) not in shown_rank or key < shown_rank[(found.iri, lang)]
    ):
        shown_rank[(found.iri, lang)] = key
        found.shown[lang] = text


def _gather(
    store: ox.Store, connection: sqlite3.Connection, chunk: list[str], labels: dict[str, str]
) -> dict[str, Thing]:
    """Everything the index keeps about the things of one chunk of subjects."""
    things = {iri: Thing(iri, kind_of(iri) or "") for iri in chunk}
    shown_rank: dict[tuple[str, str], tuple[int, str]] = {}
    for s, p, o in _statements(store, chunk):
        found = things[s]
        if isinstance(o, ox.Literal) and p in _NAME_RANK:
            _add_name(found, p, o, shown_rank)
        elif isinstance(o, ox.Literal) and p in _TEXT_FIELDS and (text := _clean(o.value)):
            getattr(found, _TEXT_FIELDS[p]).add((text, o.language or ""))
        if p == RDF_TYPE and not isinstance(o, ox.BlankNode) and o.value.startswith(str(DK)):
            found.types.add(o.value)
        if p in _FACTS:
            found.facts.add((p, o.value))
    for s, name in _rows(
        store,
        f"SELECT ?s ?name WHERE {{ {_subject_values(chunk)} "
        f"?s <{DK.speaker}> ?who . ?who <{RDFS}label> ?name }}",
    ):
        things[s].context.add(_clean(name))
    _gather_roles(store, connection, things, labels)
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


def _gather_roles(
    store: ox.Store,
    connection: sqlite3.Connection,
    things: dict[str, Thing],
    labels: dict[str, str],
) -> None:
    """What the ontology's own words say each thing of the chunk is and did (see the module
    docstring). A nomination's nominee and edition may lie in other chunks: their shown names
    are looked up for just the nominations this chunk takes part in."""
    for found in things.values():
        kinds = " ".join(labels[c] for c in sorted(found.types) if c in labels)
        if kinds:
            found.roles.add(kinds)
    stages: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for variable in ("n", "o", "e"):
        for nomination, nominee, edition, stage in _rows(
            store,
            f"SELECT DISTINCT ?n ?o ?e ?st WHERE {{ {_subject_values(things, variable)} "
            f"?n <{DK.nominee}> ?o ; <{DK.forEdition}> ?e "
            f"OPTIONAL {{ ?n <{DK.stage}> ?st }} }}",
        ):
            reached = stages[(nomination, nominee, edition)]
            if stage in labels:
                reached.add(labels[stage])
    wanted = {o for (_n, o, e) in stages if e in things} | {
        e for (_n, o, e) in stages if o in things
    }
    beside = {iri: things.get(iri) or Thing(iri, "") for iri in _listed(connection, wanted)}
    if others := {iri: found for iri, found in beside.items() if iri not in things}:
        _gather_names(store, others)
    nominee_label = labels.get(str(DK.nominee), "")
    for (nomination, nominee, edition), reached in stages.items():
        role = " ".join([*sorted(reached), nominee_label]).strip()
        for iri, other in (
            (nominee, beside.get(edition)),
            (edition, beside.get(nominee)),
            (nomination, None),
        ):
            if (found := things.get(iri)) is not None:
                found.roles.add(f"{role} {_shown_names(other)}".strip() if other else role)


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


def _insert_thing(connection: sqlite3.Connection, number: int, t: Thing) -> None:
    """One thing's rows, under its ``number`` (its place among all subjects in sorted order)."""
    if not (t.names or t.quotes or t.descriptions):  # roles alone name nothing
        return
    names = sorted(t.names)
    sv = t.shown.get("sv") or t.shown.get("en") or t.iri.rsplit("/", 1)[-1]
    en = t.shown.get("en") or sv
    connection.execute(
        "INSERT INTO things VALUES (?, ?, ?, ?, ?, ?, ?)",
        (number, t.iri, t.kind, sv, en, _pick(t.descriptions, "sv"), _pick(t.descriptions, "en")),
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


def _insert_vocabulary(connection: sqlite3.Connection, chunk_words: int = 65536) -> None:
    """The words of names as the tokenizer folded them, with their trigrams: the reader's
    misspelling fallback looks a query word up here when the index does not hold it. SQLite
    lists the distinct words (on disk); they are read back and inserted a chunk at a time."""
    connection.execute("CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, text, col)")
    connection.execute(
        "CREATE TEMP TABLE words AS SELECT DISTINCT term FROM temp.vocabulary "
        "WHERE col IN ('names', 'joined') ORDER BY term"
    )
    connection.execute("DROP TABLE temp.vocabulary")
    connection.execute("BEGIN")
    last = 0
    while rows := connection.execute(
        "SELECT rowid, term FROM temp.words WHERE rowid > ? ORDER BY rowid LIMIT ?",
        (last, chunk_words),
    ).fetchall():
        last = rows[-1][0]
        words = [w for _, w in rows if len(w) >= 3 and not w.isdigit()]
        connection.executemany("INSERT INTO terms VALUES (?)", [(w,) for w in words])
        connection.executemany(
            "INSERT INTO grams VALUES (?, ?)",
            [(gram, w) for w in words for gram in sorted(padded_grams(w))],
        )
    connection.execute("COMMIT")
    connection.execute("DROP TABLE temp.words")


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
