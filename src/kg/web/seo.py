"""What search engines and link previews read (issue #24, item 7): schema.org JSON-LD made
from the graph and the DCAT catalogue, for ``<script type="application/ld+json">`` blocks.

``dataset_jsonld`` follows Google's Dataset guidelines (name, description, url, license,
creator, keywords, temporal and spatial coverage, and one ``DataDownload`` per file with its
``contentUrl`` and ``encodingFormat``), read from the same catalogue graph as
``/catalog.rdf``, so the two never disagree. ``entity_jsonld`` describes one thing of the
graph as a schema.org Place, GovernmentOrganization, Organization, Person or Event; entity
pages call it in base.html's ``jsonld`` block. A JSON-LD block is data, not script: the
Content-Security-Policy does not apply to it, and ``<`` is escaped so no text can close it.
"""

from __future__ import annotations

import json

from markupsafe import Markup
from rdflib.namespace import DCAT, DCTERMS

from kg.namespaces import BASE
from kg.web.rendering import select

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


def _script(data: dict) -> Markup:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")
    return Markup(f'<script type="application/ld+json">{text}</script>')  # noqa: S704 - escaped


def dataset_jsonld(lang: str) -> Markup:
    """The dataset as a schema.org ``Dataset``, from the DCAT catalogue."""
    from kg.web.metadata import (
        CC_BY,
        DATASET,
        DCAT_VERSION,
        KEYWORDS,
        PERIOD,
        PUBLISHER_NAME,
        catalog_graph,
    )

    g = catalog_graph()

    def text(node, prop) -> str:
        values = {v.language: str(v) for v in g.objects(node, prop)}
        return values.get(lang) or values.get("en") or next(iter(values.values()), "")

    downloads = []
    for dist in sorted(g.objects(DATASET, DCAT.distribution)):
        url = g.value(dist, DCAT.downloadURL)
        media = g.value(dist, DCAT.mediaType)
        if url is None or media is None:
            continue  # the SPARQL service is an access point, not a download
        downloads.append(
            {
                "@type": "DataDownload",
                "name": text(dist, DCTERMS.title),
                "contentUrl": str(url),
                "encodingFormat": str(media).rsplit("media-types/", 1)[-1],
            }
        )
    start, end = g.value(PERIOD, DCAT.startDate), g.value(PERIOD, DCAT.endDate)
    return _script(
        {
            "@context": SCHEMA,
            "@type": "Dataset",
            "@id": str(DATASET),
            "name": text(DATASET, DCTERMS.title),
            "description": text(DATASET, DCTERMS.description),
            "url": BASE,
            "identifier": BASE,
            "version": str(g.value(DATASET, DCAT_VERSION) or ""),
            "license": str(g.value(DATASET, DCTERMS.license) or CC_BY),  # the data's licence
            "isAccessibleForFree": True,
            "inLanguage": "sv",
            "keywords": KEYWORDS[lang],
            "creator": {"@type": "Organization", "name": PUBLISHER_NAME, "url": BASE},
            "temporalCoverage": f"{start}/{end}",
            "spatialCoverage": {"@type": "Place", "name": "Sverige" if lang == "sv" else "Sweden"},
            "distribution": downloads,
        }
    )


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
    return _script(data)
