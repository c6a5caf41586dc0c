"""The map (/map, /map.svg) and the outline it is drawn on, without a browser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kg.web.site.drawings.outline import SWEDEN, Frame, country_rings, project

SVG = "{http://www.w3.org/2000/svg}"
GEO = "PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>\n"


def test_sweden_outline_is_decoded_from_the_atlas() -> None:
    rings = country_rings(SWEDEN)
    lons = [lon for ring in rings for lon, _ in ring]
    lats = [lat for ring in rings for _, lat in ring]
    # Natural Earth's Sweden: Smygehuk (55.3° N) to Treriksröset (69.1° N), 10.9° E to 24.2° E
    assert 55.2 < min(lats) < 55.5 and 68.9 < max(lats) < 69.2
    assert 10.5 < min(lons) < 11.3 and 24.0 < max(lons) < 24.3
    assert len(rings) > 20  # the mainland and the islands, Gotland and Öland among them


def test_projection_keeps_east_east_and_north_north() -> None:
    goteborg, lidingo, kalix = (11.97, 57.71), (18.15, 59.36), (23.15, 65.85)
    assert project(*goteborg)[0] < project(*lidingo)[0] < project(*kalix)[0]
    assert project(*goteborg)[1] < project(*lidingo)[1] < project(*kalix)[1]
    frame = Frame.around(country_rings(SWEDEN), 360)
    x, y = frame.point(*kalix)
    assert 0 < x < frame.width and 0 < y < frame.height / 3  # Kalix is high up on the page


def _svg(client, query: str = "") -> ET.Element:
    response = client.get("/map.svg" + query)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    return ET.fromstring(response.data)


def test_every_municipality_with_coordinates_is_a_point(client, sparql_rows) -> None:
    placed = {
        row["m"]
        for row in sparql_rows(
            GEO + "SELECT ?m WHERE { ?m a dk:Municipality ; geo:lat ?a ; geo:long ?b }"
        )
    }
    points = {a.get("data-iri") for a in _svg(client).iter(SVG + "a")}
    assert points == placed


def test_an_edition_shows_its_winners_as_stars(client, sparql_rows) -> None:
    for year in ("2019", "2021"):
        winners = {
            row["m"]
            for row in sparql_rows(
                GEO
                + f"""SELECT ?m WHERE {{ ?n dk:forEdition/dk:year "{year}"^^xsd:gYear ;
                     dk:stage dk:Winner ; dk:nominee ?m . ?m geo:lat ?lat }}"""
            )
        }
        stars = {
            a.get("data-iri")
            for a in _svg(client, f"?edition={year}").iter(SVG + "a")
            if "won" in a.get("class", "").split()
        }
        assert stars == winners


def test_points_link_to_profiles_and_say_what_happened(client) -> None:
    for a in _svg(client, "?lang=en").iter(SVG + "a"):
        slug = a.get("data-iri").rsplit("/", 1)[1]
        assert a.get("href") == f"/id/municipality/{slug}.html?lang=en"
        title = a.find(SVG + "title").text
        assert title.split(":")[1].strip().split(" ")[0] in {"winner", "nominated", "not"}


@pytest.mark.parametrize("edition", ["1999", "x", "2019'"])
def test_an_unknown_edition_is_a_404_not_an_error(client, edition: str) -> None:
    assert client.get("/map", query_string={"edition": edition}).status_code == 404
    assert client.get("/map.svg", query_string={"edition": edition}).status_code == 404


def test_the_map_page_lists_every_municipality_in_words(client, sparql_rows) -> None:
    page = client.get("/map?lang=sv").get_data(as_text=True)
    names = [
        r["n"]
        for r in sparql_rows(
            'SELECT ?n WHERE { ?m a dk:Municipality ; skos:prefLabel ?n FILTER(LANG(?n) = "sv") }'
        )
    ]
    assert len(names) >= 31
    for name in names:
        assert f">{name}</a>" in page
    assert '<html lang="sv">' in page
