"""The dataset as a schema.org ``Dataset`` for search engines (issue #24, item 7).

It follows Google's Dataset guidelines (name, description, url, license, creator, keywords,
temporal and spatial coverage, and one ``DataDownload`` per file with its ``contentUrl`` and
``encodingFormat``), read from the same catalogue graph as ``/catalog.rdf``, so the two never
disagree. It lives with the catalogue, among the services; the site's pages embed it.
"""

from __future__ import annotations

from markupsafe import Markup
from rdflib.namespace import DCAT, DCTERMS

from kg.namespaces import BASE
from kg.web.services.metadata import (
    CC_BY,
    DATASET,
    DCAT_VERSION,
    KEYWORDS,
    PERIOD,
    PUBLISHER_NAME,
    catalog_graph,
)
from kg.web.site.seo import SCHEMA, json_ld_script


def dataset_jsonld(lang: str) -> Markup:
    """The dataset as a schema.org ``Dataset``, from the DCAT catalogue."""
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
    return json_ld_script(
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
