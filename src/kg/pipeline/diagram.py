"""A picture of the model: the ontology's classes and the object properties between them, as
SVG, drawn at build time in Swedish and in English.

Graphviz would draw it well, but it would be one more system package on every machine that
builds; the model is small (25 classes), so a layered layout in the manner of Sugiyama is
done here in plain Python: cycles are broken, each class gets a layer by its longest path,
the order within layers is improved by barycentres, and boxes are placed left to right.
Each box and each edge label links to its term (its IRI, ``…/ontology#Award``); parallel
properties between the same two classes share one edge, with their names stacked. Subclass
links are dashed with a hollow arrow. Properties that lack a domain or range in our
namespace cannot be drawn as an edge and are listed under the picture.

The output depends only on the ontology: the same ontology gives byte-identical SVG.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from kg.namespaces import DK

LANGS = ("sv", "en")
FILE_NAME = "ontology-diagram.{lang}.svg"

CHAR = 7.2  # average advance of a 13 px sans-serif character (no font metrics at build time)
MONO = 6.6  # of an 11 px monospace character
BOX_H = 40
PAD = 12
GAP_X = 36
GAP_Y = 120
MARGIN = 24
LINE = 13  # line height of stacked edge labels
#: A presentation attribute, not a style: the site's Content-Security-Policy allows no inline
#: styles, and the SVG is embedded in its pages.
FONT = "system-ui, sans-serif"

_CAPTIONS = {
    "sv": (
        "Ontologins klasser och objektegenskaperna mellan dem",
        "streckad linje: underklass till",
        "Utan domän eller värdemängd i dk: (ritas inte): ",
    ),
    "en": (
        "The ontology's classes and the object properties between them",
        "dashed line: subclass of",
        "Without a domain or range in dk: (not drawn): ",
    ),
}


@dataclass
class Box:
    term: URIRef
    label: str
    layer: int = 0
    order: float = 0.0
    x: float = 0.0
    width: float = 0.0

    @property
    def name(self) -> str:
        return "dk:" + str(self.term)[len(DK) :]


@dataclass
class Edge:
    source: URIRef
    target: URIRef
    properties: list[tuple[URIRef, str]] = field(default_factory=list)  # (term, label)
    subclass: bool = False


def _label(graph: Graph, term: URIRef, lang: str) -> str:
    for value in graph.objects(term, RDFS.label):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return str(term)[len(DK) :]


def _ours(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(DK))


def model(
    graph: Graph, lang: str
) -> tuple[dict[URIRef, Box], list[Edge], list[tuple[URIRef, str]]]:
    """Boxes (our classes, not deprecated), edges (object properties with one of our classes as
    domain and one as range; subclass links) and the properties that cannot be drawn."""
    classes = sorted(
        c
        for c in graph.subjects(RDF.type, OWL.Class)
        if _ours(c) and (c, OWL.deprecated, Literal(True)) not in graph
    )
    boxes = {c: Box(c, _label(graph, c, lang)) for c in classes}
    edges: dict[tuple[URIRef, URIRef, bool], Edge] = {}
    undrawn: list[tuple[URIRef, str]] = []
    for prop in sorted(p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if _ours(p)):
        if (prop, OWL.deprecated, Literal(True)) in graph:
            continue
        domains = [d for d in graph.objects(prop, RDFS.domain) if d in boxes]
        ranges = [r for r in graph.objects(prop, RDFS.range) if r in boxes]
        if not domains or not ranges:
            undrawn.append((prop, _label(graph, prop, lang)))
            continue
        for d in sorted(domains):
            for r in sorted(ranges):
                edge = edges.setdefault((d, r, False), Edge(d, r))
                edge.properties.append((prop, _label(graph, prop, lang)))
    for sub in classes:
        for sup in sorted(graph.objects(sub, RDFS.subClassOf)):
            if sup in boxes and sup != sub:
                edges[(sub, sup, True)] = Edge(sub, sup, subclass=True)
    return boxes, [edges[k] for k in sorted(edges)], undrawn


def _layers(boxes: dict[URIRef, Box], edges: list[Edge]) -> None:
    """Longest-path layering over the edges, with the edges that close a cycle turned round."""
    out: dict[URIRef, list[URIRef]] = defaultdict(list)
    for e in edges:  # a superclass stands above its subclasses, as in UML
        if e.source != e.target:
            source, target = (e.target, e.source) if e.subclass else (e.source, e.target)
            out[source].append(target)
    state: dict[URIRef, int] = {}
    acyclic: dict[URIRef, set[URIRef]] = defaultdict(set)

    def visit(node: URIRef) -> None:  # depth first; an edge back to the path is reversed
        state[node] = 1
        for nxt in out[node]:
            if state.get(nxt) == 1:
                acyclic[nxt].add(node)
            else:
                acyclic[node].add(nxt)
                if nxt not in state:
                    visit(nxt)
        state[node] = 2

    for node in sorted(boxes):
        if node not in state:
            visit(node)
    depth: dict[URIRef, int] = {}

    def longest(node: URIRef) -> int:
        if node not in depth:
            parents = [p for p in boxes if node in acyclic[p]]
            depth[node] = 1 + max((longest(p) for p in parents), default=-1)
        return depth[node]

    for box in boxes.values():
        box.layer = longest(box.term)
    # Longest paths put every class without a parent at the top, however far below its
    # children are; move each such class (and then each class) down to just above its
    # nearest child, so that edges stay short.
    for box in sorted(boxes.values(), key=lambda b: -b.layer):
        children = [boxes[c].layer for c in acyclic[box.term]]
        parents = [p.layer for p in boxes.values() if box.term in acyclic[p.term]]
        if children:
            box.layer = max(min(children) - 1, max(parents, default=-1) + 1, box.layer)
    lowest = min(b.layer for b in boxes.values())
    for box in boxes.values():
        box.layer -= lowest


def _order(boxes: dict[URIRef, Box], edges: list[Edge], sweeps: int = 12) -> list[list[Box]]:
    """Boxes per layer, ordered by the barycentre of their neighbours, sweeping down and up."""
    layers: dict[int, list[Box]] = defaultdict(list)
    for box in sorted(boxes.values(), key=lambda b: b.label.casefold()):
        layers[box.layer].append(box)
    rows = [layers[i] for i in sorted(layers)]
    neighbours: dict[URIRef, list[URIRef]] = defaultdict(list)
    for e in edges:
        if e.source != e.target:
            neighbours[e.source].append(e.target)
            neighbours[e.target].append(e.source)
    for row in rows:
        for i, box in enumerate(row):
            box.order = i
    for sweep in range(sweeps):
        sequence = rows[1:] if sweep % 2 == 0 else rows[-2::-1]
        for row in sequence:
            for box in row:
                near = [boxes[n].order for n in neighbours[box.term] if boxes[n].layer != box.layer]
                box.order = sum(near) / len(near) if near else box.order
            row.sort(key=lambda b: (b.order, b.label))
            for i, box in enumerate(row):
                box.order = i
    return rows


def _place(rows: list[list[Box]], boxes: dict[URIRef, Box], edges: list[Edge]) -> float:
    """x of every box: rows packed and centred, then pulled towards their neighbours' centres
    without changing their order or overlapping; returns the width of the drawing."""
    for row in rows:
        for box in row:
            box.width = max(len(box.label) * CHAR, len(box.name) * MONO) + 2 * PAD
    widest = max(sum(b.width for b in row) + GAP_X * (len(row) - 1) for row in rows)
    for row in rows:
        x = (widest - sum(b.width for b in row) - GAP_X * (len(row) - 1)) / 2
        for box in row:
            box.x = x
            x += box.width + GAP_X
    neighbours: dict[URIRef, list[URIRef]] = defaultdict(list)
    for e in edges:
        if e.source != e.target:
            neighbours[e.source].append(e.target)
            neighbours[e.target].append(e.source)
    for _ in range(6):
        for row in rows:
            for box in row:
                near = [boxes[n].x + boxes[n].width / 2 for n in neighbours[box.term]]
                if near:
                    box.x = sum(near) / len(near) - box.width / 2
            for i, box in enumerate(row):  # keep the order, no overlap, inside the drawing
                low = row[i - 1].x + row[i - 1].width + GAP_X if i else 0.0
                box.x = max(box.x, low)
            for i in range(len(row) - 1, -1, -1):
                high = (
                    row[i + 1].x - GAP_X - row[i].width
                    if i + 1 < len(row)
                    else widest - row[i].width
                )
                row[i].x = min(row[i].x, high)
            for i, box in enumerate(row):
                low = row[i - 1].x + row[i - 1].width + GAP_X if i else 0.0
                box.x = max(box.x, low)
    return max(b.x + b.width for b in boxes.values())


def render(graph: Graph, lang: str) -> str:
    """The diagram in one language as a standalone SVG document."""
    boxes, edges, undrawn = model(graph, lang)
    _layers(boxes, edges)
    rows = _order(boxes, edges)
    width = _place(rows, boxes, edges) + 2 * MARGIN
    for edge in edges:  # a loop and its label stand to the right of their box
        if edge.source == edge.target and edge.properties:
            box = boxes[edge.source]
            longest = max(len(label) for _, label in edge.properties)
            width = max(width, box.x + box.width + 32 + longest * CHAR + 2 * MARGIN)
    title, subclass_note, undrawn_note = _CAPTIONS[lang]
    top = MARGIN + 28
    names = [f"dk:{str(p)[len(DK) :]} ({label})" for p, label in undrawn]
    note = _wrap(undrawn_note, names, int((width - 2 * MARGIN) / 6.8)) if undrawn else []
    height = top + len(rows) * BOX_H + (len(rows) - 1) * GAP_Y + MARGIN + 24 + 16 * len(note)

    def y(box: Box) -> float:
        return top + box.layer * (BOX_H + GAP_Y)

    # role="group", not "img": an image role would hide the boxes' links (nested-interactive).
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" role="group" lang="{lang}" aria-labelledby="diagram-title-{lang}" '
        f'font-family="{FONT}">',
        f'<title id="diagram-title-{lang}">{escape(title)}</title>',
        "<defs>"
        f'<marker id="arrow-{lang}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#456"/>'
        "</marker>"
        f'<marker id="hollow-{lang}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" '
        'markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#fff" '
        'stroke="#456"/></marker>'
        "</defs>",
        f'<text x="{MARGIN}" y="{MARGIN + 6}" font-size="15" font-weight="600">'
        f"{escape(title)}</text>",
        f'<text x="{MARGIN}" y="{MARGIN + 22}" font-size="12" fill="#456">'
        f"{escape(subclass_note)}</text>",
        f'<g transform="translate({MARGIN},0)">',
    ]
    labels: list[str] = []
    taken: list[Rect] = [
        (b.x - 4, y(b) - 4, b.x + b.width + 4, y(b) + BOX_H + 4) for b in boxes.values()
    ]
    for edge in edges:
        a, b = boxes[edge.source], boxes[edge.target]
        parts.append(_edge(edge, a, b, y(a), y(b), lang, labels, taken))
    for box in sorted(boxes.values(), key=lambda b: str(b.term)):
        top_y = y(box)
        parts.append(
            f"<a href={quoteattr(str(box.term))}><title>{escape(box.name)}</title>"
            f'<rect x="{box.x:.1f}" y="{top_y:.1f}" width="{box.width:.1f}" height="{BOX_H}" '
            'rx="6" fill="#eef4fb" stroke="#345"/>'
            f'<text x="{box.x + box.width / 2:.1f}" y="{top_y + 17:.1f}" text-anchor="middle" '
            f'font-size="13" font-weight="600" fill="#123">{escape(box.label)}</text>'
            f'<text x="{box.x + box.width / 2:.1f}" y="{top_y + 32:.1f}" text-anchor="middle" '
            f'font-size="11" font-family="monospace" fill="#456">{escape(box.name)}</text></a>'
        )
    parts += labels  # last: no line or box covers a label
    parts.append("</g>")
    for i, line in enumerate(note):
        parts.append(
            f'<text x="{MARGIN}" y="{height - MARGIN - (len(note) - 1 - i) * 16:.0f}" '
            f'font-size="12" fill="#456">{escape(line)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


Rect = tuple[float, float, float, float]  # left, top, right, bottom

#: Where along an edge (Bézier parameter t) its label may go, in order of preference.
_SPOTS = (0.5, 0.38, 0.62, 0.28, 0.72, 0.2, 0.8, 0.45, 0.55, 0.33, 0.67)


def _wrap(lead: str, items: list[str], chars: int) -> list[str]:
    """``lead`` and the items, comma-separated, in lines of at most ``chars`` characters where
    possible; an item is never split."""
    lines = [lead.rstrip()]
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(lines[-1]) + 1 + len(piece) > chars:
            lines.append(piece)
        else:
            lines[-1] += " " + piece
    return lines


def _point(ax: float, bx: float, y1: float, y2: float, t: float) -> tuple[float, float]:
    """A point of the curve from (ax, y1) to (bx, y2) with vertical tangents at both ends."""
    ease = 3 * t**2 - 2 * t**3
    return ax + (bx - ax) * ease, y1 + (y2 - y1) * ease


def _overlaps(r: Rect, others: list[Rect]) -> bool:
    return any(r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3] for o in others)


def _edge(
    edge: Edge,
    a: Box,
    b: Box,
    ya: float,
    yb: float,
    lang: str,
    labels: list[str],
    taken: list[Rect],
) -> str:
    """The path of one edge; its label (links to the properties) goes into ``labels``, drawn
    after every path and box, at the first spot along the edge that no box and no other label
    covers (``taken`` holds their rectangles)."""
    stroke = 'stroke="#456" fill="none" stroke-width="1.3"'
    if edge.subclass:
        marker, dash = f"hollow-{lang}", ' stroke-dasharray="5 4"'
    else:
        marker, dash = f"arrow-{lang}", ""
    names = [label for _, label in edge.properties]
    width = max((len(n) for n in names), default=0) * CHAR * 0.9 + 6
    height = len(names) * LINE + 3
    if a is b:  # a loop on the right of the box
        x0, y0 = a.x + a.width, ya + BOX_H / 2
        path = (
            f"M{x0:.1f},{y0 - 8:.1f} C{x0 + 40:.1f},{y0 - 34:.1f} "
            f"{x0 + 40:.1f},{y0 + 34:.1f} {x0:.1f},{y0 + 8:.1f}"
        )
        spots = [  # right of the loop, else below or above the box's right end
            (x0 + 32 + width / 2, y0 + 30 + height / 2 - 11),
            (x0 - width / 2, ya + BOX_H + 6 + height / 2),
            (x0 - width / 2, ya - 6 - height / 2),
        ]
    else:
        ax, bx = a.x + a.width / 2, b.x + b.width / 2
        y1, y2 = (ya + BOX_H, yb) if yb > ya else (ya, yb + BOX_H)
        path = (
            f"M{ax:.1f},{y1:.1f} C{ax:.1f},{(y1 + y2) / 2:.1f} "
            f"{bx:.1f},{(y1 + y2) / 2:.1f} {bx:.1f},{y2:.1f}"
        )
        spots = [_point(ax, bx, y1, y2, t) for t in _SPOTS]
    if names:
        for cx, cy in spots:
            rect = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
            if not _overlaps(rect, taken):
                break
        else:
            cx, cy = spots[0]
            rect = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
        taken.append(rect)
        labels.append(
            f'<rect x="{rect[0]:.1f}" y="{rect[1]:.1f}" width="{width:.1f}" height="{height}" '
            'fill="#fff" fill-opacity="0.85"/>'
        )
        for i, (prop, label) in enumerate(edge.properties):
            labels.append(
                f"<a href={quoteattr(str(prop))}><title>dk:{escape(str(prop)[len(DK) :])}</title>"
                f'<text x="{cx:.1f}" y="{rect[1] + 12 + i * LINE:.1f}" text-anchor="middle" '
                f'font-size="11.5" fill="#234">{escape(label)}</text></a>'
            )
    return f'<path d="{path}" {stroke}{dash} marker-end="url(#{marker})"/>'


def ontology_graph(union: Graph) -> Graph:
    """What the diagram needs from the union of the inputs: our classes and properties."""
    ours = Graph()
    for s, p, o in union:
        if _ours(s) and p in (
            RDF.type,
            RDFS.label,
            RDFS.domain,
            RDFS.range,
            RDFS.subClassOf,
            OWL.deprecated,
        ):
            ours.add((s, p, o))
    return ours


def render_all(graph: Graph) -> dict[str, str]:
    """File name → SVG, one per language."""
    return {FILE_NAME.format(lang=lang): render(graph, lang) for lang in LANGS}
