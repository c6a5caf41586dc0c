"""Matching a spreadsheet cell to things: the core of ``/reconcile``, free of HTTP.

A query batch (W3C Reconciliation Service API 0.2) is checked against the rules of the
specification's ``reconciliation-query-batch`` schema by :func:`parse_batch`, then each query
gets its candidates from the full-text index and a score anyone can recompute:

* **name similarity** ``s`` (0–1): the query and each of a candidate's names (labels,
  alternative and hidden labels, in every language) are folded (case and diacritics) and
  stripped of a designation ("kommun", "stad", "län", "municipality", "county", "city of"),
  with and without a genitive *s* before it ("Göteborgs stad" → "göteborg"); ``s`` is
  1 − (edit distance ÷ length of the longer) for the closest pair, or, if higher, the share
  of the longer form's words that the other holds ("broman" is half of "daniel broman").
* **property agreement** ``a`` (0–1): the share of the known properties given
  (``dk:municipalityCode``, ``dk:countyCode``, ``dk:inCounty``) whose value the candidate has.
  Codes are compared as digits padded with zeros ("186" is "0186"), a county by its id or name.
* **score** = 100·s with a name only, 100·a with properties only, 60·s + 40·a with both.
* **match** is true for the best candidate when its score is at least 90 and the next one is
  at least 10 points behind: OpenRefine may then accept it without asking.

Unknown properties are ignored (the answer says so in its features); unknown types match
nothing.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from kg.namespaces import BASE, DK
from kg.web.services.search_lookup import (
    NAME_WEIGHTS,
    RECORD_KINDS,
    SearchIndex,
    edit_distance,
    tokens,
)

NAME_RANK = ", ".join(str(w) for w in NAME_WEIGHTS)

ID_SPACE = BASE + "id/"
#: The types offered to OpenRefine, most specific first (a municipality is an organisation).
TYPES = (str(DK.Municipality), str(DK.County), str(DK.Person), str(DK.Organisation))
#: Properties a query may give to sharpen a match, with the width a code is padded to.
PROPERTIES = {str(DK.municipalityCode): 4, str(DK.countyCode): 2, str(DK.inCounty): 0}
IN_COUNTY = str(DK.inCounty)
QUERY_FIELDS = frozenset({"query", "type", "limit", "properties", "type_strict"})
MAX_QUERIES = 100
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
#: Types, properties and values per property a query may list (each costs a lookup).
MAX_LIST = 20
#: Longer cells are cut: the first words decide, and edit distances stay cheap.
MAX_QUERY_CHARS = 200
#: Candidates taken from the index before scoring.
CANDIDATES = 25
MATCH_SCORE = 90.0
MATCH_LEAD = 10.0
#: Points a post or a record (nomination, statement …) loses when the query names no type: a
#: person and the post that repeats their name tie otherwise, and the person is meant.
RECORD_PENALTY = 15.0
NAME_WEIGHT, PROPERTY_WEIGHT = 0.6, 0.4
#: Words that say what kind of body a name is, not which one (folded).
DESIGNATIONS = ("kommun", "stad", "lan", "municipality", "county", "region")
LEADING_DESIGNATIONS = (("city", "of"), ("municipality", "of"), ("county", "of"))


class BadBatchError(ValueError):
    """The ``queries`` parameter breaks the specification; the message says where."""


@dataclass
class Query:
    text: str = ""
    types: list[str] = field(default_factory=list)
    type_strict: str = "any"
    limit: int = DEFAULT_LIMIT
    #: (property IRI or the pid as given, values)
    properties: list[tuple[str, list]] = field(default_factory=list)


def parse_batch(raw: str) -> dict[str, Query]:
    """A batch as the 0.2 schema allows it, or :class:`BadBatchError` naming what is wrong."""
    try:
        batch = json.loads(raw)
    except ValueError as error:
        raise BadBatchError(f"queries is not JSON: {error}") from None
    except RecursionError:
        raise BadBatchError("queries nests deeper than JSON parsing allows") from None
    if not isinstance(batch, dict):
        raise BadBatchError("queries must be a JSON object of queries keyed by name")
    if len(batch) > MAX_QUERIES:
        raise BadBatchError(f"a batch holds at most {MAX_QUERIES} queries, this one {len(batch)}")
    return {key: _parse_query(key, value) for key, value in batch.items()}


def _parse_query(key: str, value: object) -> Query:
    if not isinstance(value, dict):
        raise BadBatchError(f"{key}: a query must be a JSON object")
    unknown = sorted(set(value) - QUERY_FIELDS)
    if unknown:
        raise BadBatchError(
            f"{key}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(QUERY_FIELDS))})"
        )
    query = Query()
    if "query" in value:
        if not isinstance(value["query"], str):
            raise BadBatchError(f"{key}: query must be a string")
        query.text = value["query"][:MAX_QUERY_CHARS]
    elif not value.get("properties"):
        raise BadBatchError(f"{key}: a query needs a query string or at least one property")
    if "type" in value:
        types = value["type"]
        types = [types] if isinstance(types, str) else types
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise BadBatchError(f"{key}: type must be a string or a list of strings")
        if len(types) > MAX_LIST:
            raise BadBatchError(f"{key}: type lists at most {MAX_LIST} types")
        query.types = [expand_type(t) for t in types]
    if "type_strict" in value:
        if value["type_strict"] not in ("any", "should", "all"):
            raise BadBatchError(f"{key}: type_strict must be any, should or all")
        query.type_strict = value["type_strict"]
    if "limit" in value:
        limit = value["limit"]
        if isinstance(limit, bool) or not isinstance(limit, int | float):
            raise BadBatchError(f"{key}: limit must be a number")
        if not math.isfinite(limit):  # 1e999 and NaN parse as floats
            raise BadBatchError(f"{key}: limit must be a finite number, not {limit}")
        if limit < 1:
            raise BadBatchError(f"{key}: limit must be at least 1")
        if limit > MAX_LIMIT:
            raise BadBatchError(f"{key}: limit must be at most {MAX_LIMIT}")
        query.limit = int(limit)
    if "properties" in value:
        query.properties = _parse_properties(key, value["properties"])
    return query


def _parse_properties(key: str, properties: object) -> list[tuple[str, list]]:
    if not isinstance(properties, list):
        raise BadBatchError(f"{key}: properties must be a list")
    if len(properties) > MAX_LIST:
        raise BadBatchError(f"{key}: properties lists at most {MAX_LIST} properties")
    parsed = []
    for item in properties:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item:
            raise BadBatchError(f"{key}: each property needs a pid and a value v")
        if not isinstance(item["pid"], str):
            raise BadBatchError(f"{key}: a property's pid must be a string")
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        if len(values) > MAX_LIST:
            raise BadBatchError(f"{key}: a property has at most {MAX_LIST} values")
        for v in values:
            if isinstance(v, float) and not math.isfinite(v):
                raise BadBatchError(f"{key}: a property value must be a finite number")
            if isinstance(v, dict):
                if not isinstance(v.get("id"), str):
                    raise BadBatchError(f"{key}: an entity value needs a string id")
            elif not isinstance(v, str | int | float | bool):
                raise BadBatchError(f"{key}: a property value must be text, number or entity")
        parsed.append((expand_property(item["pid"]), values))
    return parsed


def expand_type(identifier: str) -> str:
    """``dk:Municipality`` and ``Municipality`` name the same type as its full IRI."""
    return _expand(identifier)


def expand_property(identifier: str) -> str:
    return _expand(identifier)


def _expand(identifier: str) -> str:
    if identifier.startswith("dk:"):
        return str(DK) + identifier[3:]
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", identifier):
        return str(DK) + identifier
    return identifier


# ---------------------------------------------------------------------------
# Names and scores
# ---------------------------------------------------------------------------


def name_keys(text: str) -> set[str]:
    """The forms a name is compared in: folded words, and without a designation (with and
    without the genitive s before it): "Lidingö stad" → {"lidingo stad", "lidingo"}."""
    words = tokens(text[:MAX_QUERY_CHARS])
    keys = {" ".join(words)}
    core = list(words)
    for lead in LEADING_DESIGNATIONS:
        if len(core) > len(lead) and tuple(core[: len(lead)]) == lead:
            core = core[len(lead) :]
    stripped = len(core) > 1 and core[-1] in DESIGNATIONS
    if stripped:
        core = core[:-1]
    keys.add(" ".join(core))
    if stripped and core[-1].endswith("s") and len(core[-1]) > 3:
        keys.add(" ".join([*core[:-1], core[-1][:-1]]))
    keys.discard("")
    return keys


def similarity(query_keys: set[str], names: list[str]) -> float:
    """1 − edit distance ÷ longer length, or the share of the longer form's words the other
    holds, for the closest pair of forms (1.0: the same)."""
    best = 0.0
    for name in names:
        keys = name_keys(name)
        if query_keys & keys:
            return 1.0
        for q in query_keys:
            for k in keys:
                q_words, k_words = q.split(), k.split()
                best = max(best, len(set(q_words) & set(k_words)) / max(len(q_words), len(k_words)))
                longest = max(len(q), len(k))
                cap = longest // 2  # beyond half the length the pair is no match anyway
                distance = edit_distance(q, k, cap)
                if distance <= cap:
                    best = max(best, 1 - distance / longest)
    return best


def normalised_code(value: object, width: int) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(int(value))
    if not isinstance(value, str):
        return None
    digits = re.sub(r"\s", "", value)
    return digits.zfill(width) if digits.isdigit() else None


@dataclass
class Candidate:
    id: int
    iri: str
    kind: str
    names: list[str]
    shown: dict[str, str]
    description: dict[str, str | None]
    types: list[str]
    facts: dict[str, set[str]]
    similarity: float | None = None
    agreement: float | None = None
    score: float = 0.0
    match: bool = False


class Matcher:
    """Candidates and scores for queries, from one build's index."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def reconcile(self, query: Query) -> list[Candidate]:
        known = [(pid, values) for pid, values in query.properties if pid in PROPERTIES]
        ids = self._by_name(query) + self._by_property(known)
        candidates = self._load(list(dict.fromkeys(ids)))
        candidates = [c for c in candidates if self._type_ok(c, query)]
        query_keys = name_keys(query.text) if tokens(query.text) else set()
        for c in candidates:
            parts = []
            if query_keys:
                c.similarity = similarity(query_keys, c.names)
                parts.append((NAME_WEIGHT, c.similarity))
            if known:
                c.agreement = sum(self._agrees(c, pid, v) for pid, v in known) / len(known)
                parts.append((PROPERTY_WEIGHT, c.agreement))
            if parts:
                total = sum(weight for weight, _ in parts)
                c.score = round(100 * sum(w * value for w, value in parts) / total, 1)
        if not query.types:  # without a type, a thing outranks the posts and records about it
            for c in candidates:
                if c.kind in RECORD_KINDS:
                    c.score = max(0.0, round(c.score - RECORD_PENALTY, 1))
        candidates.sort(key=lambda c: (-c.score, c.kind in RECORD_KINDS, c.shown["sv"], c.iri))
        candidates = [c for c in candidates if c.score > 0][: query.limit]
        if candidates and candidates[0].score >= MATCH_SCORE:
            runner_up = candidates[1].score if len(candidates) > 1 else 0.0
            candidates[0].match = candidates[0].score - runner_up >= MATCH_LEAD
        return candidates

    def _by_name(self, query: Query) -> list[int]:
        words = tokens(query.text)
        if not words:
            return []
        significant = [w for w in words if w not in DESIGNATIONS] or words
        expression = self.index.expression(significant, any_word=True, column="names")
        rows = self.index.rows(
            # Only the constant weights are formatted in; the expression is a parameter.
            "SELECT t.id FROM text JOIN things t ON t.id = text.rowid "  # noqa: S608
            "WHERE text MATCH ? AND t.kind != 'term' "
            f"ORDER BY bm25(text, {NAME_RANK}), t.iri LIMIT ?",
            (expression, CANDIDATES),
        )
        return [row[0] for row in rows]

    def _by_property(self, known: list[tuple[str, list]]) -> list[int]:
        ids: list[int] = []
        for pid, values in known:
            for value in values:
                for wanted in self._fact_values(pid, value):
                    ids += [
                        row[0]
                        for row in self.index.rows(
                            "SELECT thing FROM facts WHERE property = ? AND value = ? "
                            "ORDER BY thing LIMIT ?",
                            (pid, wanted, MAX_LIMIT),
                        )
                    ]
        return ids

    def _fact_values(self, pid: str, value: object) -> list[str]:
        """The stored values a given value stands for: a padded code, or county IRIs."""
        width = PROPERTIES[pid]
        if width:
            code = normalised_code(value["id"] if isinstance(value, dict) else value, width)
            return [code] if code else []
        if isinstance(value, dict):
            return [value["id"] if "://" in value["id"] else ID_SPACE + value["id"]]
        if not isinstance(value, str) or not tokens(value):
            return []
        keys = name_keys(value)
        rows = self.index.rows(
            "SELECT DISTINCT t.iri, n.name FROM things t JOIN names n ON n.thing = t.id "
            "WHERE t.kind = 'county' ORDER BY t.iri"
        )
        return sorted({iri for iri, name in rows if keys & name_keys(name)})

    def _agrees(self, candidate: Candidate, pid: str, values: list) -> bool:
        have = candidate.facts.get(pid, set())
        return any(wanted in have for v in values for wanted in self._fact_values(pid, v))

    @staticmethod
    def _type_ok(candidate: Candidate, query: Query) -> bool:
        if not query.types:
            return True
        present = [t in candidate.types for t in query.types]
        return all(present) if query.type_strict == "all" else any(present)

    def _load(self, ids: list[int]) -> list[Candidate]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        names = self.index.names_of(ids)
        types: dict[int, list[str]] = {}
        for thing, cls in self.index.rows(
            f"SELECT thing, class FROM types WHERE thing IN ({marks}) ORDER BY class",  # noqa: S608
            ids,
        ):
            types.setdefault(thing, []).append(cls)
        facts: dict[int, dict[str, set[str]]] = {}
        for thing, prop, value in self.index.rows(
            f"SELECT thing, property, value FROM facts WHERE thing IN ({marks})",  # noqa: S608
            ids,
        ):
            facts.setdefault(thing, {}).setdefault(prop, set()).add(value)
        return [
            Candidate(
                id=row[0],
                iri=row[1],
                kind=row[2],
                names=names.get(row[0], []),
                shown={"sv": row[3], "en": row[4]},
                description={"sv": row[5], "en": row[6]},
                types=types.get(row[0], []),
                facts=facts.get(row[0], {}),
            )
            for row in self.index.rows(
                "SELECT id, iri, kind, name_sv, name_en, description_sv, description_en "  # noqa: S608
                f"FROM things WHERE id IN ({marks}) AND kind != 'term'",
                ids,
            )
        ]
