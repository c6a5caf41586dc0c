"""Links to other datasets, counted per target dataset for VoID's ``void:Linkset``s.

The LOD cloud and VoID consumers ask: which datasets does this one link to, through which
properties, and how many links? The answer is counted from the store every time (never written
down), so it follows the data: outward links in ``data/ttl/links/`` appear in VoID and the
catalog as soon as a build holds them. Which IRIs belong to which dataset is the one thing
declared by hand, in :data:`TARGETS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.namespaces import BASE
from kg.store import Bindings, Engine


@dataclass(frozen=True)
class Target:
    """A dataset we link to: the IRI prefixes of its things, and the IRI that names it."""

    slug: str
    title: str
    dataset: str
    homepage: str
    namespaces: tuple[str, ...]


#: The datasets our links point into. A link counts for a target when its object starts with one
#: of the target's namespaces; both http and https forms are listed where both are in use.
TARGETS: tuple[Target, ...] = (
    Target(
        "wikidata",
        "Wikidata",
        "http://www.wikidata.org/",
        "https://www.wikidata.org/",
        ("http://www.wikidata.org/entity/", "https://www.wikidata.org/entity/"),
    ),
    Target(
        "dbpedia",
        "DBpedia",
        "http://dbpedia.org/",
        "https://www.dbpedia.org/",
        ("http://dbpedia.org/resource/", "https://dbpedia.org/resource/"),
    ),
    Target(
        "geonames",
        "GeoNames",
        "http://sws.geonames.org/",
        "https://www.geonames.org/",
        ("https://sws.geonames.org/", "http://sws.geonames.org/"),
    ),
    Target(
        "wikipedia-sv",
        "Wikipedia (svenska)",
        "https://sv.wikipedia.org/",
        "https://sv.wikipedia.org/",
        ("https://sv.wikipedia.org/wiki/", "http://sv.wikipedia.org/wiki/"),
    ),
    Target(
        "wikipedia-en",
        "Wikipedia (English)",
        "https://en.wikipedia.org/",
        "https://en.wikipedia.org/",
        ("https://en.wikipedia.org/wiki/", "http://en.wikipedia.org/wiki/"),
    ),
)


#: The properties that link a thing of ours to another dataset's thing or page. Triples that
#: merely mention an outside IRI are not links: the record of a link (``rdf:object``) and the page
#: a fact was read from (``prov:wasDerivedFrom``) point outside too.
LINK_PREDICATES: tuple[str, ...] = (
    "http://www.w3.org/2004/02/skos/core#exactMatch",
    "http://www.w3.org/2004/02/skos/core#closeMatch",
    "http://www.w3.org/2004/02/skos/core#relatedMatch",
    "http://www.w3.org/2004/02/skos/core#broadMatch",
    "http://www.w3.org/2004/02/skos/core#narrowMatch",
    "https://schema.org/sameAs",
    "http://www.w3.org/2002/07/owl#sameAs",
    "http://xmlns.com/foaf/0.1/isPrimaryTopicOf",
    "http://xmlns.com/foaf/0.1/page",
)


@dataclass(frozen=True)
class Linkset:
    """The links from our things into one target dataset, with the properties they use."""

    target: Target
    triples: int
    predicates: dict[str, int]

    @property
    def iri(self) -> str:
        return f"{BASE}void#linkset-{self.target.slug}"


#: Every link of ours, grouped: one query for all targets (a FILTER per target made the
#: reference engine scan the graph once per target); the targets are told apart in Python.
OUTWARD = (
    "SELECT ?p ?o (COUNT(*) AS ?n) WHERE { "
    f"VALUES ?p {{ {' '.join(f'<{p}>' for p in LINK_PREDICATES)} }} ?s ?p ?o "
    f'FILTER (isIRI(?s) && isIRI(?o) && STRSTARTS(STR(?s), "{BASE}") '
    f'&& !STRSTARTS(STR(?o), "{BASE}")) }} GROUP BY ?p ?o'
)


def target_of(iri: str, targets: tuple[Target, ...] = TARGETS) -> Target | None:
    """The target dataset an IRI belongs to, by the declared namespaces."""
    return next((t for t in targets if iri.startswith(t.namespaces)), None)


def linksets(engine: Engine, targets: tuple[Target, ...] = TARGETS) -> list[Linkset]:
    """Every target the default graph links into (each triple once), in the table's order.

    A link is a triple whose predicate is one of :data:`LINK_PREDICATES`, whose subject is one
    of our IRIs and whose object is in the target's namespaces; targets with no link are left
    out rather than announced with zero triples.
    """
    result = engine.query(OUTWARD)
    assert isinstance(result, Bindings)
    counted: dict[str, dict[str, int]] = {}
    for row in result.rows:
        target = target_of(row["o"].value, targets)
        if target is not None:
            by_predicate = counted.setdefault(target.slug, {})
            p = row["p"].value
            by_predicate[p] = by_predicate.get(p, 0) + int(row["n"].value)
    return [
        Linkset(t, sum(counted[t.slug].values()), dict(sorted(counted[t.slug].items())))
        for t in targets
        if t.slug in counted
    ]
