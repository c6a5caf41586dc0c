"""The full fact table of an entity page, for linked-data users: one row per property and value,
with the graphs that state it, and twins merged.

Reasoning adds, next to an asserted ``post dk:postIn mun``, the same link under its super-property
(``org:postIn``) and under an inverse (``mun org:hasPost post``). Listed apart they make the same
fact look like three. A row is a *twin* of another when both link the same pair of nodes and its
property is a super-property of the other's, or an inverse of it (or of one of its
super-properties). The twin folds into the row it repeats, which names it as "also".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kg.namespaces import INFERRED_GRAPH
from kg.store import Term
from kg.web.site.rendering import engine, select


@dataclass
class Fact:
    """One row on an entity page: a property and a value, and the graphs that state it."""

    prop: str
    value: Term
    graphs: set[str] = field(default_factory=set)
    outgoing: bool = True
    also: list[Fact] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        return self.graphs == {str(INFERRED_GRAPH)}

    @property
    def sources(self) -> list[str]:
        return sorted(g for g in self.graphs if g != str(INFERRED_GRAPH))


def facts(rows: list[dict[str, Term]], key: str, outgoing: bool) -> list[Fact]:
    grouped: dict[tuple[str, Term], Fact] = {}
    for row in rows:
        index = (row["p"].value, row[key])
        fact = grouped.setdefault(index, Fact(row["p"].value, row[key], outgoing=outgoing))
        fact.graphs.add(row["g"].value)
    return list(grouped.values())


@dataclass(frozen=True)
class PropertyFamily:
    """Which properties repeat which: super-properties, and inverses (of a property or of one
    of its super-properties)."""

    supers: dict[str, frozenset[str]]
    inverses: dict[str, frozenset[str]]


_FAMILIES: dict[str, PropertyFamily] = {}


def property_family() -> PropertyFamily:
    """Read once per artifact version: the model does not change while the server runs."""
    version = str(engine().version)
    if version not in _FAMILIES:
        supers: dict[str, set[str]] = defaultdict(set)
        inverse: dict[str, set[str]] = defaultdict(set)
        for row in select(
            "SELECT ?p ?q ?how WHERE { "
            "{ ?p rdfs:subPropertyOf+ ?q BIND ('super' AS ?how) } UNION "
            "{ ?p owl:inverseOf ?q BIND ('inverse' AS ?how) } UNION "
            "{ ?q owl:inverseOf ?p BIND ('inverse' AS ?how) } "
            "FILTER (isIRI(?p) && isIRI(?q) && ?p != ?q) }"
        ):
            target = supers if row["how"].value == "super" else inverse
            target[row["p"].value].add(row["q"].value)
        inverses = {
            p: frozenset(inverse[p] | {i for s in supers.get(p, ()) for i in inverse.get(s, ())})
            for p in set(supers) | set(inverse)
        }
        _FAMILIES.clear()
        _FAMILIES[version] = PropertyFamily(
            {p: frozenset(qs) for p, qs in supers.items()}, inverses
        )
    return _FAMILIES[version]


def _repeats(twin: Fact, kept: Fact, family: PropertyFamily) -> bool:
    if twin.value != kept.value or twin is kept:
        return False
    if twin.outgoing == kept.outgoing:
        return twin.prop in family.supers.get(kept.prop, ())
    return twin.prop in family.inverses.get(kept.prop, ())


def merge_twins(
    out: list[Fact], inc: list[Fact], family: PropertyFamily
) -> tuple[list[Fact], list[Fact]]:
    """Fold every twin into the row it repeats. An asserted row is kept before an inferred one,
    and among equals the more specific property (the one the twin generalises or inverts)."""
    every = out + inc
    by_value: dict[Term, list[Fact]] = defaultdict(list)
    for fact in sorted(every, key=lambda f: (f.inferred, not f.outgoing)):
        by_value[fact.value].append(fact)  # keepers first: asserted, then outgoing
    folded: set[int] = set()
    for twin in sorted(every, key=lambda f: (not f.inferred, f.outgoing)):
        if id(twin) in folded:
            continue
        for kept in by_value[twin.value]:
            if id(kept) not in folded and _repeats(twin, kept, family):
                kept.also.append(twin)
                folded.add(id(twin))
                break
    return (
        [f for f in out if id(f) not in folded],
        [f for f in inc if id(f) not in folded],
    )
