"""Data extension for ``/reconcile`` (W3C Reconciliation API 0.2, "Data extension").

Once a column is reconciled, OpenRefine asks which properties it may add as columns
(``/reconcile/propose_properties?type=…``) and then their values for a batch of ids
(``extend={"ids": […], "properties": [{"id": …}]}``). The properties offered are the facts
people want beside a municipality or a person: county, municipality code, the editions won
and nominated for, coordinates, the Wikipedia article, and a person's posts and
organisations. Each is one SPARQL pattern over the graph (``?item`` bound by ``VALUES``), so
the values are the graph's own, and one query answers a whole batch per property.

Property ids are our ontology's IRIs where the ontology has the property
(``dk:inCounty``, ``dk:municipalityCode``); the others name a path the ontology does not
hold as one property (``won``, ``nominatedFor``, ``coordinates`` …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kg.namespaces import DK
from kg.web.services.reconcile_match import ID_SPACE, BadBatchError, expand_type

#: Most ids and properties in one extend request (OpenRefine sends ten ids at a time).
MAX_IDS = 500
MAX_PROPERTIES = 20

MUNICIPALITY = str(DK.Municipality)
PERSON = str(DK.Person)
ORGANISATION = str(DK.Organisation)


@dataclass(frozen=True)
class Extension:
    """One property offered as a column: its names, the types it suits, its pattern."""

    id: str
    sv: str
    en: str
    types: tuple[str, ...]
    #: A SPARQL group pattern binding ``?value`` (and, for an entity, ``?name``) for ``?item``.
    pattern: str
    #: ``entity`` (one of our things, with its name) or ``str``.
    kind: str = "str"
    #: The class of an entity's values (the column's type in OpenRefine).
    value_type: str = ""

    def name(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


def _named(path: str) -> str:
    return f"?item {path} ?value . ?value skos:prefLabel ?name FILTER (LANG(?name) = ?lang)"


EXTENSIONS = (
    Extension(
        str(DK.inCounty),
        "län",
        "county",
        (MUNICIPALITY,),
        _named("dk:inCounty"),
        "entity",
        str(DK.County),
    ),
    Extension(
        str(DK.municipalityCode),
        "kommunkod",
        "municipality code",
        (MUNICIPALITY,),
        "?item dk:municipalityCode ?value",
    ),
    Extension(
        "won",
        "vunna omgångar",
        "editions won",
        (MUNICIPALITY, ORGANISATION),
        "?n dk:nominee ?item ; dk:stage dk:Winner ; dk:forEdition ?value . "
        "?value skos:prefLabel ?name FILTER (LANG(?name) = ?lang)",
        "entity",
        str(DK.AwardEdition),
    ),
    Extension(
        "nominatedFor",
        "nominerad i omgångar",
        "editions nominated for",
        (MUNICIPALITY, ORGANISATION),
        "?n dk:nominee ?item ; dk:forEdition ?value . "
        "?value skos:prefLabel ?name FILTER (LANG(?name) = ?lang)",
        "entity",
        str(DK.AwardEdition),
    ),
    Extension(
        "coordinates",
        "koordinater (lat,long)",
        "coordinates (lat,long)",
        (MUNICIPALITY,),
        "?item <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat ; "
        "<http://www.w3.org/2003/01/geo/wgs84_pos#long> ?long "
        'BIND (CONCAT(STR(?lat), ",", STR(?long)) AS ?value)',
    ),
    Extension(
        "wikipedia",
        "Wikipediaartikel",
        "Wikipedia article",
        (MUNICIPALITY, PERSON, ORGANISATION),
        "?item foaf:isPrimaryTopicOf ?page "
        'FILTER (STRSTARTS(STR(?page), CONCAT("https://", ?lang, ".wikipedia.org/"))) '
        "BIND (STR(?page) AS ?value)",
    ),
    Extension(
        "post",
        "befattning",
        "post",
        (PERSON,),
        "?p org:heldBy ?item ; dk:postTitle ?title "
        'FILTER (LANG(?title) = ?lang || LANG(?title) = "sv") BIND (STR(?title) AS ?value)',
    ),
    Extension(
        "organisation",
        "organisation",
        "organisation",
        (PERSON,),
        "?p org:heldBy ?item ; org:postIn ?value . "
        "?value skos:prefLabel ?name FILTER (LANG(?name) = ?lang)",
        "entity",
        ORGANISATION,
    ),
)
BY_ID = {e.id: e for e in EXTENSIONS}


def proposals(type_id: str | None, lang: str, limit: int | None) -> dict:
    """The properties offered for ``type_id`` (all when no type), as the spec's proposal."""
    wanted = expand_type(type_id) if type_id else None
    found = [
        {"id": e.id, "name": e.name(lang)}
        for e in EXTENSIONS
        if wanted is None or wanted in e.types
    ]
    body: dict = {"properties": found[:limit] if limit else found}
    if type_id:
        body["type"] = type_id
    if limit:
        body["limit"] = limit
    return body


def parse_extend(raw: str) -> tuple[list[str], list[str]]:
    """The ids and property ids of an extend request; :class:`BadBatchError` says what is
    wrong in one line."""
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise BadBatchError(f"extend is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise BadBatchError("extend must be a JSON object with ids and properties")
    ids, props = body.get("ids"), body.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadBatchError("extend.ids must be a list of ids such as municipality/lidingo")
    if not isinstance(props, list) or not all(
        isinstance(p, dict) and isinstance(p.get("id"), str) for p in props
    ):
        raise BadBatchError('extend.properties must be a list of objects such as {"id": "won"}')
    if len(ids) > MAX_IDS or len(props) > MAX_PROPERTIES:
        raise BadBatchError(
            f"extend takes at most {MAX_IDS} ids and {MAX_PROPERTIES} properties at a time"
        )
    unknown = [p["id"] for p in props if p["id"] not in BY_ID]
    if unknown:
        known = ", ".join(BY_ID)
        raise BadBatchError(f"unknown property {unknown[0]!r}; known properties: {known}")
    return ids, [p["id"] for p in props]


def _iri(identifier: str) -> str | None:
    iri = identifier if identifier.startswith(ID_SPACE) else ID_SPACE + identifier
    rest = iri[len(ID_SPACE) :]
    if not rest or any(c in rest for c in '<>" {}|\\^`\n'):
        return None
    return iri


def extend(
    engine, ids: list[str], properties: list[str], lang: str, type_names: dict[str, str]
) -> dict:
    """The spec's extension response: ``meta`` (the columns) and ``rows`` (id → property →
    values), one SPARQL query per property for the whole batch."""
    rows: dict[str, dict[str, list]] = {i: {p: [] for p in properties} for i in ids}
    iris = {i: iri for i in ids if (iri := _iri(i)) is not None}
    by_iri = {iri: i for i, iri in iris.items()}
    values = " ".join(f"<{iri}>" for iri in sorted(set(iris.values())))
    for pid in properties:
        ext = BY_ID[pid]
        if not values:
            break
        name = " ?name" if ext.kind == "entity" else ""
        sparql = (
            f"SELECT DISTINCT ?item ?value{name} WHERE {{ VALUES ?item {{ {values} }} "
            f'BIND ("{lang}" AS ?lang) {ext.pattern} }} ORDER BY ?item ?value'
        )
        for row in engine.query(sparql).rows:
            identifier = by_iri.get(row["item"].value)
            if identifier is None:
                continue
            value = row["value"].value
            if ext.kind == "entity":
                cell = {"id": value[len(ID_SPACE) :], "name": row["name"].value}
            else:
                cell = {"str": value}
            if cell not in rows[identifier][pid]:
                rows[identifier][pid].append(cell)
    meta = []
    for pid in properties:
        ext = BY_ID[pid]
        column: dict = {"id": pid, "name": ext.name(lang)}
        if ext.value_type:
            column["type"] = {"id": ext.value_type, "name": type_names.get(ext.value_type, "")}
        meta.append(column)
    return {"meta": meta, "rows": rows}
