"""The DCAT-AP-SE catalog, VoID and the downloads, parsed as a harvester would parse them."""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
from unittest import mock

import pytest
from pyshacl import validate
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH

from tests.conftest import ROOT

SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID = Namespace("http://rdfs.org/ns/void#")
BASE = "https://w3id.org/digikommun/"
EXTERNAL = ROOT / "shapes" / "external"
SHAPES = EXTERNAL / "dcat-ap-se-constraints.ttl"
OFFICIAL = EXTERNAL / "dcat-ap-3.0.0-SHACL.jsonld"  # SEMIC's DCAT-AP 3.0.0 shapes, unchanged


@pytest.fixture(scope="module")
def catalog(app) -> Graph:
    response = app.test_client().get("/catalog.rdf")
    assert response.status_code == 200
    assert response.mimetype == "application/rdf+xml"
    return Graph().parse(data=response.data, format="xml")


def test_catalog_conforms_to_the_dcat_ap_constraints(catalog: Graph) -> None:
    conforms, _, text = validate(catalog, shacl_graph=str(SHAPES), inference="none")
    assert conforms, text


def test_the_constraints_catch_a_broken_catalog(catalog: Graph) -> None:
    """The shapes are live: a catalog without a publisher name and with a blank node fails."""
    broken = Graph()
    for triple in catalog:
        if triple[1] != FOAF.name:
            broken.add(triple)
    broken.add((BNode(), RDF.type, DCAT.Dataset))
    conforms, _, text = validate(broken, shacl_graph=str(SHAPES), inference="none")
    assert not conforms
    assert "foaf:name" in text or "foaf/0.1/name" in text
    assert "blank node" in text


@pytest.fixture(scope="module")
def official_shapes() -> Graph:
    """SEMIC's shapes, parsed with the network cut: their JSON-LD context is inline."""

    def offline(*args, **kwargs):
        raise AssertionError("parsing the DCAT-AP shapes tried to use the network")

    with (
        mock.patch.object(socket.socket, "connect", offline),
        mock.patch.object(socket, "create_connection", offline),
    ):
        shapes = Graph().parse(OFFICIAL, format="json-ld")
    # The whole file, not a fragment: 42 node shapes holding 300 property shapes.
    assert len(set(shapes.subjects(RDF.type, SH.NodeShape))) == 42
    assert len(set(shapes.objects(None, SH.property))) == 300
    return shapes


def _results(report: Graph) -> list[tuple[str, str, str]]:
    return [
        (
            str(report.value(r, SH.resultSeverity)),
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.resultPath)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]


def test_vendored_shapes_match_the_checksums_in_their_readme() -> None:
    """The files in shapes/external are the ones the README describes, byte for byte."""
    rows = re.findall(
        r"^\| `([^`]+)` \|.*\b([0-9a-f]{64})\b", (EXTERNAL / "README.md").read_text(), re.M
    )
    assert OFFICIAL.name in dict(rows)
    for name, digest in rows:
        assert hashlib.sha256((EXTERNAL / name).read_bytes()).hexdigest() == digest, name


def test_catalog_conforms_to_the_official_dcat_ap_shapes(
    catalog: Graph, official_shapes: Graph
) -> None:
    conforms, report, text = validate(
        catalog, shacl_graph=official_shapes, inference="none", allow_warnings=False
    )
    assert conforms, text
    assert _results(report) == []  # no Violations, and no Warnings or Infos either


@pytest.mark.parametrize(
    ("focus", "path", "breaks"),
    [
        ("catalog#dataset", DCTERMS.title, "drop"),
        ("catalog", DCTERMS.publisher, "drop"),
        ("catalog#dist-default-ttl-sha256", SPDX.checksumValue, "datatype"),
        ("catalog", DCTERMS.license, "untype"),
    ],
)
def test_the_official_shapes_catch_a_broken_catalog(
    catalog: Graph, official_shapes: Graph, focus: str, path: URIRef, breaks: str
) -> None:
    """Each breakage gives a Violation on that node and path: the check is live."""
    node = URIRef(BASE + focus)
    broken = Graph()
    for triple in catalog:
        broken.add(triple)
    values = list(broken.objects(node, path))
    assert values
    if breaks == "drop":  # a mandatory property missing (DCAT-AP: minCount 1)
        broken.remove((node, path, None))
    elif breaks == "datatype":  # a checksum that is not xsd:hexBinary
        broken.set((node, path, Literal(str(values[0]))))  # xsd:string
    else:  # the licence no longer typed dcterms:LicenseDocument (sh:class)
        broken.remove((values[0], RDF.type, DCTERMS.LicenseDocument))
    conforms, report, text = validate(broken, shacl_graph=official_shapes, inference="none")
    assert not conforms
    assert (str(SH.Violation), str(node), str(path)) in _results(report), text


def test_catalog_has_no_blank_nodes(catalog: Graph) -> None:
    assert not [t for t in catalog if any(isinstance(x, BNode) for x in t)]


def test_catalog_content(catalog: Graph) -> None:
    cat = URIRef(BASE + "catalog")
    assert (cat, RDF.type, DCAT.Catalog) in catalog
    assert (
        cat,
        DCTERMS.license,
        URIRef("http://creativecommons.org/publicdomain/zero/1.0/"),
    ) in catalog
    publisher = catalog.value(cat, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in catalog
    assert catalog.value(publisher, FOAF.name)
    assert str(catalog.value(publisher, DCTERMS.type)).startswith(
        "http://purl.org/adms/publishertype/"
    )
    dataset = catalog.value(cat, DCAT.dataset)
    for prop in (DCTERMS.title, DCTERMS.description):
        langs = {o.language for o in catalog.objects(dataset, prop) if isinstance(o, Literal)}
        assert {"sv", "en"} <= langs
    assert len(list(catalog.objects(dataset, DCAT.keyword))) >= 5
    assert list(catalog.objects(dataset, DCAT.theme))
    period = catalog.value(dataset, DCTERMS.temporal)
    assert str(catalog.value(period, DCAT.startDate)) == "2001"
    assert catalog.value(dataset, DCTERMS.spatial)
    service = catalog.value(cat, DCAT.service)
    assert (service, RDF.type, DCAT.DataService) in catalog
    assert catalog.value(service, DCAT.endpointDescription) == URIRef(BASE + "sparql")


def test_every_download_is_a_distribution_with_its_checksum(client, catalog: Graph) -> None:
    downloads = {str(u) for u in catalog.objects(None, DCAT.downloadURL)}
    sums = client.get("/downloads").get_data(as_text=True)
    version = client.application.extensions["kg_engine"].version
    listed = client.get(f"/downloads/{version}/SHA256SUMS").get_data(as_text=True).splitlines()
    assert len(listed) == 4
    for line in listed:
        digest, name = line.split()
        assert f"{BASE}downloads/{version}/{name}" in downloads
        body = client.get(f"/downloads/{version}/{name}").data
        assert hashlib.sha256(body).hexdigest() == digest
        assert name in sums
        dist = next(catalog.subjects(DCAT.downloadURL, URIRef(f"{BASE}downloads/{version}/{name}")))
        checksum = catalog.value(dist, SPDX.checksum)
        assert str(catalog.value(checksum, SPDX.checksumValue)) == digest
    assert f"{BASE}ontology.ttl" in downloads
    assert f"{BASE}downloads/shapes/core.ttl" in downloads


def test_dumps_parse_and_hold_every_named_graph(client) -> None:
    version = client.application.extensions["kg_engine"].version
    counts = client.application.extensions["kg_engine"].graph_counts()
    trig = Dataset().parse(
        data=client.get(f"/downloads/{version}/digikommun-{version}.trig").data, format="trig"
    )
    nq = Dataset().parse(
        data=gzip.decompress(client.get(f"/downloads/{version}/digikommun-{version}.nq.gz").data),
        format="nquads",
    )
    for dataset in (trig, nq):
        got = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
        assert got == counts
    jsonld = Dataset().parse(
        data=client.get(f"/downloads/{version}/digikommun-{version}.jsonld").data, format="json-ld"
    )
    assert sum(len(g) for g in jsonld.graphs()) == sum(counts.values())
    default = Graph().parse(
        data=client.get(f"/downloads/{version}/digikommun-{version}-default.ttl").data,
        format="turtle",
    )
    assert len(default) >= max(counts.values())


def test_old_versions_are_404(client) -> None:
    assert client.get("/downloads/0000000000000000/SHA256SUMS").status_code == 404


def test_void(client) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert "Accept" in response.headers["Vary"]
    g = Graph().parse(data=response.data, format="turtle")
    dataset = URIRef(BASE + "catalog#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in g
    assert g.value(dataset, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    assert len(list(g.objects(dataset, VOID.subset))) >= 10
    assert len(list(g.objects(dataset, VOID.dataDump))) == 4
    assert int(g.value(dataset, VOID.triples)) > 5000


def test_catalog_negotiates(client) -> None:
    ttl = client.get("/catalog", headers={"Accept": "text/turtle"})
    assert ttl.mimetype == "text/turtle"
    Graph().parse(data=ttl.data, format="turtle")
    assert client.get("/catalog").mimetype == "application/rdf+xml"
    Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
