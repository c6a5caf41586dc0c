"""Metadata that portals harvest: a DCAT-AP-SE catalog and a VoID description.

Sweden's data portal harvests DCAT-AP-SE in RDF/XML from one stable URL: ``/catalog.rdf``
(``/catalog`` negotiates; ``/catalog.ttl`` is Turtle). Every node has an IRI — harvesters
merge records by IRI and a blank node would be a new record at every harvest. The documents
keep the canonical ``https://w3id.org/digikommun/`` IRIs wherever the server runs.

Every outside IRI the catalog points to (licences, languages, themes, media types, file types,
URLs) is typed in the catalog itself with the class DCAT-AP gives as the property's range, and
concepts carry their ``skos:prefLabel``: the official DCAT-AP shapes check ``sh:class`` on these
nodes and a harvester does not dereference them (``tests/test_metadata.py``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from kg.linksets import Linkset, linksets
from kg.namespaces import BASE, INFERRED_GRAPH, ONTOLOGY_IRI, VOID
from kg.web.endpoint.rdf_documents import RDF_FORMATS, rdf_response
from kg.web.services.downloads import download_url, dumps
from kg.web.site.rendering import HTML, current_lang, engine, preferred, select

metadata = Blueprint("metadata", __name__)

ADMS_TYPE = Namespace("http://purl.org/adms/publishertype/")
EU = "http://publications.europa.eu/resource/authority/"
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; rdflib's DCAT namespace is DCAT 2
LINGUISTIC = DCTERMS.LinguisticSystem
MEDIA_OR_EXTENT = DCTERMS.MediaTypeOrExtent
CHECKSUM_ALG = SPDX.ChecksumAlgorithm
CATALOG = URIRef(BASE + "catalog")
DATASET = URIRef(BASE + "catalog#dataset")
PUBLISHER = URIRef(BASE + "catalog#publisher")
CONTACT = URIRef(BASE + "catalog#contact")
PERIOD = URIRef(BASE + "catalog#period")
SERVICE = URIRef(BASE + "catalog#sparql-service")
ENDPOINT = URIRef(BASE + "sparql")
GRAPH_STORE = URIRef(BASE + "store")
GRAPH_STORE_SERVICE = URIRef(BASE + "catalog#graph-store")
#: The SPARQL 1.1 Graph Store HTTP Protocol, the standard /store conforms to.
GRAPH_STORE_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-http-rdf-update/")
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
PUBLISHER_NAME = "Digitaliseringskommun knowledge graph team"  # dcterms:creator of the ontology
# No source names the publisher's legal form: the team is neither an authority nor a company and
# gives the data away under open licences, so the nearest ADMS type is a non-profit (README).
PUBLISHER_TYPE = ADMS_TYPE.NonProfitOrganisation
DATA_THEME = URIRef(EU + "data-theme")
#: EU data themes with their labels in the Publications Office's table (sv as DIGG lists them).
THEMES = {
    "GOVE": {"sv": "Regeringen och den offentliga sektorn", "en": "Government and public sector"},
    "TECH": {"sv": "Vetenskap och teknik", "en": "Science and technology"},
}

TITLE = {
    "sv": "Sveriges DigitaliseringsKommun som länkade data",
    "en": "Sveriges DigitaliseringsKommun as linked data",
}
DESCRIPTION = {
    "sv": "En kunskapsgraf om utmärkelsen Sveriges DigitaliseringsKommun (Sveriges IT-kommun "
    "till 2017): omgångar, nominerade och vinnare, juryer och motiveringar, kommunerna, de "
    "personer som talade för dem, deras initiativ och vad som sades. Varje uppgift är "
    "handtranskriberad ur fem svenska källtexter och kan spåras till sitt stycke.",
    "en": "A knowledge graph of the Swedish award Sveriges DigitaliseringsKommun (Sveriges "
    "IT-kommun until 2017): its editions, nominees and winners, juries and motivations, the "
    "municipalities, the people who spoke for them, their initiatives and what they said. "
    "Every fact is transcribed by hand from five Swedish source texts and can be traced to "
    "its passage.",
}
KEYWORDS = {
    "sv": ["digitalisering", "kommuner", "utmärkelser", "e-förvaltning", "länkade data"],
    "en": ["digitalisation", "municipalities", "awards", "e-government", "linked data"],
}


def _both(g: Graph, node: URIRef, prop: URIRef, texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        g.add((node, prop, Literal(text, lang=lang)))


def _a(g: Graph, node: URIRef, cls: URIRef) -> URIRef:
    """Type an outside IRI with the range DCAT-AP gives it, so the graph checks on its own."""
    g.add((node, RDF.type, cls))
    return node


def _bind(g: Graph) -> Graph:
    for prefix, ns in {
        "dcat": DCAT,
        "dcterms": DCTERMS,
        "foaf": FOAF,
        "vcard": VCARD,
        "spdx": SPDX,
        "skos": SKOS,
        "void": VOID,
        "adms": "http://www.w3.org/ns/adms#",
    }.items():
        g.bind(prefix, ns, override=True)
    return g


def _years() -> tuple[str, str]:
    row = select(
        """PREFIX award: <https://w3id.org/digikommun/id/award/>
        SELECT (MIN(STR(?y)) AS ?first) (MAX(STR(?y)) AS ?last) WHERE {
          ?e dk:editionOf award:sveriges-digitaliseringskommun ; dk:year ?y }"""
    )[0]
    return row["first"].value, row["last"].value


def catalog_graph() -> Graph:
    """The DCAT-AP-SE catalog: one catalog, one dataset with a distribution per download,
    and the SPARQL endpoint as a data service."""
    g = _bind(Graph())
    g.add((CATALOG, RDF.type, DCAT.Catalog))
    _both(
        g,
        CATALOG,
        DCTERMS.title,
        {
            "sv": "Katalog: Sveriges DigitaliseringsKommun som länkade data",
            "en": "Catalog: Sveriges DigitaliseringsKommun as linked data",
        },
    )
    _both(
        g,
        CATALOG,
        DCTERMS.description,
        {
            "sv": "Datamängden och SPARQL-tjänsten för kunskapsgrafen om Sveriges "
            "DigitaliseringsKommun.",
            "en": "The dataset and the SPARQL service of the Sveriges DigitaliseringsKommun "
            "knowledge graph.",
        },
    )
    g.add((CATALOG, DCTERMS.publisher, PUBLISHER))
    g.add((CATALOG, DCTERMS.license, _a(g, CC0, DCTERMS.LicenseDocument)))
    _a(g, CC_BY, DCTERMS.LicenseDocument)
    for lang in ("SWE", "ENG"):
        g.add((CATALOG, DCTERMS.language, _a(g, URIRef(EU + "language/" + lang), LINGUISTIC)))
    g.add((CATALOG, FOAF.homepage, _a(g, URIRef(BASE), FOAF.Document)))
    g.add((CATALOG, DCAT.dataset, DATASET))
    g.add((CATALOG, DCAT.service, SERVICE))

    g.add((PUBLISHER, RDF.type, FOAF.Agent))
    g.add((PUBLISHER, FOAF.name, Literal(PUBLISHER_NAME, lang="en")))
    g.add((PUBLISHER, DCTERMS.type, _a(g, PUBLISHER_TYPE, SKOS.Concept)))
    g.add((PUBLISHER_TYPE, SKOS.prefLabel, Literal("Non-Profit Organisation", lang="en")))

    g.add((CONTACT, RDF.type, VCARD.Organization))
    g.add((CONTACT, RDF.type, VCARD.Kind))  # DCAT-AP's range; no vCard subclass axioms here
    g.add((CONTACT, VCARD.fn, Literal(PUBLISHER_NAME)))
    g.add((CONTACT, VCARD.hasURL, URIRef(BASE)))

    g.add((DATASET, RDF.type, DCAT.Dataset))
    _both(g, DATASET, DCTERMS.title, TITLE)
    _both(g, DATASET, DCTERMS.description, DESCRIPTION)
    for lang, words in KEYWORDS.items():
        for word in words:
            g.add((DATASET, DCAT.keyword, Literal(word, lang=lang)))
    for code, labels in THEMES.items():
        theme = _a(g, URIRef(f"{DATA_THEME}/{code}"), SKOS.Concept)
        g.add((DATASET, DCAT.theme, theme))
        _both(g, theme, SKOS.prefLabel, labels)
        g.add((theme, SKOS.inScheme, DATA_THEME))
    g.add((DATASET, DCTERMS.publisher, PUBLISHER))
    g.add((DATASET, DCAT.contactPoint, CONTACT))
    g.add((DATASET, DCTERMS.identifier, Literal(BASE)))
    g.add((DATASET, DCTERMS.language, URIRef(EU + "language/SWE")))
    public = _a(g, URIRef(EU + "access-right/PUBLIC"), DCTERMS.RightsStatement)
    g.add((DATASET, DCTERMS.accessRights, public))
    g.add((DATASET, DCAT.landingPage, URIRef(BASE)))
    g.add((DATASET, DCTERMS.spatial, _a(g, URIRef(EU + "country/SWE"), DCTERMS.Location)))
    g.add((DATASET, DCAT_VERSION, Literal(engine().version)))
    first, last = _years()
    g.add((DATASET, DCTERMS.temporal, PERIOD))
    g.add((PERIOD, RDF.type, DCTERMS.PeriodOfTime))
    g.add((PERIOD, DCAT.startDate, Literal(first, datatype=XSD.gYear)))
    g.add((PERIOD, DCAT.endDate, Literal(last, datatype=XSD.gYear)))
    g.add((DATASET, DCTERMS.conformsTo, _a(g, URIRef(ONTOLOGY_IRI), DCTERMS.Standard)))

    for dump in dumps():
        dist = URIRef(f"{BASE}catalog#dist-{dump.name.rsplit('-', 1)[-1].replace('.', '-')}")
        _distribution(
            g,
            dist,
            download_url(dump.name),
            dump.kind.media_type,
            dump.kind.file_type,
            {"sv": dump.kind.title_sv, "en": dump.kind.title_en},
        )
        g.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(str(dist) + "-sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, _a(g, SPDX.checksumAlgorithm_sha256, CHECKSUM_ALG)))
        g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    _distribution(
        g,
        URIRef(BASE + "catalog#dist-ontology"),
        BASE + "ontology.ttl",
        "text/turtle",
        "RDF_TURTLE",
        {"sv": "Ontologin (OWL, Turtle)", "en": "The ontology (OWL, Turtle)"},
    )
    for name in ("core.ttl", "recommended.ttl"):
        _distribution(
            g,
            URIRef(f"{BASE}catalog#dist-shapes-{name[:-4]}"),
            f"{BASE}downloads/shapes/{name}",
            "text/turtle",
            "RDF_TURTLE",
            {"sv": f"SHACL-former: {name}", "en": f"SHACL shapes: {name}"},
        )
    sparql_dist = URIRef(BASE + "catalog#dist-sparql")
    g.add((DATASET, DCAT.distribution, sparql_dist))
    g.add((sparql_dist, RDF.type, DCAT.Distribution))
    g.add((sparql_dist, DCAT.accessURL, _a(g, ENDPOINT, RDFS.Resource)))
    g.add((sparql_dist, DCAT.accessService, SERVICE))
    g.add((sparql_dist, DCTERMS.license, CC_BY))
    _both(g, sparql_dist, DCTERMS.title, {"sv": "SPARQL-ändpunkt", "en": "SPARQL endpoint"})

    g.add((SERVICE, RDF.type, DCAT.DataService))
    _both(
        g,
        SERVICE,
        DCTERMS.title,
        {
            "sv": "SPARQL 1.1-ändpunkt för kunskapsgrafen",
            "en": "SPARQL 1.1 endpoint of the knowledge graph",
        },
    )
    g.add((SERVICE, DCAT.endpointURL, ENDPOINT))
    g.add((SERVICE, DCAT.endpointDescription, ENDPOINT))  # the Service Description is there
    g.add((SERVICE, DCAT.servesDataset, DATASET))
    protocol = _a(g, URIRef("https://www.w3.org/TR/sparql11-protocol/"), DCTERMS.Standard)
    g.add((SERVICE, DCTERMS.conformsTo, protocol))
    g.add((SERVICE, DCTERMS.license, CC_BY))
    g.add((SERVICE, DCTERMS.publisher, PUBLISHER))
    _graph_store_service(g)
    g.add((CATALOG, DCAT.service, GRAPH_STORE_SERVICE))
    _a(g, GRAPH_STORE_PROTOCOL, DCTERMS.Standard)
    g.add((DATASET, VOID.triples, Literal(dataset_size())))
    _linksets(g, current_linksets())
    _quality(g)
    return g


def _quality(g: Graph) -> None:
    """The build's quality report (``/quality``), announced with the W3C Data Quality
    Vocabulary: ``dqv:hasQualityMetadata`` and the measurements computed on the dataset."""
    from kg.web.site.quality_page import dataset_measurements

    g.bind("dqv", "http://www.w3.org/ns/dqv#")
    for triple in dataset_measurements(DATASET):
        g.add(triple)


def _graph_store_service(g: Graph) -> None:
    """The read-only Graph Store at ``/store`` as a DCAT data service serving the dataset.

    Neither SPARQL 1.1 Service Description nor the Graph Store Protocol defines a term that
    announces a Graph Store, so it is described with DCAT (``dcterms:conformsTo`` the Graph
    Store Protocol) here, in VoID and in the Service Description alike.
    """
    g.add((GRAPH_STORE_SERVICE, RDF.type, DCAT.DataService))
    _both(
        g,
        GRAPH_STORE_SERVICE,
        DCTERMS.title,
        {
            "sv": "SPARQL 1.1 Graph Store (läsbar): en graf i taget",
            "en": "SPARQL 1.1 Graph Store (read-only): one graph at a time",
        },
    )
    g.add((GRAPH_STORE_SERVICE, DCAT.endpointURL, _a(g, GRAPH_STORE, RDFS.Resource)))
    g.add((GRAPH_STORE_SERVICE, DCAT.servesDataset, DATASET))
    # The Service Description at /sparql describes the Graph Store too (service_description.py).
    g.add((GRAPH_STORE_SERVICE, DCAT.endpointDescription, ENDPOINT))
    g.add((GRAPH_STORE_SERVICE, DCTERMS.conformsTo, GRAPH_STORE_PROTOCOL))
    g.add((GRAPH_STORE_SERVICE, DCTERMS.license, CC_BY))
    g.add((GRAPH_STORE_SERVICE, DCTERMS.publisher, PUBLISHER))


def dataset_size() -> int:
    """Triples in the dataset: its default graph, the union of every graph, each triple once."""
    from kg.web.endpoint.service_description import default_graph_size

    # The same memo the Service Description keeps, so both documents state the same number.
    sizes = current_app.extensions.setdefault("kg_default_graph_size", {})
    if engine().version not in sizes:
        sizes[engine().version] = default_graph_size(engine())
    return sizes[engine().version]


def current_linksets() -> list[Linkset]:
    """The build's linksets, counted once per process and dataset version (a full scan)."""
    from flask import current_app

    memo = current_app.extensions.setdefault("kg_linksets", {})
    if engine().version not in memo:
        memo[engine().version] = linksets(engine())
    return memo[engine().version]


def _linksets(g: Graph, found: list[Linkset]) -> None:
    """One ``void:Linkset`` per dataset we link into, with its size and link properties.

    The target is described too (type, title, homepage), so the document stands on its own.
    """
    for linkset in found:
        node = URIRef(linkset.iri)
        target = URIRef(linkset.target.dataset)
        g.add((DATASET, VOID.subset, node))
        g.add((node, RDF.type, VOID.Linkset))
        g.add((node, VOID.subjectsTarget, DATASET))
        g.add((node, VOID.objectsTarget, target))
        g.add((node, VOID.triples, Literal(linkset.triples)))
        g.add((node, DCTERMS.title, Literal(f"Links to {linkset.target.title}", lang="en")))
        for predicate in linkset.predicates:
            g.add((node, VOID.linkPredicate, URIRef(predicate)))
        g.add((target, RDF.type, VOID.Dataset))
        g.add((target, DCTERMS.title, Literal(linkset.target.title)))
        g.add((target, FOAF.homepage, URIRef(linkset.target.homepage)))


def _distribution(
    g: Graph, dist: URIRef, url: str, media: str, file_type: str, title: dict[str, str]
) -> None:
    g.add((DATASET, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.accessURL, _a(g, URIRef(url), RDFS.Resource)))
    g.add((dist, DCAT.downloadURL, URIRef(url)))
    iana = URIRef("https://www.iana.org/assignments/media-types/" + media)
    g.add((dist, DCAT.mediaType, _a(g, iana, DCTERMS.MediaType)))
    g.add((dist, DCTERMS.format, _a(g, URIRef(EU + "file-type/" + file_type), MEDIA_OR_EXTENT)))
    g.add((dist, DCTERMS.license, CC_BY))
    _both(g, dist, DCTERMS.title, title)


def void_graph() -> Graph:
    """VoID: size, subsets (one per named graph), class partitions, endpoint and dumps."""
    g = _bind(Graph())
    g.bind("void", VOID)
    counts = engine().graph_counts()
    g.add((DATASET, RDF.type, VOID.Dataset))
    _both(g, DATASET, DCTERMS.title, TITLE)
    g.add((DATASET, DCTERMS.license, CC_BY))
    g.add((DATASET, VOID.sparqlEndpoint, ENDPOINT))
    g.add((DATASET, VOID.uriSpace, Literal(BASE + "id/")))
    g.add((DATASET, VOID.vocabulary, URIRef(BASE + "ontology#")))
    # The dataset is the default graph (the union, each triple once); its subsets are the
    # named graphs, whose counts add up to more where two graphs state the same triple.
    g.add((DATASET, VOID.triples, Literal(dataset_size())))
    for example in ("municipality/lidingo", "edition/2019", "statement/000-penje-helhet"):
        g.add((DATASET, VOID.exampleResource, URIRef(BASE + "id/" + example)))
    for dump in dumps():
        g.add((DATASET, VOID.dataDump, URIRef(download_url(dump.name))))
    for graph, n in counts.items():
        subset = URIRef(BASE + "void#" + graph.rsplit("/", 1)[-1])
        g.add((DATASET, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, VOID.triples, Literal(n)))
        g.add(
            (subset, URIRef("http://www.w3.org/ns/sparql-service-description#name"), URIRef(graph))
        )
        # Each named graph's triples, from the Graph Store: a dump of exactly this subset.
        g.add((subset, VOID.dataDump, URIRef(graph_store_url(graph))))
        if graph == str(INFERRED_GRAPH):
            g.add(
                (subset, RDFS.comment, Literal("OWL 2 RL inferences (new triples only)", lang="en"))
            )
    for row in select(
        """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
          ?s a ?class . ?class rdfs:isDefinedBy <https://w3id.org/digikommun/ontology> .
        } GROUP BY ?class"""
    ):
        iri = row["class"].value
        part = URIRef(BASE + "void#class-" + iri.rsplit("#", 1)[-1])
        g.add((DATASET, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(iri)))
        g.add((part, VOID.entities, Literal(int(row["n"].value))))
    _graph_store_service(g)
    _linksets(g, current_linksets())
    _quality(g)
    return g


def graph_store_url(graph: str) -> str:
    """The Graph Store URL that answers with one named graph (indirect identification)."""
    from urllib.parse import urlencode

    return f"{GRAPH_STORE}?{urlencode({'graph': graph})}"


def _html_view(graph: Graph, path: str, title: dict[str, str]) -> Response:
    """The document as a page for a browser that follows the footer's link."""
    from rdflib import BNode

    from kg.web.site.rendering import curie, page

    subjects = []
    for subject in sorted({s for s in graph.subjects() if not isinstance(s, BNode)}):
        rows = sorted(
            (str(p), str(o), isinstance(o, URIRef)) for p, o in graph.predicate_objects(subject)
        )
        subjects.append((str(subject), rows))
    lang = current_lang()
    response = page(
        "rdf_view.html",
        title=title[lang],
        path=path,
        subjects=subjects,
        curie=curie,
        # /catalog.<suffix> exists for every format; the VoID document is negotiated only
        formats=[(s, m) for s, (m, _) in RDF_FORMATS.items()] if path == "/catalog" else [],
    )
    response.vary.add("Accept")
    return response


def _negotiated(graph: Graph, default: str, path: str = "", title: dict | None = None) -> Response:
    if (
        title
        and preferred([RDF_FORMATS[default][0], HTML]) == HTML
        and "html" in (request.headers.get("Accept") or "")
    ):
        return _html_view(graph, path, title)
    offers = [RDF_FORMATS[default][0]] + [m for s, (m, _) in RDF_FORMATS.items() if s != default]
    wanted = preferred(offers) if preferred([*offers, HTML]) != HTML else offers[0]
    suffix = next((s for s, (m, _) in RDF_FORMATS.items() if m == wanted), default)
    return rdf_response(graph, suffix, negotiated=True)


@metadata.get("/catalog")
def catalog() -> Response:
    return _negotiated(
        catalog_graph(),
        "rdf",
        "/catalog",
        {"sv": "Datakatalog (DCAT-AP-SE)", "en": "Data catalogue (DCAT-AP-SE)"},
    )


@metadata.get("/catalog.<suffix>")
def catalog_file(suffix: str) -> Response:
    """``/catalog.rdf`` is the stable URL portals harvest."""
    if suffix not in RDF_FORMATS:
        from kg.web.site.rendering import not_found

        return not_found()
    return rdf_response(catalog_graph(), suffix)


@metadata.get("/.well-known/void")
def void() -> Response:
    return _negotiated(
        void_graph(),
        "ttl",
        "/.well-known/void",
        {"sv": "Beskrivning av datamängden (VoID)", "en": "Description of the dataset (VoID)"},
    )
