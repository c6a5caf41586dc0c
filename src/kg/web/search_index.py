"""Reading the build's full-text index (``kg.pipeline.search_index`` writes it).

The index is opened read-only (``mode=ro``; ``immutable=1`` too, because a build never changes
the file in place, it renames a new one over it), once per app, so a worker keeps reading the
build it started with until it is reloaded, like the engine. Queries go through :func:`tokens`,
which keeps only words: FTS5's syntax (quotes, ``*``, ``NEAR``, ``AND``, parentheses, column
filters) never reaches the engine, so no input can make a query fail.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.trigrams import padded_grams

#: Longest query text accepted, in characters (a name, or a few words of a quote).
MAX_QUERY_CHARS = 200
#: Words of a query that are used; more add nothing but work.
MAX_TOKENS = 8
#: FTS5 ranking weights of the columns names, quotes, descriptions, context: a name counts most.
WEIGHTS = (10.0, 3.0, 2.0, 4.0)
#: Markers FTS5 puts around matches in a snippet; the index holds no control characters, so
#: the reader can escape the snippet and only then turn these into ``<mark>``.
OPEN, CLOSE = "\x02", "\x03"

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without diacritics, as the index's tokenizer sees text ("Lidingö" → "lidingo")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The words of a query, folded; everything else (FTS5 operators included) is dropped."""
    return _WORD.findall(fold(text))[:MAX_TOKENS]


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


def _coverage(name: str, variants) -> float:
    """The share of ``name``'s words that some query word (or a near word of it) begins."""
    words = name_words(name)
    if not words:
        return 0.0
    prefixes = tuple(v for options in variants for v in options)
    return sum(w.startswith(prefixes) for w in words) / len(words)


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
        grams = sorted(padded_grams(word))
        marks = ",".join("?" * len(grams))
        candidates = self.rows(
            f"SELECT term FROM grams WHERE gram IN ({marks}) GROUP BY term "  # noqa: S608 - only ?s
            "HAVING COUNT(*) >= ? ORDER BY COUNT(*) DESC, term LIMIT 200",
            [*grams, max(1, len(grams) // 3)],
        )
        scored = sorted(
            (distance, term)
            for (term,) in candidates
            if (distance := edit_distance(word, term, typos)) <= typos
        )
        return [term for _, term in scored[:5]]

    def variants(self, words: list[str]) -> list[list[str]]:
        """For each query word, the word itself and, when no name holds a word starting so,
        the names' words near it (a misspelling's likely meanings)."""
        return [
            [word] if self.known_prefix(word) else [word, *self.near_words(word)] for word in words
        ]

    def expression(self, words: list[str], *, any_word: bool = False, column: str = "") -> str:
        """An FTS5 query from folded words: each word as a quoted prefix (``"lidingo"*``), ORed
        with its near words when it is unknown. Words are ANDed (search) or ORed
        (reconciliation candidates). Only word characters are quoted, so the expression is
        always valid FTS5."""
        parts = []
        for options in self.variants(words):
            quoted = [f'"{options[0]}"*', *(f'"{near}"' for near in options[1:])]
            parts.append(quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")")
        joined = (" OR " if any_word else " AND ").join(parts)
        return f"{column} : ({joined})" if column else joined

    # -- search ----------------------------------------------------------------------------

    def search(self, text: str, *, kind: str | None = None, limit: int = 100) -> list[Hit]:
        """Things matching every word of ``text`` (by prefix, misspellings tolerated), best
        first: by how much of one of its names the query covers ("broman" covers half of
        "Daniel Broman" but a fifth of "Daniel Broman, stadsdirektör, Lidingö stad"), then by
        FTS5's bm25 with names weighted most."""
        words = tokens(text)
        if not words:
            return []
        where = "text MATCH ?"
        parameters: list = [self.expression(words)]
        if kind:
            where += " AND t.kind = ?"
            parameters.append(kind)
        weights = ", ".join(str(w) for w in WEIGHTS)
        found = self.rows(
            # Only constants and placeholders are formatted in; every value is a parameter.
            f"""SELECT t.id, t.iri, t.kind, t.name_sv, t.name_en, t.description_sv,
                t.description_en, bm25(text, {weights}) AS rank,
                snippet(text, 1, '{OPEN}', '{CLOSE}', '…', 14),
                snippet(text, 2, '{OPEN}', '{CLOSE}', '…', 14),
                snippet(text, 3, '{OPEN}', '{CLOSE}', '…', 14),
                snippet(text, 0, '{OPEN}', '{CLOSE}', '…', 14)
            FROM text JOIN things t ON t.id = text.rowid WHERE {where}
            ORDER BY rank, t.iri LIMIT ?""",  # noqa: S608
            [*parameters, limit],
        )
        variants = self.variants(words)
        coverage = self.name_coverage([row[0] for row in found], variants)
        hits = [
            Hit(
                *row[:7],
                snippet=next((s for s in row[8:] if OPEN in s), row[11]),
                rank=row[7],
                coverage=coverage.get(row[0], 0.0),
                shown_coverage=max(_coverage(row[3], variants), _coverage(row[4], variants)),
            )
            for row in found
        ]
        hits.sort(key=lambda h: (-h.shown_coverage, -h.coverage, h.rank, h.iri))
        return hits

    def names_of(self, ids: list[int]) -> dict[int, list[str]]:
        """Every name (labels, alternative and hidden labels) of each of ``ids``."""
        names: dict[int, list[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for thing, name in self.rows(
                f"SELECT thing, name FROM names WHERE thing IN ({marks}) ORDER BY thing, name",  # noqa: S608
                chunk,
            ):
                names.setdefault(thing, []).append(name)
        return names

    def name_coverage(self, ids: list[int], variants: list[list[str]]) -> dict[int, float]:
        """For each thing, the largest share of one name's words that the query covers."""
        best: dict[int, float] = {}
        for thing, names in self.names_of(ids).items():
            best[thing] = max(_coverage(name, variants) for name in names)
        return best

    def kind_labels(self) -> dict[str, dict[str, str]]:
        """Each kind's label in sv and en, from its class (``municipality`` → kommun)."""
        labels = {}
        for kind, sv, en in self.rows(
            "SELECT k.kind, c.label_sv, c.label_en FROM kinds k "
            "LEFT JOIN classes c ON c.class = k.class"
        ):
            labels[kind] = {"sv": sv or kind, "en": en or kind}
        return labels
