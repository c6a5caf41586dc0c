"""The map: every municipality of the graph at the coordinates of its seat, over Sweden's outline.

Server-side SVG, so it works without JavaScript and can be linked or downloaded. Points are
coloured *and* shaped by what happened (a star for a win, a ring for a nomination), so the map
does not rely on colour alone (WCAG 1.4.1), and a table under it says the same in words.
Coordinates come from the outward-links graph (``geo:lat``/``geo:long``, each with the page
that states it); a municipality without them is listed, never guessed onto the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, abort, request
from markupsafe import Markup

from kg.web.site.drawings.outline import NEIGHBOURS, SWEDEN, Frame, country_rings
from kg.web.site.drawings.pictures import FONT, star_path, svg_response
from kg.web.site.rendering import current_lang, href, page, select

geo_map = Blueprint("map", __name__)

WIDTH = 360
STAR = "#b07800"  # gold on white: 3.6:1 against the page, enough for a graphical object (1.4.11)
RING = "#0b5cad"
FAINT = "#8795a3"


@dataclass
class Place:
    iri: str
    name: str
    county: str = ""
    lat: float | None = None
    long: float | None = None
    nominated: set[str] = field(default_factory=set)
    won: set[str] = field(default_factory=set)

    def state(self, edition: str | None) -> str:
        """won, nominated or none, in one edition or (``None``) across all of them."""
        if edition is None:
            return "won" if self.won else "nominated" if self.nominated else "none"
        if edition in self.won:
            return "won"
        return "nominated" if edition in self.nominated else "none"


def places(lang: str) -> list[Place]:
    found: dict[str, Place] = {}
    for row in select(
        f"""PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
        SELECT ?m ?name ?cname ?lat ?long ?year ?win WHERE {{
          ?m a dk:Municipality ; skos:prefLabel ?name FILTER (lang(?name) = "{lang}")
          OPTIONAL {{ ?m dk:inCounty/skos:prefLabel ?cname FILTER (lang(?cname) = "{lang}") }}
          OPTIONAL {{ ?m geo:lat ?lat ; geo:long ?long }}
          OPTIONAL {{
            ?n dk:nominee ?m ; dk:forEdition/dk:year ?year .
            BIND (EXISTS {{ ?n dk:stage dk:Winner }} AS ?win)
          }}
        }}"""
    ):
        iri = row["m"].value
        place = found.setdefault(iri, Place(iri, row["name"].value))
        if "cname" in row:
            place.county = row["cname"].value
        if "lat" in row:
            place.lat, place.long = float(row["lat"].value), float(row["long"].value)
        if "year" in row:
            year = row["year"].value
            (place.won if row["win"].value == "true" else place.nominated).add(year)
    for place in found.values():
        place.nominated -= place.won  # a win is also a nomination; show the stronger
    return sorted(found.values(), key=lambda p: p.name)


def editions(found: list[Place]) -> list[str]:
    return sorted({y for p in found for y in p.nominated | p.won})


def chosen_edition(found: list[Place]) -> str | None:
    asked = request.args.get("edition", "")
    if not asked:
        return None
    if asked not in editions(found):
        abort(404, f"No edition {asked!r} in the graph.")
    return asked


@lru_cache(maxsize=2)
def background(width: int) -> tuple[Frame, str]:
    """The sea, the neighbours and Sweden, projected and drawn once: the outlines never change,
    and drawing them from the 1:10m atlas costs about 100 ms, twice the budget of a page."""
    sweden = country_rings(SWEDEN)
    frame = Frame.around(sweden, width)
    drawn = "".join(
        [
            f'<rect width="{frame.width}" height="{frame.height}" fill="#eef4fa"/>',
            *(
                f'<path d="{frame.path(country_rings(code))}" fill="#e3e7eb" stroke="#c4ccd4"'
                ' stroke-width="0.6"/>'
                for code in NEIGHBOURS
            ),
            f'<path d="{frame.path(sweden)}" fill="#ffffff" stroke="#5d6b7a" stroke-width="0.8"'
            ' class="sweden"/>',
        ]
    )
    return frame, drawn


def map_svg(found: list[Place], lang: str, edition: str | None) -> str:
    frame, outlines = background(WIDTH)
    sv = lang == "sv"
    title = ("Kommunerna på kartan" if sv else "The municipalities on the map") + (
        f", {edition}" if edition else ""
    )
    desc = (
        "Stjärna: vinnare. Ring: nominerad. Liten grå punkt: inte nominerad"
        + (" detta år." if edition else ".")
        if sv
        else "Star: winner. Ring: nominated. Small grey dot: not nominated"
        + (" that year." if edition else ".")
    )
    body = [outlines]
    order = {"none": 0, "nominated": 1, "won": 2}  # winners drawn last, on top
    for place in sorted(found, key=lambda p: order[p.state(edition)]):
        if place.lat is None or place.long is None:
            continue
        x, y = frame.point(place.long, place.lat)
        state = place.state(edition)
        years = ", ".join(sorted(place.won | place.nominated)) if edition is None else edition
        what = {
            "won": ("vinnare" if sv else "winner"),
            "nominated": ("nominerad" if sv else "nominated"),
            "none": ("inte nominerad" if sv else "not nominated"),
        }[state]
        tip = f"{place.name}: {what}" + (f" ({years})" if state != "none" else "")
        if state == "won":
            star = star_path(x, y, 7.5)
            mark = f'<path d="{star}" fill="{STAR}" stroke="#ffffff" stroke-width="1"/>'
        elif state == "nominated":
            mark = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#ffffff" stroke="{RING}"'
                ' stroke-width="2.2"/>'
            )
        else:
            mark = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{FAINT}"/>'
        link = href(place.iri, lang) or place.iri
        body.append(
            f'<a href={quoteattr(link)} class="place {state}" data-iri={quoteattr(place.iri)}>'
            f"<title>{escape(tip)}</title>{mark}</a>"
        )
    # role="group", not "img": an image role hides the points' links (WCAG nested-interactive).
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}"'
        f' width="{frame.width}" height="{frame.height}" role="group" aria-labelledby="map-title'
        f' map-desc" class="drawing" {FONT}>'
        f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


@geo_map.get("/map.svg")
def map_picture() -> Response:
    lang = current_lang()
    found = places(lang)
    return svg_response(map_svg(found, lang, chosen_edition(found)))


@geo_map.get("/map")
def map_page() -> Response:
    lang = current_lang()
    found = places(lang)
    edition = chosen_edition(found)
    shown = [p for p in found if edition is None or p.state(edition) != "none"]
    return page(
        "map.html",
        lang=lang,
        edition=edition,
        editions=editions(found),
        places=shown,
        unplaced=[p for p in shown if p.lat is None],
        picture=Markup(map_svg(found, lang, edition)),  # noqa: S704 - every text escaped above
        query=request.args.get("edition", ""),
    )
