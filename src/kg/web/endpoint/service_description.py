"""The SPARQL 1.1 Service Description served at ``GET /sparql`` without a query.

Every claim is derived from the running server rather than written by hand, because a
description that claims features the server lacks (as rdflib-endpoint's once did) misleads the
federating portals that read it:

- ``sd:endpoint`` is the URL the client used (or ``KG_PUBLIC_URL`` behind a proxy);
- the result formats come from the same table the protocol negotiates from (``results.py``);
- ``sd:UnionDefaultGraph`` because the default graph is the union of all graphs, and the
  default entailment regime is *Simple*: queries see exactly the stored triples. The OWL 2 RL
  closure is not computed at query time; it was materialised at build time into
  ``graph/inferred``, which is part of that union, and the default graph says so;
- ``sd:BasicFederatedQuery`` only when the operator allow-lists SERVICE endpoints;
- the named graphs and their triple counts (VoID) come from the engine;
- the read-only Graph Store at ``/store`` beside the endpoint. SPARQL 1.1 Service Description
  has no term for a Graph Store, and the Graph Store HTTP Protocol defines none, so it is a
  ``dcat:DataService`` that ``dcterms:conformsTo`` the Graph Store Protocol, serves this
  dataset, and is the ``void:dataDump`` of each named graph (the URL that answers with exactly
  that graph's triples).

``tests/test_service_description.py`` parses this document and checks each claim against the
server's behaviour.
"""

from __future__ import annotations

from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, XSD

from kg.namespaces import INFERRED_GRAPH, SD, VOID
from kg.settings import Settings
from kg.store import Bindings, Engine
from kg.web.endpoint.results import GRAPH_FORMATS, TABULAR_FORMATS

ENT = Namespace("http://www.w3.org/ns/entailment/")
PROV = Namespace("http://www.w3.org/ns/prov#")

#: The SPARQL 1.1 Graph Store HTTP Protocol, which ``/store`` implements for reading.
GRAPH_STORE_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-http-rdf-update/")

#: The query that counts the default graph's triples; its answer goes into the description.
COUNT_DEFAULT_GRAPH = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def default_graph_size(engine: Engine) -> int:
    """Triples in the default graph as queries see it (the union, each triple once)."""
    result = engine.query(COUNT_DEFAULT_GRAPH)
    assert isinstance(result, Bindings)
    return int(result.rows[0]["n"].value)


def describe(endpoint: str, engine: Engine, settings: Settings, default_size: int) -> Graph:
    """Build the description of the service at ``endpoint`` as an rdflib graph."""
    sd = Graph()
    sd.bind("sd", SD)
    sd.bind("void", VOID)
    sd.bind("ent", ENT)
    sd.bind("dcterms", DCTERMS)
    sd.bind("prov", PROV)
    sd.bind("formats", "http://www.w3.org/ns/formats/")
    service = URIRef(endpoint + "#service")
    dataset = URIRef(endpoint + "#dataset")
    default_graph = URIRef(endpoint + "#default-graph")

    sd.add((service, RDF.type, SD.Service))
    sd.add((service, SD.endpoint, URIRef(endpoint)))
    sd.add(
        (
            service,
            DCTERMS.title,
            Literal("Sveriges DigitaliseringsKommun SPARQL endpoint", lang="en"),
        )
    )
    sd.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for fmt in (*TABULAR_FORMATS, *GRAPH_FORMATS):
        sd.add((service, SD.resultFormat, URIRef(fmt.iri)))
    sd.add((service, SD.feature, SD.UnionDefaultGraph))
    if settings.service_allowlist:
        sd.add((service, SD.feature, SD.BasicFederatedQuery))
    sd.add((service, SD.defaultEntailmentRegime, ENT.Simple))
    sd.add((service, SD.defaultDataset, dataset))

    sd.add((dataset, RDF.type, SD.Dataset))
    sd.add((dataset, RDF.type, VOID.Dataset))
    sd.add((dataset, VOID.sparqlEndpoint, URIRef(endpoint)))
    sd.add((dataset, DCTERMS.hasVersion, Literal(engine.version)))
    sd.add((dataset, SD.defaultGraph, default_graph))
    store = graph_store_url(endpoint)
    graph_store = URIRef(endpoint + "#graph-store")
    sd.bind("dcat", DCAT)
    sd.add((graph_store, RDF.type, DCAT.DataService))
    sd.add((graph_store, DCAT.endpointURL, URIRef(store)))
    sd.add((graph_store, DCTERMS.conformsTo, GRAPH_STORE_PROTOCOL))
    sd.add((graph_store, DCAT.servesDataset, dataset))
    sd.add(
        (
            graph_store,
            RDFS.comment,
            Literal(
                "Read-only SPARQL 1.1 Graph Store: GET or HEAD with ?graph=IRI or ?default.",
                lang="en",
            ),
        )
    )
    sd.add((default_graph, VOID.dataDump, URIRef(store + "?default")))
    sd.add((default_graph, RDF.type, SD.Graph))
    sd.add((default_graph, RDF.type, VOID.Dataset))
    sd.add((default_graph, VOID.triples, Literal(default_size, datatype=XSD.integer)))
    sd.add(
        (
            default_graph,
            RDFS.comment,
            Literal(
                "The union of every named graph: the asserted graphs and graph/inferred, which "
                "holds the OWL 2 RL closure materialised at build time (trivial triples "
                "dropped). Queries are answered by simple entailment over this union.",
                lang="en",
            ),
        )
    )
    # Blank nodes with fixed labels, in a fixed order: every worker writes the same bytes, as
    # the description's strong ETag promises (random labels reordered rdflib's output).
    for index, (name, count) in enumerate(sorted(engine.graph_counts().items()), start=1):
        node = BNode(f"named-graph-{index}")
        graph = BNode(f"graph-{index}")
        sd.add((dataset, SD.namedGraph, node))
        sd.add((node, RDF.type, SD.NamedGraph))
        sd.add((node, SD.name, URIRef(name)))
        sd.add((node, SD.graph, graph))
        sd.add((graph, RDF.type, SD.Graph))
        sd.add((graph, RDF.type, VOID.Dataset))
        sd.add((graph, VOID.triples, Literal(count, datatype=XSD.integer)))
        sd.add((graph, VOID.dataDump, URIRef(store + "?" + urlencode({"graph": name}))))
        sd.add((default_graph, PROV.wasDerivedFrom, URIRef(name)))
        if URIRef(name) == INFERRED_GRAPH:
            sd.add((graph, RDFS.comment, Literal("OWL 2 RL entailments", lang="en")))
    return sd


def graph_store_url(endpoint: str) -> str:
    """The Graph Store beside the endpoint: ``…/sparql`` → ``…/store``."""
    return endpoint.rsplit("/", 1)[0] + "/store"
