"""What search engines and link previews read (issue #24, item 7): schema.org JSON-LD made
from the graph, for ``<script type="application/ld+json">`` blocks.

The dataset's own ``Dataset`` block is made by the services next to the DCAT catalogue it
reads (:mod:`kg.web.services.dataset_jsonld`). ``entity_jsonld`` describes one thing of the
graph as a schema.org Place, GovernmentOrganization, Organization, Person or Event; entity
pages call it in base.html's ``jsonld`` block. A JSON-LD block is data, not script: the
Content-Security-Policy does not apply to it, and ``<`` is escaped so no text can close it.
"""

from __future__ import annotations

import json

from markupsafe import Markup

from kg.web.site.rendering import select

SCHEMA = "https://schema.org"
DK = "https://w3id.org/digikommun/ontology#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
#: our classes → schema.org types (the most specific first wins)
TYPES = [
    (DK + "Municipality", ["Place", "GovernmentOrganization"]),
    (DK + "County", ["Place", "AdministrativeArea"]),
    (DK + "Person", ["Person"]),
    (DK + "AwardEdition", ["Event"]),
    (DK + "Ceremony", ["Event"]),
    (DK + "Fair", ["Event"]),
    (DK + "Seminar", ["Event"]),
    (DK + "Event", ["Event"]),
    (DK + "Organisation", ["Organization"]),
    ("http://www.w3.org/ns/org#Organization", ["Organization"]),
    (DK + "Place", ["Place"]),
]


def json_ld_script(data: dict) -> Markup:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")
    return Markup(f'<script type="application/ld+json">{text}</script>')  # noqa: S704 - escaped


def entity_jsonld(iri: str, lang: str) -> Markup:
    """One thing of the graph in schema.org terms; empty when it is none of the kinds above."""
    rows = select(
        f"""SELECT ?type ?name ?lat ?long ?same WHERE {{
          <{iri}> a ?type .
          OPTIONAL {{ <{iri}> skos:prefLabel ?name FILTER (lang(?name) = "{lang}") }}
          OPTIONAL {{ <{iri}> rdfs:label ?name FILTER (lang(?name) = "{lang}") }}
          OPTIONAL {{ <{iri}> <{GEO}lat> ?lat ; <{GEO}long> ?long }}
          OPTIONAL {{ <{iri}> <http://www.w3.org/2002/07/owl#sameAs> ?same }}
        }}"""
    )
    found = {row["type"].value for row in rows}
    kinds = next((t for cls, t in TYPES if cls in found), None)
    if kinds is None:
        return Markup("")
    names = sorted({row["name"].value for row in rows if "name" in row}, key=len)
    data: dict = {"@context": SCHEMA, "@type": kinds, "@id": iri, "url": iri}
    if names:
        data["name"] = names[0]
    geo = next((row for row in rows if "lat" in row), None)
    if geo is not None and "Place" in kinds:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(geo["lat"].value),
            "longitude": float(geo["long"].value),
        }
    same = sorted({row["same"].value for row in rows if "same" in row})
    if same:
        data["sameAs"] = same
    return json_ld_script(data)
