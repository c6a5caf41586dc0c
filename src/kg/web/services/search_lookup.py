"""Reading the build's full-text index (``kg.pipeline.search_index`` writes it).

The index is opened read-only (``mode=ro``; ``immutable=1`` too, because a build never changes
the file in place, it renames a new one over it), once per app, so a worker keeps reading the
build it started with until it is reloaded, like the engine. Queries go through :func:`terms`,
which keeps only words: FTS5's syntax (quotes, ``*``, ``NEAR``, ``AND``, parentheses, column
filters) never reaches the engine, so no input can make a query fail.

A query's *terms* are its words, except that a hyphenated word is one term ("e-tjänst" is the
phrase "e tjänst", its last part a prefix, so it also finds "e-tjänster"; written without the
hyphen, "etjänst" meets the index's joined forms, kg.compounds), and a lone letter
is no term at all (it would match every word starting so). Ranking puts first what the query
describes as a whole: the most terms met in one of the thing's names or in one of its roles
("winner 2019" meets both words in Lidingö's role "vinnare winner … 2019"), then things before
records (posts, nominations, statements …) and records before ontology terms, then how much
of a shown name the query covers, then bm25. Hits with the same kind and names (one post
attested twice) are shown once.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.compounds import joined_forms
from kg.trigrams import padded_grams

#: Longest query text accepted, in characters (a name, or a few words of a quote).
MAX_QUERY_CHARS = 200
#: Words of a query that are used; more add nothing but work.
MAX_TOKENS = 8
#: The index's full-text columns, in order (``kg.pipeline.search_index`` writes them).
COLUMNS = (
    "names",
    "quotes_sv",
    "quotes_en",
    "descriptions_sv",
    "descriptions_en",
    "context",
    "roles",
    "joined",
)
#: FTS5 ranking weights of those columns: a name counts most.
WEIGHTS = (10.0, 3.0, 3.0, 2.0, 2.0, 4.0, 6.0, 4.0)
#: Weights that rank by names alone (reconciliation compares names only).
NAME_WEIGHTS = (1.0,) + (0.0,) * (len(COLUMNS) - 1)
#: Kinds that record something about a thing (a post held, a nomination, a quote) rather than
#: being one a reader looks for: without other evidence, things rank first.
RECORD_KINDS = frozenset(
    {"post", "nomination", "statement", "quantity", "source", "document", "award-name", "question"}
)
#: The schema this reader understands (``kg.pipeline.search_index.SCHEMA_VERSION``).
SCHEMA = "3"
#: Markers FTS5 puts around matches in a snippet; the index holds no control characters, so
#: the reader can escape the snippet and only then turn these into ``<mark>``.
OPEN, CLOSE = "\x02", "\x03"

_WORD = re.compile(r"[^\W_]+")
#: A word, or words joined by hyphens (ASCII, Unicode hyphen, non-breaking hyphen).
_TERM = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)*")


def fold(text: str) -> str:
    """Lower case without diacritics, as the index's tokenizer sees text ("Lidingö" → "lidingo")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The words of a query, folded; everything else (FTS5 operators included) is dropped."""
    return _WORD.findall(fold(text))[:MAX_TOKENS]


Term = tuple[str, ...]


def terms(text: str) -> list[Term]:
    """The query's terms, folded: a word is a one-part term, a hyphenated word one term of
    several parts; a lone letter is dropped (``"e tjänst"`` → ``[("tjanst",)]``)."""
    found = [tuple(_WORD.findall(match)) for match in _TERM.findall(fold(text))]
    return [term for term in found if len(term) > 1 or len(term[0]) > 1][:MAX_TOKENS]


def term_text(term: Term) -> str:
    return "-".join(term)


def edit_distance(a: str, b: str, cap: int = 3) -> int:
    """Levenshtein distance (insert, delete, substitute), stopping early beyond ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


def allowed_typos(word: str) -> int:
    """How many edits a word may be away from a name's word: none under 4 letters, one up to
    7, two from 8 ("lidngo" → "lidingo", "kungsbaka" → "kungsbacka")."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


@dataclass
class Hit:
    """One thing found: its IRI and kind, display names, and a snippet with markers."""

    id: int
    iri: str
    kind: str
    name_sv: str
    name_en: str
    description_sv: str | None
    description_en: str | None
    snippet: str
    rank: float
    #: The largest share of one of its names' words that the query words match (0 to 1).
    coverage: float = 0.0
    #: The same share for the names a reader sees (the display names in sv and en).
    shown_coverage: float = 0.0
    #: How many of the query's terms one name or one role of the thing meets on its own.
    met: int = 0
    #: How many of those it meets as whole words.
    whole: int = 0
    #: How many query terms name its kind ("kommun" for a municipality).
    named_kind: int = 0

    def name(self, lang: str) -> str:
        return self.name_sv if lang == "sv" else self.name_en

    def description(self, lang: str) -> str | None:
        if lang == "sv":
            return self.description_sv or self.description_en
        return self.description_en or self.description_sv


@lru_cache(maxsize=16384)
def name_words(name: str) -> tuple[str, ...]:
    """The folded words of a name, remembered: the same few thousand names are compared on
    every request, and folding them again was most of a search's time (measured)."""
    return tuple(_WORD.findall(fold(name)))


def _prefixes(variants) -> tuple[str, ...]:
    """The word beginnings that count as the query's: every part of two letters or more."""
    return tuple(part for options in variants for v in options for part in v if len(part) > 1)


def _coverage(name: str, variants) -> float:
    """The share of ``name``'s words that some query word (or a near word of it) begins."""
    words = name_words(name)
    if not words:
        return 0.0
    prefixes = _prefixes(variants)
    return sum(w.startswith(prefixes) for w in words) / len(words) if prefixes else 0.0


def _meets(words: tuple[str, ...], options: list[Term], whole: bool = False) -> bool:
    """Whether one of a term's variants has each of its parts beginning (or, ``whole``, being)
    one of ``words``."""
    return any(
        all(
            any(w == part if whole else w.startswith(part) for w in words)
            for part in variant
            if len(part) > 1
        )
        for variant in options
    )


def _met(texts: list[str], variants: list[list[Term]]) -> tuple[int, int]:
    """How many of the query's terms one of ``texts`` (a name, or a role beside the shown
    names) meets on its own, and of those how many as whole words ("kommun" is a whole word
    of "kommun municipality", only the beginning of "Kommunförbundet")."""
    best = (0, 0)
    for text in texts:
        words = name_words(text) + tuple(fold(w) for w in joined_forms(text))
        met = [options for options in variants if _meets(words, options)]
        best = max(best, (len(met), sum(_meets(words, o, whole=True) for o in met)))
    return best


def ranking(hit: Hit) -> tuple:
    """The order of hits: ontology terms last; then the most terms met together, as whole
    words; things before records; the most of a shown name covered; bm25."""
    return (
        hit.kind == "term",
        -hit.met,
        -hit.whole,
        -hit.named_kind,
        tier(hit.kind),
        -hit.shown_coverage,
        -hit.coverage,
        hit.rank,
        hit.iri,
    )


def tier(kind: str) -> int:
    """Things first, then records, then ontology terms."""
    return 2 if kind == "term" else 1 if kind in RECORD_KINDS else 0


def merged(hits: list[Hit]) -> list[Hit]:
    """The hits with each kind-and-names shown once (the best-ranked of them)."""
    seen: set[tuple] = set()
    kept = []
    for hit in hits:
        key = (hit.kind, hit.name_sv, hit.name_en, hit.description_sv, hit.description_en)
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


def _snippet_columns(lang: str) -> tuple[str, ...]:
    """The columns a snippet may come from, the page's language first."""
    mine, other = ("sv", "en") if lang == "sv" else ("en", "sv")
    return (
        f"quotes_{mine}",
        f"descriptions_{mine}",
        "context",
        "names",
        f"quotes_{other}",
        f"descriptions_{other}",
    )


def _pick_snippet(snippets: dict[str, str], lang: str) -> str:
    """A snippet in ``lang``: its quote or description with the matches marked; else its
    quote in ``lang`` (a translation says the same), its names marked, its description in
    ``lang``; the other language's text only when the thing has none in ``lang``."""
    mine, other = ("sv", "en") if lang == "sv" else ("en", "sv")
    quote, description = snippets[f"quotes_{mine}"], snippets[f"descriptions_{mine}"]
    for text in (quote, description, snippets["context"]):
        if OPEN in text:
            return text
    if quote:
        return quote
    if OPEN in snippets["names"]:
        return snippets["names"]
    if description:
        return description
    for text in (snippets[f"quotes_{other}"], snippets[f"descriptions_{other}"]):
        if OPEN in text:
            return text
    return snippets["names"]


class SearchIndexMissingError(RuntimeError):
    """The build directory holds no search index (built before the index existed)."""


class SearchIndex:
    """A read-only connection to one build's index, shared by a worker's threads (SQLite is
    serialised; a lock keeps Python's cursor use simple, and each query takes a millisecond)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SearchIndexMissingError(f"{path.name} is missing: run `kg build` again")
        self.path = path
        self._connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()
        self.version = self.one("SELECT value FROM meta WHERE key = 'version'") or ""
        schema = self.one("SELECT value FROM meta WHERE key = 'schema'")
        if schema != SCHEMA:
            raise SearchIndexMissingError(
                f"{path.name} has schema {schema}, this reader reads {SCHEMA}: run `kg build` again"
            )

    def rows(self, sql: str, parameters: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def one(self, sql: str, parameters: tuple | list = ()):
        found = self.rows(sql, parameters)
        return found[0][0] if found else None

    # -- words and misspellings ------------------------------------------------------------

    def known_prefix(self, word: str) -> bool:
        """Whether some word of a name starts with ``word``."""
        return bool(
            self.rows(
                "SELECT 1 FROM terms WHERE term >= ? AND term < ? LIMIT 1",
                (word, word + "\U0010ffff"),
            )
        )

    def near_words(self, word: str) -> list[str]:
        """Words of names within :func:`allowed_typos` edits of ``word``: candidates share at
        least a third of its trigrams (an index lookup), then the edit distance decides."""
        typos = allowed_typos(word)
        if typos == 0:
            return []
        candidates = self._sharing_grams(sorted(padded_grams(word)), share=3, limit=200)
        scored = sorted(
            (distance, term)
            for term in candidates
            if (distance := edit_distance(word, term, typos)) <= typos
        )
        return [term for _, term in scored[:5]]

    def variants(self, words: list[str] | list[Term]) -> list[list[Term]]:
        """For each query term, the term itself and, when it is one word that no name holds a
        word starting with, the names' words near it (a misspelling's likely meanings)."""
        found = []
        for word in words:
            term = (word,) if isinstance(word, str) else tuple(word)
            if len(term) > 1 or self.known_prefix(term[0]):
                found.append([term])
            else:
                found.append([term, *((near,) for near in self.near_words(term[0]))])
        return found

    def expression(
        self, words: list[str] | list[Term], *, any_word: bool = False, column: str = ""
    ) -> str:
        """An FTS5 query from folded terms: each as a quoted prefix (``"lidingo"*``; a
        hyphenated term as a phrase whose last part is a prefix, ``"e tjanst"*``), ORed with
        its near words when it is unknown. Terms are ANDed (search) or ORed (reconciliation
        candidates). Only word characters are quoted, so the expression is always valid FTS5."""
        parts = []
        for options in self.variants(words):
            quoted = [f'"{" ".join(options[0])}"*', *(f'"{near[0]}"' for near in options[1:])]
            parts.append(quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")")
        joined = (" OR " if any_word else " AND ").join(parts)
        return f"{column} : ({joined})" if column else joined

    # -- search ----------------------------------------------------------------------------

    def search(
        self, text: str, *, kind: str | None = None, limit: int = 100, lang: str = "sv"
    ) -> list[Hit]:
        """Things matching every term of ``text`` (by prefix, misspellings tolerated), best
        first (see the module docstring), one hit per kind and names, each with a snippet
        in ``lang`` where the thing has text in it."""
        words = terms(text)
        if not words:
            return []
        where = "text MATCH ?"
        parameters: list = [self.expression(words)]
        if kind:
            where += " AND t.kind = ?"
            parameters.append(kind)
        weights = ", ".join(str(w) for w in WEIGHTS)
        columns = _snippet_columns(lang)
        snippets = ", ".join(
            f"snippet(text, {COLUMNS.index(c)}, '{OPEN}', '{CLOSE}', '…', 14)" for c in columns
        )
        found = self.rows(
            # Only constants and placeholders are formatted in; every value is a parameter.
            f"""SELECT t.id, t.iri, t.kind, t.name_sv, t.name_en, t.description_sv,
                t.description_en, bm25(text, {weights}) AS rank, {snippets}
            FROM text JOIN things t ON t.id = text.rowid WHERE {where}
            ORDER BY rank, t.iri LIMIT ?""",  # noqa: S608
            [*parameters, limit * 2],
        )
        variants = self.variants(words)
        ids = [row[0] for row in found]
        names = self.names_of(ids)
        roles = self.roles_of(ids)
        hits = []
        for row in found:
            shown = f"{row[3]} {row[4]}"
            hit = Hit(
                *row[:7],
                snippet=_pick_snippet(dict(zip(columns, row[8:], strict=True)), lang),
                rank=row[7],
                coverage=max((_coverage(n, variants) for n in names.get(row[0], [])), default=0),
                shown_coverage=max(_coverage(row[3], variants), _coverage(row[4], variants)),
            )
            facets = [*names.get(row[0], []), *(f"{r} {shown}" for r in roles.get(row[0], []))]
            hit.met, hit.whole = _met(facets, variants)
            kind_words = self.kind_words().get(hit.kind, ())
            hit.named_kind = sum(_meets(kind_words, o, whole=True) for o in variants)
            hits.append(hit)
        hits.sort(key=ranking)
        return merged(hits)[:limit]

    def roles_of(self, ids: list[int]) -> dict[int, list[str]]:
        """Each thing's roles: its classes' labels, its nominations' stages (see the writer)."""
        return self._grouped("roles", "role", ids)

    def names_of(self, ids: list[int]) -> dict[int, list[str]]:
        """Every name (labels, alternative and hidden labels) of each of ``ids``."""
        return self._grouped("names", "name", ids)

    def _grouped(self, table: str, column: str, ids: list[int]) -> dict[int, list[str]]:
        """``column`` of ``table`` per thing, in order, asked 500 ids at a time (SQLite's
        limit on parameters); ``table`` and ``column`` are this module's own names."""
        found: dict[int, list[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for thing, value in self.rows(
                f"SELECT thing, {column} FROM {table} WHERE thing IN ({marks}) "  # noqa: S608
                f"ORDER BY thing, {column}",
                chunk,
            ):
                found.setdefault(thing, []).append(value)
        return found

    def name_coverage(self, ids: list[int], variants: list[list[str]]) -> dict[int, float]:
        """For each thing, the largest share of one name's words that the query covers."""
        best: dict[int, float] = {}
        for thing, names in self.names_of(ids).items():
            best[thing] = max(_coverage(name, variants) for name in names)
        return best

    def closest_words(self, word: str, limit: int = 3) -> list[str]:
        """The names' words most like ``word`` (shared trigrams, then edit distance), however
        far: the "did you mean" of a search that found nothing."""
        grams = sorted(padded_grams(word))
        if len(word) < 3 or not grams:
            return []
        candidates = self._sharing_grams(grams, share=4, limit=50)
        scored = sorted(
            (edit_distance(word, term, 99), term) for term in candidates if term != word
        )
        return [term for distance, term in scored if distance <= max(2, len(word) // 3)][:limit]

    def _sharing_grams(self, grams: list[str], share: int, limit: int) -> list[str]:
        """Words of names holding at least 1/``share`` of ``grams`` (an index lookup), those
        sharing most first: the candidates that an edit distance then ranks."""
        marks = ",".join("?" * len(grams))
        return [
            term
            for (term,) in self.rows(
                f"SELECT term FROM grams WHERE gram IN ({marks}) GROUP BY term "  # noqa: S608
                f"HAVING COUNT(*) >= ? ORDER BY COUNT(*) DESC, term LIMIT {int(limit)}",
                [*grams, max(1, len(grams) // share)],
            )
        ]

    def suggestions(self, text: str) -> tuple[str | None, list[Hit]]:
        """For a query that found nothing: the query with each unknown word replaced by the
        closest word of a name (or None), and things whose names hold one of those words."""
        words = terms(text)
        replaced, near = [], []
        for term in words:
            if len(term) == 1 and not self.known_prefix(term[0]):
                closest = self.closest_words(term[0])
                near.extend(closest)
                replaced.append(closest[0] if closest else term[0])
            else:
                replaced.append(term_text(term))
        better = " ".join(replaced)
        hits = self.search(better) if near and better != " ".join(map(term_text, words)) else []
        if not hits and near:
            hits = [
                hit
                for word in dict.fromkeys(near)
                for hit in self.search(word, limit=3)
                if hit.kind != "term"
            ]
        return (better if hits and near else None), merged(hits)[:8]

    def kind_counts(self) -> list[tuple[str, int]]:
        """How many things of each kind the index holds, most first (ontology terms last)."""
        return [
            (kind, count)
            for kind, count in self.rows(
                "SELECT kind, things FROM kinds ORDER BY kind = 'term', things DESC, kind"
            )
        ]

    def kind_words(self) -> dict[str, tuple[str, ...]]:
        """Each kind's class labels as folded words, both languages (remembered)."""
        if not hasattr(self, "_kind_words"):
            self._kind_words = {
                kind: name_words(f"{labels['sv']} {labels['en']}")
                for kind, labels in self.kind_labels().items()
            }
        return self._kind_words

    def kind_labels(self) -> dict[str, dict[str, str]]:
        """Each kind's label in sv and en, from its class (``municipality`` → kommun)."""
        labels = {}
        for kind, sv, en in self.rows(
            "SELECT k.kind, c.label_sv, c.label_en FROM kinds k "
            "LEFT JOIN classes c ON c.class = k.class"
        ):
            labels[kind] = {"sv": sv or kind, "en": en or kind}
        return labels
