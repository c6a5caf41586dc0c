"""Pictures rendered on the server as SVG: a timeline of the award's editions and a chart of
the municipalities involved. Server-side SVG needs no script and no chart library, works
offline and can be linked, embedded or downloaded as a file."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response
from markupsafe import Markup

from kg.web.site.drawings.font_metrics import FAMILY, text_width
from kg.web.site.rendering import current_lang, href, page, select

pictures = Blueprint("pictures", __name__)

AWARD = "https://w3id.org/digikommun/id/award/sveriges-digitaliseringskommun"
SIZE = 13  # px, the pictures' text
#: Presentation attributes, not style="": the Content-Security-Policy (style-src 'self') blocks
#: inline styles, and attributes also hold in the .svg files opened on their own.
FONT = f'font-family="\'{FAMILY}\', sans-serif" font-size="{SIZE}"'
GOLD = "#8a5a00"  # the winners' names: 6.4:1 on white


@dataclass
class Edition:
    iri: str
    year: str
    label: str
    nominees: dict[str, str] = field(default_factory=dict)  # IRI → name
    winners: set[str] = field(default_factory=set)


def editions() -> list[Edition]:
    """Every edition of the award with its nominees (alone or joint) and its winners."""
    found: dict[str, Edition] = {}
    for row in select(
        f"""SELECT ?e ?year ?label ?m ?name ?win WHERE {{
          ?e dk:editionOf <{AWARD}> ; dk:year ?year .
          OPTIONAL {{ ?e rdfs:label ?label FILTER (lang(?label) = "sv") }}
          OPTIONAL {{
            ?n dk:forEdition ?e ; dk:nominee ?m .
            ?m skos:prefLabel ?name FILTER (lang(?name) = "sv")
            BIND (EXISTS {{ ?n dk:stage dk:Winner }} AS ?win)
          }}
        }} ORDER BY ?year ?name"""
    ):
        e = found.setdefault(
            row["e"].value,
            Edition(
                row["e"].value,
                row["year"].value,
                row["label"].value if "label" in row else row["year"].value,
            ),
        )
        if "m" in row:
            name = row["name"].value  # several Swedish labels (Lidingö, Lidingö stad): shortest
            if len(name) < len(e.nominees.get(row["m"].value, name + "_")):
                e.nominees[row["m"].value] = name
            if row["win"].value == "true":
                e.winners.add(row["m"].value)
    return sorted(found.values(), key=lambda e: e.year)


def _link(iri: str, lang: str, inner: str) -> str:
    return f"<a href={quoteattr(href(iri, lang) or iri)}>{inner}</a>"


def timeline_svg(lang: str) -> str:
    """One row per edition: the year on an axis, the winner first (★), then the nominees."""
    width, left, line = 980, 150, 22
    rows = []
    y = 40
    for e in editions():
        names = sorted(e.nominees.items(), key=lambda kv: (kv[0] not in e.winners, kv[1]))
        x, lines = left, 1
        parts = []
        for iri, name in names:
            won = iri in e.winners
            star = 14 if won else 0  # a drawn star before a winner's name (the font has no ★)
            length = text_width(name, SIZE, bold=won)
            advance = star + length + 18
            if x + advance > width - 10:
                x, lines = left, lines + 1
            ty = y + (lines - 1) * line
            mark = f'<path d="{star_path(x + 5, ty - 4.5, 6)}" fill="{GOLD}"/>' if won else ""
            weight = ' font-weight="700"' if won else ""
            parts.append(
                _link(
                    iri,
                    lang,
                    mark
                    # textLength equals the measured width in the served font; should another
                    # font stand in (the .svg file opened on its own), names still never overlap.
                    + f'<text x="{x + star:.0f}" y="{ty}" fill="{GOLD if won else "#1d2733"}"'
                    f'{weight} textLength="{length:.1f}" lengthAdjust="spacingAndGlyphs"'
                    f' class="{"winner" if won else "nominee"}">{escape(name)}</text>',
                )
            )
            x += advance
        height = lines * line + 10
        rows.append(
            f'<circle cx="100" cy="{y - 5}" r="6" fill="{"#d9a400" if e.winners else "#9aa7b4"}"/>'
            + _link(
                e.iri,
                lang,
                f'<text x="20" y="{y}" font-weight="700" font-size="15">{escape(e.year)}</text>',
            )
            + f"<title>{escape(e.label)}</title>"
            + "".join(parts)
            + f'<line x1="{left}" x2="{width - 10}" y1="{y + height - line + 4}"'
            f' y2="{y + height - line + 4}" stroke="#eef2f6"/>'
        )
        y += height
    title = (
        "Sveriges DigitaliseringsKommun: omgångar, nominerade och vinnare (★)"
        if lang == "sv"
        else "Sveriges DigitaliseringsKommun: editions, nominees and winners (★)"
    )
    return _svg(
        width,
        y + 10,
        title,
        f'<line x1="100" x2="100" y1="30" y2="{y - 10}" stroke="#9aa7b4" stroke-width="2"/>'
        + "".join(rows),
    )


def municipalities_svg(lang: str) -> str:
    """A table as a picture: municipalities grouped by county (rows) × editions (columns);
    a ring marks a nomination, a filled disc with a star a win."""
    eds = editions()
    years = [e.year for e in eds]
    county_of: dict[str, tuple[str, str]] = {}
    for row in select(
        """SELECT ?m ?c ?cname WHERE {
          ?m a dk:Municipality ; dk:inCounty ?c .
          ?c skos:prefLabel ?cname FILTER (lang(?cname) = "sv")
        }"""
    ):
        county_of[row["m"].value] = (row["c"].value, row["cname"].value)
    grid: dict[str, dict[str, str]] = defaultdict(dict)  # municipality → year → state
    names: dict[str, str] = {}
    for e in eds:
        for iri, name in e.nominees.items():
            if iri not in county_of:
                continue  # not a municipality (none today; keeps the chart honest if that changes)
            names[iri] = name
            grid[iri][e.year] = "won" if iri in e.winners else "nominated"
    by_county: dict[tuple[str, str], list[str]] = defaultdict(list)
    for iri in names:
        by_county[county_of[iri]].append(iri)
    left, col, line, top = 190, 54, 20, 70
    body = []
    for i, year in enumerate(years):
        body.append(
            f'<text x="{left + i * col + col / 2}" y="{top - 12}" text-anchor="middle"'
            f' font-weight="700">{escape(year)}</text>'
        )
    y = top
    for (county, cname), members in sorted(by_county.items(), key=lambda kv: kv[0][1]):
        y += 6
        body.append(
            _link(
                county,
                lang,
                f'<text x="8" y="{y + 12}" font-weight="700" fill="#12324f">{escape(cname)}</text>',
            )
        )
        y += line
        for iri in sorted(members, key=lambda m: names[m]):
            body.append(
                f'<rect x="0" y="{y}" width="{left + col * len(years)}" height="{line}"'
                f' fill="{"#f6f8fa" if len(body) % 2 else "#ffffff"}"/>'
            )
            body.append(_link(iri, lang, f'<text x="20" y="{y + 14}">{escape(names[iri])}</text>'))
            for i, year in enumerate(years):
                state = grid[iri].get(year)
                cx, cy = left + i * col + col / 2, y + line / 2
                if state == "won":
                    body.append(
                        f'<circle cx="{cx}" cy="{cy}" r="8" fill="#d9a400" class="won">'
                        f"<title>{escape(names[iri])} {escape(year)}: vinnare / winner</title>"
                        f'</circle><path d="{star_path(cx, cy, 5.5)}" fill="#ffffff"/>'
                    )
                elif state:
                    body.append(
                        f'<circle cx="{cx}" cy="{cy}" r="6" fill="none" stroke="#0b5cad"'
                        f' stroke-width="2" class="nominated"><title>{escape(names[iri])}'
                        f" {escape(year)}: nominerad / nominee</title></circle>"
                    )
            y += line
    title = (
        "Kommunerna per län: nominerad (ring) och vinnare (★) per omgång"
        if lang == "sv"
        else "Municipalities by county: nominated (ring) and winner (★) per edition"
    )
    return _svg(left + col * len(years) + 10, y + 20, title, "".join(body))


def _svg(width: float, height: float, title: str, inner: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}"'
        f' width="{width:.0f}" height="{height:.0f}" role="group" class="drawing" {FONT}>'
        f"<title>{escape(title)}</title>"
        f'<text x="8" y="20" font-size="15" fill="#5d6b7a">{escape(title)}</text>'
        f"{inner}</svg>"
    )


def star_path(cx: float, cy: float, r: float) -> str:
    """A five-pointed star centred on (cx, cy) with outer radius r, as path data."""
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.1f} {cy - radius * math.sin(angle):.1f}")
    return "M" + "L".join(points) + "Z"


def svg_response(svg: str) -> Response:
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + svg, mimetype="image/svg+xml")


@pictures.get("/pictures/timeline.svg")
def timeline() -> Response:
    return svg_response(timeline_svg(current_lang()))


@pictures.get("/pictures/municipalities.svg")
def municipalities() -> Response:
    return svg_response(municipalities_svg(current_lang()))


@pictures.get("/pictures")
def pictures_page() -> Response:
    lang = current_lang()
    return page(
        "pictures.html",
        lang=lang,
        timeline=Markup(timeline_svg(lang)),  # noqa: S704 - built above with every text escaped
        municipalities=Markup(municipalities_svg(lang)),  # noqa: S704 - as above
    )
