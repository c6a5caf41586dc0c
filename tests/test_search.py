"""/search and /opensearch.xml on the real build: JSON and HTML, grouping, snippets, case,
diacritics and misspellings, and clear 4xx answers to bad input."""

from __future__ import annotations

import html
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from kg.settings import Settings
from kg.web.services.search import marked
from kg.web.services.search_lookup import CLOSE, OPEN, edit_distance, terms
from tests.conftest import for_answers

ID = "https://w3id.org/digikommun/id/"


@pytest.fixture(scope="module")
def client(built: Settings):
    from kg import create_app

    app = create_app(for_answers(built, store="memory"))
    app.config["TESTING"] = True
    return app.test_client()


def found(client, q: str, **args) -> dict:
    response = client.get("/search", query_string={"q": q, "format": "json", **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(body: dict) -> list[str]:
    return [r["id"] for g in body["groups"] for r in g["results"]]


def first(body: dict) -> str:
    return body["groups"][0]["results"][0]["id"]


@pytest.mark.parametrize("q", ["lidingo", "Lidingö", "LIDINGÖ", "lidingö stad", "Lidngö"])
def test_lidingo_is_found_without_case_diacritics_or_one_typo(client, q: str) -> None:
    body = found(client, q)
    assert first(body) == ID + "municipality/lidingo"
    assert body["groups"][0]["kind"] == "municipality"


def test_broman_finds_the_person_first_and_his_quotes(client, built) -> None:
    from kg.store import open_engine

    body = found(client, "broman", lang="en")
    assert first(body) == ID + "person/daniel-broman"
    groups = {g["kind"]: g for g in body["groups"]}
    rows = (
        open_engine(built)
        .query("SELECT ?s WHERE { ?s a dk:Statement ; dk:speaker person:daniel-broman }")
        .rows
    )
    his = {row["s"].value for row in rows}
    assert his and his <= {r["id"] for r in groups["statement"]["results"]}
    assert groups["statement"]["label"] == "statement"
    assert groups["person"]["count"] == 1


def test_results_are_grouped_by_kind_in_order_of_their_best_hit(client) -> None:
    body = found(client, "lidingo")
    kinds = [g["kind"] for g in body["groups"]]
    assert len(kinds) == len(set(kinds)) > 3
    assert body["count"] == sum(g["count"] for g in body["groups"]) == len(ids(body))
    for group in body["groups"]:
        assert all(r["id"].startswith(ID + group["kind"] + "/") for r in group["results"])


def test_swedish_and_english_labels(client) -> None:
    sv = found(client, "lidingo", lang="sv")
    en = found(client, "lidingo", lang="en")
    assert sv["groups"][0]["label"] == "kommun" and en["groups"][0]["label"] == "municipality"
    assert sv["groups"][0]["results"][0]["name"] == "Lidingö"
    assert en["groups"][0]["results"][0]["name"] == "Lidingö Municipality"
    assert en["groups"][0]["results"][0]["url"] == "/id/municipality/lidingo.html?lang=en"


def test_an_english_translation_finds_the_swedish_quote_with_a_marked_snippet(client) -> None:
    body = found(client, "ever-present issue", lang="en")
    statements = next(g for g in body["groups"] if g["kind"] == "statement")
    hit = statements["results"][0]
    assert hit["id"] == ID + "statement/001-broman-rubrik"
    assert "<mark>ever-present</mark>" in hit["snippet_html"].lower()
    assert "<mark>" not in hit["snippet"] and OPEN not in hit["snippet"]


def test_snippets_are_in_the_pages_language(client) -> None:
    """The English words find the statement; a Swedish page shows its Swedish quote."""
    body = found(client, "ever-present issue", lang="sv")
    statements = next(g for g in body["groups"] if g["kind"] == "statement")
    hit = statements["results"][0]
    assert hit["id"] == ID + "statement/001-broman-rubrik"
    assert "ständigt närvarande" in hit["snippet"]
    assert "ever-present" not in hit["snippet"]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("kungsbaka", "municipality/kungsbacka"), ("sundsval", "municipality/sundsvall")],
)
def test_small_misspellings_still_find_the_thing(client, typo: str, meant: str) -> None:
    assert ID + meant in ids(found(client, typo))


def test_html_page_groups_results_under_headings_with_links(client) -> None:
    response = client.get("/search?q=broman&lang=en", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    headings = re.findall(r'<section class="search-group" id="kind-([a-z-]+)">', page)
    assert headings[0] == "person" and "statement" in headings
    assert '<a class="search-hit" href="/id/person/daniel-broman.html?lang=en">' in page
    assert "<mark>Broman</mark>" in page
    assert "Accept" in response.headers["Vary"]


def test_json_by_accept_header(client) -> None:
    response = client.get("/search?q=lidingo", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json"
    assert first(response.get_json()) == ID + "municipality/lidingo"
    csv = client.get("/search?q=lidingo", headers={"Accept": "text/csv"})
    assert csv.status_code == 406


def test_snippets_are_escaped_before_matches_are_marked() -> None:
    text = f'<script>alert("x")</script> {OPEN}Lidingö{CLOSE} & <b>'
    out = str(marked(text))
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "<mark>Lidingö</mark>" in out and "&amp;" in out


def test_the_query_is_escaped_where_the_page_repeats_it(client) -> None:
    q = "<img src=x onerror=alert(1)> lidingo"
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert "<img src=x" not in page
    assert html.escape(q, quote=True) in page or "&lt;img src=x" in page


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"lidingo',
        "lidingo*",
        "*",
        "NEAR(lidingo broman)",
        "lidingo AND OR NOT",
        "(((",
        "names: lidingo",
        "^lidingo",
        "-lidingo",
        "lidingo + {a b}",
        "\x00\x01",
        "ö" * 200,
    ],
)
def test_fts_syntax_never_fails(client, q: str) -> None:
    for fmt in ("json", "html"):
        response = client.get("/search", query_string={"q": q, "format": fmt})
        assert response.status_code in (200, 400), (q, fmt, response.status_code)
        if fmt == "json" and response.status_code == 400:
            assert terms(q) == [], "only a query without words may be refused"


def test_bad_input_gets_a_clear_4xx(client) -> None:
    long = client.get("/search", query_string={"q": "a" * 201, "format": "json"})
    assert long.status_code == 400 and "200 characters" in long.get_json()["error"]
    long_html = client.get("/search", query_string={"q": "a" * 201})
    assert long_html.status_code == 400 and "200 characters" in long_html.get_data(as_text=True)
    empty = client.get("/search?q=&format=json")
    assert empty.status_code == 400 and "at least one word" in empty.get_json()["error"]
    kind = client.get("/search?q=lidingo&kind=nonsense&format=json")
    assert kind.status_code == 400 and "municipality" in kind.get_json()["error"]


def test_an_empty_query_in_a_browser_shows_the_search_form(client) -> None:
    response = client.get("/search?lang=en")
    assert response.status_code == 200
    assert 'id="search-q"' in response.get_data(as_text=True)


def test_kind_filter(client) -> None:
    body = found(client, "lidingo", kind="statement")
    assert [g["kind"] for g in body["groups"]] == ["statement"]


def test_every_page_has_the_search_box_and_the_opensearch_link(client) -> None:
    for path in ("/?lang=en", "/id/municipality/lidingo.html?lang=sv", "/examples"):
        page = client.get(path).get_data(as_text=True)
        assert '<form class="site-search" role="search" action="/search"' in page, path
        assert 'rel="search" type="application/opensearchdescription+xml"' in page, path
        assert re.search(r'<label for="site-search-q"[^>]*>[^<]+</label>', page), path


def test_opensearch_description(client) -> None:
    response = client.get("/opensearch.xml?lang=en", base_url="http://kg.example")
    assert response.mimetype == "application/opensearchdescription+xml"
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    root = ET.fromstring(response.data)
    assert root.find("os:ShortName", ns).text
    templates = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert templates["text/html"] == "http://kg.example/search?q={searchTerms}&lang=en"
    assert "format=json" in templates["application/json"]


def test_edit_distance() -> None:
    assert edit_distance("lidngo", "lidingo") == 1
    assert edit_distance("kungsbaka", "kungsbacka") == 1
    assert edit_distance("abc", "xyz", cap=1) == 2  # stops early beyond the cap


def test_a_build_without_an_index_answers_503_not_500(built: Settings, tmp_path: Path) -> None:
    from kg import create_app

    copy = tmp_path / "build"
    copy.mkdir()
    for name in ("kg.nq", "manifest.json"):
        shutil.copy(built.build_dir / name, copy / name)
    app = create_app(replace(built, store="memory", build_dir=copy))
    response = app.test_client().get("/search?q=lidingo&format=json")
    assert response.status_code == 503 and "search.sqlite" in response.get_json()["error"]
    assert app.test_client().get("/reconcile").status_code == 503


# -- search that understands what people type (issue 25) ----------------------------------


def top(body: dict, n: int) -> list[str]:
    """The ids of the first ``n`` hits in rank order (over all groups)."""
    ranked = sorted((r for g in body["groups"] for r in g["results"]), key=lambda r: r["rank"])
    return [r["id"] for r in ranked[:n]]


@pytest.mark.parametrize("q", ["winner 2019", "vinnare 2019", "Lidingö 2019", "2019 WINNER"])
def test_several_words_find_the_2019_edition_and_its_winner_first(client, q: str) -> None:
    body = found(client, q, lang="en")
    assert set(top(body, 2)) == {ID + "edition/2019", ID + "municipality/lidingo"}, top(body, 5)


def test_the_words_must_meet_in_one_role(client) -> None:
    """Karlstad won 2013 and was nominated 2019: "winner 2019" may find it, but after Lidingö."""
    body = found(client, "winner 2019", lang="en")
    order = top(body, 50)
    assert ID + "municipality/karlstad" in order
    assert order.index(ID + "municipality/lidingo") < order.index(ID + "municipality/karlstad")


@pytest.mark.parametrize(
    ("sv", "en", "kinds"),
    [
        ("vinnare", "winner", ("municipality", "edition")),
        ("kommun", "municipality", ("municipality",)),
        ("nominerad", "nominee", ("municipality", "edition")),
    ],
)
def test_swedish_and_english_words_find_the_same_things(client, sv, en, kinds) -> None:
    """The words come from the ontology's labels (classes, stages, the nominee property):
    both find the same municipalities and editions."""

    def kept(q: str) -> set[str]:
        return {i for kind in kinds for i in ids(found(client, q, lang="en", kind=kind))}

    swedish, english = kept(sv), kept(en)
    assert len(swedish) > 5 and swedish == english, swedish ^ english


def test_kommun_finds_municipalities_first(client) -> None:
    body = found(client, "kommun", lang="sv")
    assert all(i.startswith(ID + "municipality/") for i in top(body, 10)), top(body, 10)


@pytest.mark.parametrize("q", ["e-tjänst", "e-tjänster", "E-TJÄNST"])
def test_a_hyphenated_word_is_one_term(client, q: str) -> None:
    body = found(client, q, lang="sv")
    assert body["count"] > 0
    marks = [
        m.lower()
        for g in body["groups"]
        for r in g["results"]
        for m in re.findall(r"<mark>(.*?)</mark>", r["snippet_html"])
    ]
    assert marks, body
    assert all(m.startswith("e-tjänst") or m.startswith("e‑tjänst") for m in marks), marks


@pytest.mark.parametrize(
    ("joined", "hyphenated"),
    [("etjänst", "e-tjänst"), ("ETJÄNSTER", "e-tjänster"), ("itkommun", "it-kommun")],
)
def test_a_compound_written_without_its_hyphen_finds_the_same(client, joined, hyphenated) -> None:
    """ "etjänst" finds what says "e-tjänst" (the index holds joined forms, kg.compounds),
    among its first results, and not what merely holds "tjänst" ("sms-tjänst" is no e-tjänst)."""
    without, written = found(client, joined, lang="sv"), found(client, hyphenated, lang="sv")
    assert written["count"] > 0
    assert set(ids(written)[:5]) <= set(ids(without)[:8]), (ids(without), ids(written)[:5])
    names = [r["name"].lower() for g in without["groups"] for r in g["results"]]
    assert not any("sms-tjänst" in n for n in names), names


def test_things_named_by_the_joined_compound_rank_first(client) -> None:
    """The reader compares "etjänster" with the joined forms of names too, so the things
    named "… e-tjänster …" come before those that only mention it in a description."""
    body = found(client, "etjänster", lang="sv")
    names = [r["name"].lower() for g in body["groups"] for r in g["results"]][:3]
    assert len(names) == 3 and all("e-tjänster" in n for n in names), names


def test_a_lone_letter_matches_nothing_on_its_own(client) -> None:
    """ "e tjänst" is the word tjänst: the lone e is dropped, never matched as a prefix."""
    body = found(client, "e tjänst", lang="sv")
    marks = {
        m.lower()
        for g in body["groups"]
        for r in g["results"]
        for m in re.findall(r"<mark>(.*?)</mark>", r["snippet_html"])
    }
    assert marks and all("tjänst" in m for m in marks), marks
    assert client.get("/search?q=e&format=json").status_code == 400


def test_things_rank_above_ontology_terms(client) -> None:
    body = found(client, "e-tjänst", lang="en")
    kinds = [g["kind"] for g in body["groups"]]
    assert "term" in kinds and kinds[-1] == "term", kinds


def test_duplicates_merge(client) -> None:
    body = found(client, "Daniel Broman", lang="sv")
    posts = next(g for g in body["groups"] if g["kind"] == "post")
    names = [r["name"] for r in posts["results"]]
    assert names.count("Daniel Broman, stadsdirektör, Lidingö stad") == 1, names


def test_nothing_found_says_what_the_graph_holds_and_offers_close_names(client) -> None:
    body = found(client, "Skellefteå", lang="sv")
    assert body["count"] == 0
    covers = {c["kind"]: c for c in body["help"]["covers"]}
    assert covers["municipality"]["count"] == 31
    assert covers["municipality"]["list"] == "/id/municipality/?lang=sv"
    typo = found(client, "Kungsbaca 2019x", lang="sv")
    assert typo["count"] == 0
    assert typo["help"]["did_you_mean"].startswith("kungsbacka")
    assert ID + "municipality/kungsbacka" in {c["id"] for c in typo["help"]["close"]}
    page = client.get("/search", query_string={"q": "Skellefteå", "lang": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<a href="/id/municipality/?lang=en">31 municipality</a>' in text


def test_the_404_of_an_unknown_thing_offers_a_search(client) -> None:
    response = client.get("/id/municipality/skelleftea.html?lang=en")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert 'action="/search"' in text and 'value="skelleftea"' in text


def test_suggest_answers_the_type_ahead_from_the_same_index(client) -> None:
    response = client.get("/search/suggest", query_string={"q": "lidi", "lang": "en"})
    assert response.status_code == 200
    body = response.get_json()
    first = body["suggestions"][0]
    assert first["id"] == ID + "municipality/lidingo"
    assert first["url"] == "/id/municipality/lidingo.html?lang=en"
    assert first["kind_label"] == "municipality"
    assert len(body["suggestions"]) <= 8
    assert client.get("/search/suggest?q=").get_json()["suggestions"] == []
    assert client.get("/search/suggest", query_string={"q": "x" * 201}).status_code == 400
