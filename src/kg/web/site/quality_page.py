"""The quality report of the build, served at ``/quality``: a page for people, RDF for programs.

The build writes the report beside the artifact (``quality.nt`` and ``quality.json``, see
``kg.pipeline.quality``); this module only reads those files, so a request never validates or
lints anything. ``/quality`` negotiates (HTML, or Turtle, JSON-LD, N-Triples, RDF/XML by
``Accept``); ``/quality.ttl`` and the other suffixes name one format; ``/quality.html`` the page.
A build from before the report existed answers 404 with a sentence saying why, never a 500.

The catalogue and VoID (``kg.web.services.metadata``) announce the report with the W3C Data Quality
Vocabulary: the dataset's ``dqv:hasQualityMetadata`` is the report, and its measurements that are
computed on the whole dataset are listed with ``dqv:hasQualityMeasurement``.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.namespaces import BASE, PREFIXES
from kg.web.endpoint.rdf_documents import RDF_FORMATS, rdf_response
from kg.web.site.rendering import HTML, engine, page, preferred

quality = Blueprint("quality", __name__)

QUALITY = URIRef(BASE + "quality")
QUALITY_RDF = "quality.nt"
QUALITY_JSON = "quality.json"
DQV = "http://www.w3.org/ns/dqv#"


def _build_dir() -> Path:
    return Path(current_app.config["KG_SETTINGS"].build_dir)


def report_graph() -> Graph | None:
    """The report as an rdflib graph (parsed once per dataset version), or None without one."""
    memo = current_app.extensions.setdefault("kg_quality_graph", {})
    version = engine().version
    if version not in memo:
        path = _build_dir() / QUALITY_RDF
        if not path.is_file():
            return None
        g = Graph()
        for prefix, namespace in {**dict(PREFIXES), "dqv": DQV}.items():
            g.bind(prefix, namespace, override=True)
        g.bind("sh", "http://www.w3.org/ns/shacl#")
        g.parse(path, format="nt")
        memo[version] = g
    return memo[version]


def report_data() -> dict | None:
    path = _build_dir() / QUALITY_JSON
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def dataset_measurements(dataset: URIRef) -> Graph:
    """The report's node and its measurements computed on ``dataset``, with their metrics:
    what the catalogue and VoID copy, so that each stands on its own (empty without a report)."""
    g = Graph()
    report = report_graph()
    if report is None:
        return g
    dqv = lambda name: URIRef(DQV + name)  # noqa: E731 (a one-line namespace)
    g.add((dataset, dqv("hasQualityMetadata"), QUALITY))
    g.add((QUALITY, RDF.type, dqv("QualityMetadata")))
    for measurement in sorted(report.subjects(dqv("computedOn"), dataset)):
        g.add((dataset, dqv("hasQualityMeasurement"), measurement))
        for p, o in report.predicate_objects(measurement):
            g.add((measurement, p, o))
        for metric in report.objects(measurement, dqv("isMeasurementOf")):
            for p, o in report.predicate_objects(metric):
                g.add((metric, p, o))
    return g


def _missing_report() -> Response:
    return Response(
        "This build has no quality report (it was built before reports existed): "
        "run `kg build --force`.\n",
        status=404,
        mimetype="text/plain",
    )


@quality.get("/quality")
def quality_negotiated() -> Response:
    offers = [HTML] + [media for media, _ in RDF_FORMATS.values()]
    wanted = preferred(offers) or HTML
    if wanted == HTML:
        response = quality_page()
    else:
        graph = report_graph()
        if graph is None:
            return _missing_report()
        suffix = next(s for s, (m, _) in RDF_FORMATS.items() if m == wanted)
        response = rdf_response(graph, suffix, negotiated=True)
    response.vary.add("Accept")
    return response


@quality.get("/quality.html")
def quality_page() -> Response:
    data = report_data()
    if data is None:
        return _missing_report()
    return page("quality.html", report=data, formats=list(RDF_FORMATS))


@quality.get("/quality.<suffix>")
def quality_file(suffix: str) -> Response:
    if suffix not in RDF_FORMATS:
        return Response(
            f"/quality.{suffix}: unknown format; use one of "
            + ", ".join(f".{s}" for s in [*RDF_FORMATS, "html"])
            + "\n",
            status=404,
            mimetype="text/plain",
        )
    graph = report_graph()
    if graph is None:
        return _missing_report()
    return rdf_response(graph, suffix)
