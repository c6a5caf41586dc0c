"""Found and shared (issue #24, item 7): every page tells search engines and link previews
what it is, and the dataset and its things are described in schema.org JSON-LD."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from tests.browser.test_layout import ALL_PAGES


class Head(HTMLParser):
    """The <meta>, <link> and JSON-LD blocks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.jsonld: list[dict] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("name" in a or "property" in a):
            self.meta[a.get("name") or a["property"]] = a.get("content", "")
        elif tag == "link":
            self.links.append(a)
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_jsonld = True

    def handle_data(self, data) -> None:
        if self._in_jsonld:
            self.jsonld.append(json.loads(data))
            self._in_jsonld = False


def head(client, path: str) -> Head:
    response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
    assert response.status_code in (200, 404)
    parsed = Head()
    parsed.feed(response.get_data(as_text=True))
    return parsed


@pytest.fixture(scope="module")
def web(built):
    from kg import create_app

    app = create_app(built, lean=False)
    return app.test_client()


HTML_PAGES = [(name, path) for name, path, _ in ALL_PAGES if name != "not-found"]


@pytest.mark.parametrize(("name", "path"), HTML_PAGES, ids=[p[0] for p in HTML_PAGES])
def test_every_page_has_a_description_canonical_hreflang_and_open_graph(web, name, path) -> None:
    page = head(web, path)
    assert len(page.meta["description"]) >= 50
    canonical = [link["href"] for link in page.links if link.get("rel") == "canonical"]
    assert len(canonical) == 1 and canonical[0].startswith("http")
    langs = {link["hreflang"]: link["href"] for link in page.links if "hreflang" in link}
    assert {"sv", "en", "x-default"} <= set(langs)
    assert "lang=sv" in langs["sv"] and "lang=en" in langs["en"]
    assert canonical[0] in (langs["sv"], langs["en"])  # the page in its own language
    for prop in ("og:title", "og:description", "og:url", "og:type", "og:locale"):
        assert page.meta.get(prop), prop
    assert page.meta["og:url"] == canonical[0]


@pytest.mark.parametrize("path", ["/?lang=en", "/downloads?lang=sv"])
def test_home_and_catalogue_describe_the_dataset_as_google_asks(web, path) -> None:
    datasets = [d for d in head(web, path).jsonld if d.get("@type") == "Dataset"]
    assert len(datasets) == 1
    d = datasets[0]
    for field in ("name", "description", "url", "license", "creator", "version"):
        assert d[field], field
    assert 50 <= len(d["description"]) <= 5000  # Google's bounds
    assert d["license"] == "https://creativecommons.org/licenses/by/4.0/"
    formats = {x["encodingFormat"] for x in d["distribution"]}
    assert {"text/turtle", "application/ld+json"} <= formats
    assert all(x["@type"] == "DataDownload" for x in d["distribution"])
    urls = [x["contentUrl"] for x in d["distribution"]]
    assert all(url.startswith("https://w3id.org/digikommun/") for url in urls)
    assert sum(f"/downloads/{d['version']}/" in url for url in urls) >= 4  # the dumps


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/id/municipality/lidingo.html?lang=sv", "GovernmentOrganization"),
        ("/id/person/daniel-broman.html?lang=en", "Person"),
        ("/id/edition/2019.html?lang=en", "Event"),
        ("/id/organisation/skr.html?lang=sv", "Organization"),
        ("/id/county/stockholms-lan.html?lang=en", "Place"),
    ],
)
def test_entity_pages_describe_their_thing_in_schema_org(web, path, kind) -> None:
    (data,) = head(web, path).jsonld
    assert kind in data["@type"]
    assert data["@id"].startswith("https://w3id.org/digikommun/id/") and data["name"]


def test_a_place_has_its_coordinates(web) -> None:
    (data,) = head(web, "/id/municipality/lidingo.html?lang=en").jsonld
    assert "Place" in data["@type"]
    assert 59 < data["geo"]["latitude"] < 60 and 18 < data["geo"]["longitude"] < 19


@pytest.mark.parametrize(
    ("path", "rdf"), [("/catalog", "application/rdf+xml"), ("/.well-known/void", "text/turtle")]
)
def test_dcat_and_void_are_pages_for_browsers_and_rdf_for_programs(web, path, rdf) -> None:
    browser = web.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.mimetype == "text/html" and "Accept" in browser.headers["Vary"]
    assert "<h1>" in browser.get_data(as_text=True)
    assert "catalog#dataset" in browser.get_data(as_text=True)
    for accept in (rdf, "*/*"):
        program = web.get(path, headers={"Accept": accept})
        assert program.mimetype == rdf and "Accept" in program.headers["Vary"]
