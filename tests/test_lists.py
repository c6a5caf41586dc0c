"""A page per kind (issue #16, item 2): every thing of a kind with its key facts, sortable on
the server, and the same rows as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from kg.web.site.lists import list_files
from tests.test_pages import get_page


def test_every_list_query_is_read() -> None:
    assert len(list_files()) == 18, "a list query was added or lost: update this count"
    assert all(spec.cls.startswith("dk:") for spec in list_files().values())


@pytest.mark.parametrize("kind", sorted(list_files()))
def test_each_list_answers_with_as_many_rows_as_the_class_has_things(client, app, kind) -> None:
    spec = list_files()[kind]
    count = app.extensions["kg_engine"].query(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {spec.cls} }}"
    )
    items = json.loads(client.get(f"/id/{kind}.json").get_data(as_text=True))["items"]
    assert len(items) == int(count.rows[0]["n"].value) > 0
    assert all(item["thing_iri"].startswith("https://w3id.org/digikommun/id/") for item in items)


def test_municipalities_list_county_code_nominations_and_wins(client) -> None:
    page = get_page(client, "/id/municipality/?lang=sv")
    assert page.lang == "sv"
    html = client.get("/id/municipality/?lang=sv").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S)
    assert len(rows) == 31
    lidingo = next(r for r in rows if ">Lidingö<" in r)
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", lidingo)]
    assert cells == ["Lidingö", "Stockholms län", "0186", "1", "1"]


def test_sorting_on_the_server_and_its_links(client) -> None:
    html = client.get("/id/municipality/?sort=-wins&lang=en").get_data(as_text=True)
    wins = [int(w) for w in re.findall(r'<td class="n"><span>(\d+)</span></td></tr>', html)]
    assert wins == sorted(wins, reverse=True) and wins[0] >= 1 and wins[-1] == 0
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=wins&amp;lang=en"' in html, "a second click sorts the other way"
    by_code = client.get("/id/municipality/?sort=code").get_data(as_text=True)
    codes = re.findall(r"<td><span>(\d{4})</span></td>", by_code)
    assert len(codes) == 31 and codes == sorted(codes)


def test_csv_and_json_by_suffix_by_parameter_and_by_accept(client) -> None:
    by_suffix = client.get("/id/municipality.csv?lang=sv")
    assert by_suffix.mimetype == "text/csv"
    text = by_suffix.get_data(as_text=True).removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 31
    lidingo = next(r for r in rows if r["Kommun"] == "Lidingö")
    assert lidingo["Kommunkod"] == "0186" and lidingo["Län"] == "Stockholms län"
    assert lidingo["Län (IRI)"] == "https://w3id.org/digikommun/id/county/stockholms-lan"
    negotiated = client.get("/id/municipality/", headers={"Accept": "application/json"})
    assert negotiated.mimetype == "application/json" and "Accept" in negotiated.headers["Vary"]
    items = negotiated.get_json()["items"]
    assert len(items) == 31
    assert next(i for i in items if i["code"] == "0186")["wins"] == 1
    param = client.get("/id/municipality/?format=csv", headers={"Accept": "text/html"})
    assert param.mimetype == "text/csv"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/id/municipality/?sort=population", 400),
        ("/id/municipality/?format=xlsx", 400),
        ("/id/municipality.xlsx", 404),
        ("/id/no-such-kind/", 404),
    ],
)
def test_bad_list_requests_get_a_clear_answer(client, url: str, status: int) -> None:
    response = client.get(url, headers={"Accept": "text/plain"})
    assert response.status_code == status
    if status == 400:
        assert response.mimetype == "text/plain" and "use one of" in response.get_data(as_text=True)


def test_home_counts_link_to_the_lists(client) -> None:
    html = client.get("/?lang=en").get_data(as_text=True)
    linked = dict(
        re.findall(r'<a href="/id/([a-z-]+)/\?lang=en">[^<]+</a></td><td class="n">(\d+)', html)
    )
    assert linked["municipality"] == "31"
    for kind, count in linked.items():
        items = client.get(f"/id/{kind}.json").get_json()["items"]
        assert len(items) == int(count), kind


@pytest.mark.parametrize("column", ["code", "wins"])
def test_the_sorted_columns_link_flips_and_the_others_sort_ascending(client, column) -> None:
    """A click on the column the list is sorted by reverses it, whichever way it is sorted;
    a click on any other column sorts that one ascending."""
    for sort, flipped in ((column, "-" + column), ("-" + column, column)):
        html = client.get(f"/id/municipality/?sort={sort}&lang=en").get_data(as_text=True)
        links = set(re.findall(r'href="\?sort=(-?\w+)&amp;lang=en"', html))
        assert flipped in links, (sort, links)
        assert sort not in links, f"sorted by {sort}, the link still sorts by {sort}"
        others = {"thing", "county", "code", "nominations", "wins"} - {column}
        assert others <= links, (sort, links)


def test_tied_rows_keep_their_name_order_both_ways() -> None:
    """Rows that tie on the sorted column are in name order (case folded), ascending or
    descending, however the query returned them; empty cells come last."""
    from kg.web.site.lists import Cell, sorted_rows

    def row(name: str, wins: int | None) -> dict:
        return {
            "thing": [Cell(name)],
            "wins": [] if wins is None else [Cell(str(wins), number=wins)],
        }

    names = ["Östra", "bjuv", "Alingsås", "Cedar", "able", "Dorotea"]
    wins = [1, 0, 1, 0, None, 1]
    rows = [row(n, w) for n, w in zip(names, wins, strict=True)]

    def order(descending: bool) -> list[str]:
        return [r["thing"][0].text for r in sorted_rows(rows, "wins", descending)]

    assert order(False) == ["bjuv", "Cedar", "Alingsås", "Dorotea", "Östra", "able"]
    assert order(True) == ["Alingsås", "Dorotea", "Östra", "bjuv", "Cedar", "able"]


def test_csv_is_for_spreadsheets(client) -> None:
    """Issue 25: headings in the page's language, codes quoted as text, numbers bare, and a
    byte order mark so that a spreadsheet reads the file as UTF-8."""
    body = client.get("/id/municipality.csv?lang=en").get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["Municipality", "Municipality (IRI)", "County"]
    line = next(x for x in text.splitlines() if x.startswith('"Lidingö Municipality"'))
    assert re.search(r'"0186",\d+,\d+$', line), line  # the code quoted, the counts bare


def test_editions_open_sorted_by_year(client) -> None:
    text = client.get("/id/edition.csv?lang=sv").get_data().decode("utf-8-sig")
    years = [row["År"] for row in csv.DictReader(io.StringIO(text))]
    assert years == sorted(years) and years[0] == "2001" and years[-1] == "2023", years
    page = client.get("/id/edition/?lang=en").get_data(as_text=True)
    assert page.index("Sveriges IT-kommun 2001") < page.index("Sveriges DigitaliseringsKommun 2017")


def test_nominations_open_sorted_by_edition_year(client) -> None:
    """Issue 25: a spreadsheet of nominations runs 2001 → 2023, not by the editions' names
    (which put "Sveriges DigitaliseringsKommun 2017" before "Sveriges IT-kommun 2001")."""
    text = client.get("/id/nomination.csv?lang=en").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    years = [row["Year"] for row in rows]
    assert all(years) and years == sorted(years), years
    assert years[0] == "2001" and years[-1] == "2023", years
    assert all(row["Year"] in row["Edition"] for row in rows), rows[:3]
    page = client.get("/id/nomination/?lang=en").get_data(as_text=True)
    assert page.index("Sveriges IT-kommun 2001") < page.index("Sveriges DigitaliseringsKommun 2017")
    assert client.get("/id/nomination/?sort=-year&lang=en").status_code == 200


def test_the_downloads_page_offers_csv_tables_with_readable_sizes(client) -> None:
    from kg.web.services.downloads import human_size

    page = client.get("/downloads?lang=en").get_data(as_text=True)
    for kind in ("municipality", "edition", "nomination", "person", "post", "statement"):
        assert f'href="/id/{kind}.csv?lang=en"' in page, kind
    assert re.search(r">\d+(\.\d)? (kB|MB)</span>", page), "sizes as people read them"
    assert not re.search(r'">\d{4,}</span>', page), "no raw byte counts"
    assert human_size(1234, "sv") == "1,2 kB" and human_size(1234, "en") == "1.2 kB"
    assert human_size(999, "en") == "999 B" and human_size(2_500_000, "en") == "2.5 MB"
    assert client.get("/id/statement.csv?lang=en").status_code == 200
