"""The small map on a place's page: the municipality (or a county's municipalities) marked on
the same map of Sweden that ``/map`` draws, through ``kg.web.site.drawings.map``'s own drawing."""

from __future__ import annotations

from markupsafe import Markup

from kg.web.site.drawings.map import map_svg, places
from kg.web.site.rendering import iri_ref, select


def small_map(kind: str, iri: str, lang: str) -> Markup | None:
    """An inline SVG for a municipality or a county with coordinates; None for other things."""
    if kind == "municipality":
        members = {iri}
    elif kind == "county":
        members = {
            r["m"].value for r in select(f"SELECT ?m WHERE {{ ?m dk:inCounty {iri_ref(iri)} }}")
        }
    else:
        return None
    found = [p for p in places(lang) if p.iri in members and p.lat is not None]
    if not found:
        return None
    return Markup(map_svg(found, lang, None))  # noqa: S704 - map_svg escapes every name it writes
