"""Country outlines for the map, drawn offline from Natural Earth through npm's ``world-atlas``.

``make frontend`` copies ``countries-10m.json`` (TopoJSON, public-domain Natural Earth data, ISC
package) into the served static folder; nothing is fetched at run time. This module decodes the
few countries the map needs and projects them, so the map is plain SVG that works without
JavaScript.

The projection is a spherical transverse Mercator on 15° E, the central meridian of Sweden's own
grid (SWEREF 99 TM): Sweden is long and narrow, and a cylinder turned along its length keeps
both Skåne and Norrbotten true to shape, where a plain Mercator would swell the north.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ATLAS = Path(__file__).parents[1] / "static" / "vendor" / "world-atlas" / "countries-10m.json"

#: ISO 3166-1 numeric codes, as world-atlas names its features.
SWEDEN = "752"
NEIGHBOURS = ("578", "246", "208")  # Norway, Finland, Denmark: context, drawn in grey

CENTRAL_MERIDIAN = 15.0
CENTRAL_LATITUDE = 62.0

Ring = list[tuple[float, float]]  # (longitude, latitude) pairs


class OutlineMissingError(RuntimeError):
    """The atlas file is not installed: run ``make frontend`` (``make serve`` does)."""


def project(lon: float, lat: float) -> tuple[float, float]:
    """Transverse Mercator on a unit sphere: x east, y north, in radians of arc."""
    lam = math.radians(lon - CENTRAL_MERIDIAN)
    phi = math.radians(lat)
    b = math.cos(phi) * math.sin(lam)
    x = 0.5 * math.log((1 + b) / (1 - b))
    y = math.atan2(math.tan(phi), math.cos(lam)) - math.radians(CENTRAL_LATITUDE)
    return x, y


@lru_cache(maxsize=1)
def _topology() -> dict:
    if not ATLAS.exists():
        raise OutlineMissingError(f"{ATLAS} is missing; run `make frontend`.")
    return json.loads(ATLAS.read_text(encoding="utf-8"))


def _arc(topology: dict, index: int) -> Ring:
    """One arc in longitude/latitude: TopoJSON stores quantised, delta-encoded positions, and a
    negative index means the arc ``~index`` walked backwards."""
    reverse = index < 0
    raw = topology["arcs"][~index if reverse else index]
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    points, x, y = [], 0, 0
    for dx, dy in raw:
        x, y = x + dx, y + dy
        points.append((x * sx + tx, y * sy + ty))
    return points[::-1] if reverse else points


def _ring(topology: dict, arcs: list[int]) -> Ring:
    ring: Ring = []
    for index in arcs:
        points = _arc(topology, index)
        ring.extend(points[1:] if ring else points)  # consecutive arcs share their end point
    return ring


@lru_cache(maxsize=8)
def country_rings(code: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Every ring (outer boundaries and holes) of one country, as longitude/latitude."""
    topology = _topology()
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") != code:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        return tuple(tuple(_ring(topology, ring)) for polygon in polygons for ring in polygon)
    raise KeyError(f"no country {code} in {ATLAS.name}")


@dataclass(frozen=True)
class Frame:
    """Maps longitude/latitude onto SVG pixels for a box around Sweden."""

    width: int
    height: int
    scale: float
    x0: float
    y0: float
    margin: int

    @classmethod
    def around(cls, rings, width: int, margin: int = 12) -> Frame:
        xs, ys = zip(*(project(lon, lat) for ring in rings for lon, lat in ring), strict=True)
        scale = (width - 2 * margin) / (max(xs) - min(xs))
        height = round((max(ys) - min(ys)) * scale) + 2 * margin
        return cls(width, height, scale, min(xs), max(ys), margin)

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = project(lon, lat)
        return (
            self.margin + (x - self.x0) * self.scale,
            self.margin + (self.y0 - y) * self.scale,
        )

    def path(self, rings) -> str:
        """An SVG path; points closer than half a pixel to the last one are dropped."""
        parts = []
        for ring in rings:
            last = None
            coords = []
            for lon, lat in ring:
                px, py = self.point(lon, lat)
                if last and abs(px - last[0]) < 0.5 and abs(py - last[1]) < 0.5:
                    continue
                coords.append(f"{px:.1f} {py:.1f}")
                last = (px, py)
            if len(coords) > 2:
                parts.append("M" + "L".join(coords) + "Z")
        return "".join(parts)
