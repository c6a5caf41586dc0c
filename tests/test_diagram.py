"""The picture of the model (issue #19): drawn by `kg build` from the ontology, in Swedish and
English, every class a box that links to its term, embedded on /ontology."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal

from kg.namespaces import DK
from kg.pipeline.diagram import ontology_graph, render, render_all
from kg.settings import Settings
from tests.conftest import ROOT

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology/ontology.ttl", format="turtle")


def _links(svg: str) -> dict[str, list[str]]:
    """Each link target with the texts inside the link."""
    root = ET.fromstring(svg)
    return {a.get("href"): [t.text for t in a.iter(SVG + "text")] for a in root.iter(SVG + "a")}


def _drawable(ontology: Graph) -> list:
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(DK)}
    return [
        p
        for p in ontology.subjects(RDF.type, OWL.ObjectProperty)
        if set(ontology.objects(p, RDFS.domain)) & classes
        and set(ontology.objects(p, RDFS.range)) & classes
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_class_is_a_box_labelled_in_the_language_and_linked(ontology: Graph, lang) -> None:
    svg = render(ontology_graph(ontology), lang)
    links = _links(svg)
    classes = [c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(DK)]
    assert len(classes) == 25
    for cls in classes:
        label = next(str(v) for v in ontology.objects(cls, RDFS.label) if v.language == lang)
        assert links[str(cls)] == [label, "dk:" + str(cls)[len(DK) :]], cls
    for prop in _drawable(ontology):
        label = next(str(v) for v in ontology.objects(prop, RDFS.label) if v.language == lang)
        assert links[str(prop)] == [label], prop
    assert len(_drawable(ontology)) >= 25
    undrawn = set(ontology.subjects(RDF.type, OWL.ObjectProperty)) - set(_drawable(ontology))
    for prop in undrawn:  # named under the picture, not lost
        assert f"dk:{str(prop)[len(DK) :]} (" in svg
    subclass_links = [
        (c, sup)
        for c in classes
        for sup in ontology.objects(c, RDFS.subClassOf)
        if str(sup).startswith(DK)
    ]
    assert len(subclass_links) == 7
    assert svg.count('stroke-dasharray="5 4"') == len(subclass_links)  # drawn dashed, hollow head
    assert f'lang="{lang}"' in svg and 'lang="sv"' not in svg.replace(f'lang="{lang}"', "")


def test_the_layout_keeps_boxes_apart_and_inside(ontology: Graph) -> None:
    root = ET.fromstring(render(ontology_graph(ontology), "en"))
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    boxes = [
        tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
        for a in root.iter(SVG + "a")
        for r in a.iter(SVG + "rect")
    ]
    assert len(boxes) == 25
    for i, (x, y, w, h) in enumerate(boxes):
        assert x >= 0 and x + w + 24 <= width and y >= 0 and y + h <= height
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "boxes overlap"


def test_a_new_class_and_property_appear_and_the_output_is_deterministic(ontology) -> None:
    graph = ontology_graph(ontology)
    assert render_all(graph) == render_all(ontology_graph(ontology))
    graph.add((DK.Prize, RDF.type, OWL.Class))
    graph.add((DK.Prize, RDFS.label, Literal("pengapris", lang="sv")))
    graph.add((DK.prize, RDF.type, OWL.ObjectProperty))
    graph.add((DK.prize, RDFS.label, Literal("har pris", lang="sv")))
    graph.add((DK.prize, RDFS.domain, DK.AwardEdition))
    graph.add((DK.prize, RDFS.range, DK.Prize))
    links = _links(render(graph, "sv"))
    assert links[str(DK.Prize)] == ["pengapris", "dk:Prize"]
    assert links[str(DK.prize)] == ["har pris"]


def test_the_build_writes_both_pictures_and_lists_them(built: Settings) -> None:
    manifest = json.loads((built.build_dir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["pictures"]) == ["ontology-diagram.en.svg", "ontology-diagram.sv.svg"]
    for name, digest in manifest["pictures"].items():
        data = (built.build_dir / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
        ET.fromstring(data)  # well-formed


@pytest.mark.parametrize(("lang", "label"), [("sv", "utmärkelseomgång"), ("en", "award edition")])
def test_the_ontology_page_embeds_the_diagram_linked_to_its_entries(client, lang, label) -> None:
    response = client.get(f"/ontology?lang={lang}", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    figures = re.findall(r"<figure class='ontology-diagram' lang='(\w+)'>", html)
    assert figures == [lang]  # the diagram in the page's language only
    assert "<!-- /diagram -->" not in html
    ids: set[str] = set()

    class Anchors(HTMLParser):
        def handle_starttag(self, tag, attrs):
            ids.update(v for k, v in attrs if k == "id")

    Anchors().feed(html)
    targets = set(re.findall(r'href="#(\w+)"', html))
    assert {"Award", "AwardEdition", "forEdition", "Statement"} <= targets
    assert targets <= ids, targets - ids  # every box and label jumps to its entry
    figure = html.split("<figure", 1)[1].split("</figure>", 1)[0]
    assert f">{label}</text>" in figure
    assert " style=" not in figure  # the site's Content-Security-Policy forbids inline styles
