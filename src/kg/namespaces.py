"""The IRIs every layer agrees on: the base, our vocabulary and the named-graph scheme."""

from rdflib import Namespace

BASE = "https://w3id.org/digikommun/"
DK = Namespace(BASE + "ontology#")
ONTOLOGY_IRI = BASE + "ontology"
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")

INFERRED_GRAPH = GRAPH["inferred"]
META_GRAPH = GRAPH["meta"]

OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

#: Prefixes offered to query writers (CLI, workbench, service description).
PREFIXES: dict[str, str] = {
    "dk": str(DK),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": str(PROV),
    "oa": str(OA),
    "schema": str(SCHEMA),
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    # One prefix per kind of thing, as in the data files (docs/modelling.md).
    **{
        prefix: f"{BASE}id/{kind}/"
        for prefix, kind in (
            ("award", "award"),
            ("awardname", "award-name"),
            ("edition", "edition"),
            ("nomination", "nomination"),
            ("jury", "jury"),
            ("mun", "municipality"),
            ("county", "county"),
            ("orgn", "organisation"),
            ("person", "person"),
            ("post", "post"),
            ("event", "event"),
            ("place", "place"),
            ("initiative", "initiative"),
            ("pub", "publication"),
            ("source", "source"),
            ("statement", "statement"),
            ("question", "question"),
            ("quantity", "quantity"),
            ("selector", "selector"),
        )
    },
    "graph": str(GRAPH),
}


def graph_iri(name: str) -> str:
    """The named-graph IRI for a file stem or a built graph name."""
    return str(GRAPH[name])
