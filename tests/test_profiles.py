"""Profiles above the fact table (issue #16, item 1), checked against the source texts, and the
fact table with its twins folded."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kg.store import Term
from kg.web.site.entities.fact_table import Fact, PropertyFamily, merge_twins
from kg.web.site.entities.profiles import FOLDER, kinds, sections_for
from tests.test_pages import get_page

PROFILED = [
    "award",
    "county",
    "edition",
    "event",
    "initiative",
    "jury",
    "municipality",
    "nomination",
    "organisation",
    "person",
    "place",
    "post",
    "publication",
    "quantity",
    "question",
    "source",
    "statement",
]
#: Real things per kind; every section of a profile answers for at least one of them.
SAMPLES = {
    "county": ["county/stockholms-lan"],
    "edition": ["edition/2019"],
    "event": ["event/invigningsgala-2019", "event/kvalitet-och-fornyelse-samtal-nominerade-2017"],
    "initiative": ["initiative/falkenberg-inloggningsapp"],
    "municipality": ["municipality/lidingo"],
    "nomination": ["nomination/2019-lidingo"],
    "organisation": ["organisation/skr", "organisation/kvalitet-och-fornyelse"],
    "person": ["person/daniel-broman"],
    "publication": ["publication/kommunernas-utveckling-i-en-digital-tid"],
    "statement": ["statement/000-juryns-motivering"],
    "jury": ["jury/2021"],
    "source": ["source/000"],
    "award": ["award/sveriges-digitaliseringskommun"],
    "place": ["place/goteborgsoperan"],
    "post": ["post/catrin-ditz-uppsala-2017"],
    "quantity": ["quantity/001-digitala-projekt"],
    "question": ["question/001-hur-arbetar-ni"],
}


def section_html(html: str, name: str) -> str:
    """The HTML of one profile section (by its file name), or '' when the page has none."""
    match = re.search(
        rf'<section class="profile-section" id="profile-{name}".*?</section>', html, re.S
    )
    return match.group(0) if match else ""


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_kind_named_in_the_issue_has_a_profile() -> None:
    assert kinds() == PROFILED
    files = sorted(FOLDER.glob("*/*.rq"))
    assert len(files) == 36, "a profile query was added or lost: update this count"


@pytest.mark.parametrize("kind", PROFILED)
def test_each_profile_query_runs_and_answers_for_a_real_thing(client, app, kind: str) -> None:
    """Every section parses, runs on the engine, and its columns exist in the answer."""
    engine = app.extensions["kg_engine"]
    for section in sections_for(kind):
        answers = 0
        for sample in SAMPLES[kind]:
            result = engine.query(section.sparql("en", "https://w3id.org/digikommun/id/" + sample))
            for name, _ in section.columns:
                assert name == "passage" or name in result.variables, (section.name, name)
            answers += len(result.rows)
        assert answers, f"{kind}/{section.name} answers for none of {SAMPLES[kind]}"


def test_edition_2019_profile_matches_the_sources(client) -> None:
    """Text 002: nominees Karlskrona, Karlstad, Lidingö, Södertälje, Umeå; winner named at the
    opening gala at GöteborgsOperan on 12 November; text 000 quotes the jury's motivation."""
    html = client.get("/id/edition/2019.html?lang=en").get_data(as_text=True)
    summary = text_of(section_html(html, "10-summary"))
    assert re.search(r"Winner\s+Lidingö", summary)
    assert "GöteborgsOperan" in summary and "12 November 2019" in summary  # a date for people
    nominees = text_of(section_html(html, "20-nominees"))
    for name in ("Karlskrona", "Karlstad", "Lidingö", "Södertälje", "Umeå"):
        assert name in nominees
    assert nominees.index("Lidingö") < nominees.index("Karlskrona"), "the winner comes first"
    motivation = section_html(html, "30-motivation")
    assert "Årets vinnare visar såväl mod som vilja" in motivation
    assert 'href="/id/source/000.html?lang=en#q-000-juryns-motivering"' in motivation
    source = Path("data/sources").glob("000_*.txt")
    assert "Årets vinnare visar såväl mod som vilja" in next(source).read_text(encoding="utf-8")


def test_profile_headings_follow_the_page_language(client) -> None:
    sv = client.get("/id/edition/2019.html?lang=sv").get_data(as_text=True)
    en = client.get("/id/edition/2019.html?lang=en").get_data(as_text=True)
    assert ">Nominerade</h2>" in sv and ">Nominees</h2>" in en
    assert ">Juryns motivering</h2>" in sv and ">The jury&#39;s motivation</h2>" in en


def test_municipality_profile_has_county_code_history_people_and_quotes(client) -> None:
    html = client.get("/id/municipality/lidingo.html?lang=sv").get_data(as_text=True)
    summary = text_of(section_html(html, "10-summary"))
    assert "Stockholms län" in summary and "0186" in summary
    history = text_of(section_html(html, "20-award-history"))
    assert "2019" in history and "vinnare" in history.lower()
    people = text_of(section_html(html, "30-people"))
    assert "Daniel Broman" in people and "stadsdirektör" in people
    quotes = section_html(html, "50-quotes")
    assert quotes.count("<blockquote>") >= 3
    assert "/id/source/000.html?lang=sv#q-" in quotes


def test_person_profile_lists_posts_over_time_and_quotes(client) -> None:
    html = client.get("/id/person/daniel-broman.html?lang=en").get_data(as_text=True)
    posts = text_of(section_html(html, "10-posts"))
    assert posts.index("2 December 2019") < posts.index("16 December 2019"), "dates in order"
    assert "Lidingö" in posts
    rows = re.findall(r"<tr>", section_html(html, "10-posts"))
    assert len(rows) == 2, "issue 24: one post attested by two texts is one row (and the header)"
    assert "<blockquote>" in section_html(html, "20-quotes")


def test_statement_shows_its_quote_in_its_paragraph(client) -> None:
    html = client.get("/id/statement/000-broman-medborgarnytta.html?lang=en").get_data(as_text=True)
    paragraph = re.search(r'<p class="paragraph" lang="sv">(.*?)</p>', html, re.S)
    assert paragraph, "the quote stands in its paragraph"
    assert "<mark>Mycket av det som vi gör är kanske inte nytt" in paragraph.group(1)
    summary = text_of(section_html(html, "10-quote"))
    assert "Daniel Broman" in summary


def test_links_out_are_shown_when_present(built, tmp_path: Path) -> None:
    """Outward links (skos:exactMatch, schema:sameAs, foaf:isPrimaryTopicOf) from another change
    appear in the summary; the fixture adds one to a copy of the artifact."""
    from kg import create_app

    copy = tmp_path / "build"
    copy.mkdir()
    for name in ("kg.nq", "manifest.json"):
        shutil.copy(built.build_dir / name, copy / name)
    with (copy / "kg.nq").open("a", encoding="utf-8") as quads:
        quads.write(
            "<https://w3id.org/digikommun/id/municipality/lidingo> "
            "<http://www.w3.org/2004/02/skos/core#exactMatch> "
            "<https://example.org/fixture/lidingo> "
            "<https://w3id.org/digikommun/graph/fixture> .\n"
        )
    app = create_app(replace(built, build_dir=copy, store="rdflib"))
    html = app.test_client().get("/id/municipality/lidingo.html?lang=en").get_data(as_text=True)
    assert 'href="https://example.org/fixture/lidingo"' in section_html(html, "10-summary")


def test_the_fact_table_folds_a_super_property_twin(client) -> None:
    """Issue #16: `befattning i` and org:postIn were two rows for one link."""
    page = get_page(client, "/id/municipality/lidingo.html?lang=en")
    html = client.get("/id/municipality/lidingo.html?lang=en").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    post_rows = [
        r for r in rows if "/id/post/daniel-broman-lidingo-2019.html" in r.split("</td>")[0]
    ]
    assert len(post_rows) == 1, "one row for the post, not one per property"
    assert "post in" in post_rows[0] and "twin" in post_rows[0]  # org:postIn, by its name
    assert page.lang == "en"


def _fact(prop: str, value: str, inferred: bool, outgoing: bool) -> Fact:
    graph = "https://w3id.org/digikommun/graph/" + ("inferred" if inferred else "source-000")
    return Fact(prop, Term("uri", value), {graph}, outgoing)


def test_an_inverse_twin_folds_into_the_asserted_row() -> None:
    """A fact seen from both ends (p one way, its owl:inverseOf the other) is one row."""
    family = PropertyFamily(
        supers={"ex:memberOf": frozenset({"ex:relatedTo"})},
        inverses={"ex:memberOf": frozenset({"ex:hasMember"})},
    )
    asserted = _fact("ex:memberOf", "ex:org", inferred=False, outgoing=True)
    inverse = _fact("ex:hasMember", "ex:org", inferred=True, outgoing=False)
    general = _fact("ex:relatedTo", "ex:org", inferred=True, outgoing=True)
    other = _fact("ex:hasMember", "ex:elsewhere", inferred=True, outgoing=False)
    out, inc = merge_twins([asserted, general], [inverse, other], family)
    assert out == [asserted] and inc == [other]
    assert {f.prop for f in asserted.also} == {"ex:hasMember", "ex:relatedTo"}
