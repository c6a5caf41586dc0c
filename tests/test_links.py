"""Outward links (issue 15, item 2): every link has the page that states it and the day it was
read, every page is on the host the link needs, and what we recorded is still there.

The links live in data/ttl/links/, one named graph per kind of target; docs/links.md is the
research log the spot checks below come from.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote, unquote, urlsplit

import pytest

from kg.namespaces import graph_iri
from kg.pipeline.load import discover
from kg.settings import Settings
from kg.store import open_engine
from tests.conftest import ROOT

LINK_GRAPHS = ("links-wikipedia", "links-dbpedia", "links-geonames", "links-places")

FOAF_TOPIC = "http://xmlns.com/foaf/0.1/isPrimaryTopicOf"
EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
SAME = "https://schema.org/sameAs"
ISO = "https://w3id.org/digikommun/ontology#iso31662Code"
LAT = "http://www.w3.org/2003/01/geo/wgs84_pos#lat"
LONG = "http://www.w3.org/2003/01/geo/wgs84_pos#long"
LINK_PREDICATES = (FOAF_TOPIC, EXACT, SAME, ISO, LAT, LONG)
BASE = "https://w3id.org/digikommun/id/"

#: The provenance question a consumer asks of one link, exactly as docs/links.md shows it.
PAGE_AND_DATE = """
SELECT ?page ?date WHERE {
  ?record rdf:subject %s ; rdf:predicate %s ; rdf:object %s ;
          prov:wasDerivedFrom ?page .
  ?page dk:dateRead ?date .
}"""

#: Every link in the link graphs with the graph it sits in.
LINKS = """
SELECT ?g ?s ?p ?o WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-"))
  FILTER (?p IN (foaf:isPrimaryTopicOf, skos:exactMatch, schema:sameAs, dk:iso31662Code,
                 <http://www.w3.org/2003/01/geo/wgs84_pos#lat>,
                 <http://www.w3.org/2003/01/geo/wgs84_pos#long>))
}"""

#: Every link with each page its record cites, from the same graph as the link.
SOURCED = """
SELECT ?g ?s ?p ?o ?page ?date WHERE {
  GRAPH ?g {
    ?s ?p ?o .
    ?record rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?page .
    ?page dk:dateRead ?date .
  }
  FILTER (STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-"))
}"""

#: How many things of each kind have a link to each target, as the research found them
#: (docs/links.md); the data may grow, never shrink. Keys: (kind of subject, target).
AT_LEAST = {
    ("county", "wikipedia-en"): 15,
    ("county", "dbpedia"): 15,
    ("county", "iso31662"): 15,
    ("county", "wikipedia-sv"): 1,  # Västmanlands län (sixth pass)
    ("county", "geonames"): 1,
    ("municipality", "wikipedia-en"): 25,
    ("municipality", "wikipedia-sv"): 10,
    ("municipality", "dbpedia"): 25,
    ("municipality", "geonames"): 10,
    ("municipality", "coordinates"): 31,
    ("organisation", "wikipedia-sv"): 4,  # Lantmäteriet and Försäkringskassan (sixth pass)
    ("organisation", "wikipedia-en"): 2,
    ("organisation", "dbpedia"): 2,
}

#: Municipality codes checked against a page that states them (reference.ttl's records).
CODE_RECORDS = """
SELECT ?m ?code ?page ?date WHERE {
  GRAPH <https://w3id.org/digikommun/graph/reference> {
    ?record rdf:subject ?m ; rdf:predicate dk:municipalityCode ; rdf:object ?code ;
            prov:wasDerivedFrom ?page .
    ?page dk:dateRead ?date .
  }
}"""


def _rows(settings: Settings, query: str) -> list[dict[str, str]]:
    return [{k: v.value for k, v in row.items()} for row in open_engine(settings).query(query).rows]


@pytest.fixture(scope="module")
def links(built: Settings) -> list[dict[str, str]]:
    return _rows(built, LINKS)


@pytest.fixture(scope="module")
def sourced(built: Settings) -> list[dict[str, str]]:
    return _rows(built, SOURCED)


def _pages(sourced: list[dict[str, str]]) -> dict[tuple[str, str, str, str], set[str]]:
    pages: dict[tuple[str, str, str, str], set[str]] = {}
    for row in sourced:
        pages.setdefault((row["g"], row["s"], row["p"], row["o"]), set()).add(row["page"])
    return pages


def _kind(subject: str) -> str:
    return subject.removeprefix(BASE).split("/", 1)[0]


def _host(iri: str) -> str:
    return urlsplit(iri).hostname or ""


def _target(predicate: str, obj: str) -> str:
    if predicate == FOAF_TOPIC:
        return "wikipedia-" + _host(obj).split(".", 1)[0]
    if predicate == ISO:
        return "iso31662"
    if predicate in (LAT, LONG):
        return "coordinates"
    return {"dbpedia.org": "dbpedia", "sws.geonames.org": "geonames"}.get(_host(obj), "wikidata")


def test_every_link_graph_is_loaded_under_its_own_name() -> None:
    """The loader takes data/ttl/links/*.ttl (stems may not clash: discover() refuses)."""
    graphs = {str(item.graph) for item in discover(ROOT)}
    for stem in LINK_GRAPHS:
        assert (ROOT / "data" / "ttl" / "links" / f"{stem}.ttl").is_file()
        assert graph_iri(stem) in graphs


def test_every_link_has_a_page_and_the_day_it_was_read(links, sourced) -> None:
    pages = _pages(sourced)
    unsourced = [r for r in links if (r["g"], r["s"], r["p"], r["o"]) not in pages]
    assert links and unsourced == []


def test_the_provenance_query_answers_for_a_link(built: Settings) -> None:
    """The query docs/links.md gives a consumer: which page, read on which day."""
    query = PAGE_AND_DATE % (
        "county:norrbottens-lan",
        "dk:iso31662Code",
        '"SE-BD"',
    )
    assert _rows(built, query) == [
        {"page": "https://sv.m.wikipedia.org/wiki/ISO_3166-2:SE", "date": "2026-12-01"}
    ]


#: Pages in the link graphs that say which article they copy (dcterms:source): the mirrors.
MIRRORS = """
SELECT ?g ?page ?article WHERE {
  GRAPH ?g { ?page a foaf:Document ; dcterms:source ?article ; dk:dateRead ?date }
  FILTER (STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-"))
}"""


@pytest.fixture(scope="module")
def mirrors(built: Settings) -> dict[str, str]:
    return {r["page"]: r["article"] for r in _rows(built, MIRRORS)}


def _is_mirror_of_wikipedia(page: str, mirrors: dict[str, str]) -> bool:
    """A copy of a Wikipedia article on another host (docs/links.md, fifth pass): the page names
    the article (dcterms:source), and the article's own address stands inside the page's."""
    article = mirrors.get(page, "")
    return _host(article).endswith(".wikipedia.org") and unquote(article) in unquote(page)


def test_every_page_is_on_the_host_the_link_needs(sourced, mirrors) -> None:
    wrong = []
    for (_, subject, predicate, obj), cited in _pages(sourced).items():
        if predicate in (LAT, LONG):  # a point may be read on a mirror of an article (only)
            cited = {mirrors[p] if _is_mirror_of_wikipedia(p, mirrors) else p for p in cited}
        hosts = {_host(p) for p in cited}
        wikipedia = {h for h in hosts if h.endswith(".wikipedia.org")}
        target = _target(predicate, obj)
        if target.startswith("wikipedia-"):
            # the article itself (or its mobile copy, or a redirect to it) on that language's
            # Wikipedia is the source of the link to it
            ok = _host(obj) in {"sv.wikipedia.org", "en.wikipedia.org"} and any(
                _host(p).replace(".m.", ".") == _host(obj) for p in cited
            )
        elif target == "dbpedia":
            ok = any(h.endswith("dbpedia.org") for h in hosts) and any(
                h.startswith("en.") for h in wikipedia
            )
        elif target == "wikidata":
            ok = bool(wikipedia or {h for h in hosts if h.endswith("wikidata.org")})
        else:  # GeoNames ids, ISO codes and coordinates come from Wikipedia pages
            ok = bool(wikipedia) and hosts == wikipedia
        if not ok:
            wrong.append((subject, predicate, obj, sorted(cited)))
    assert wrong == []


def test_mirrors_are_cited_only_for_points_and_say_so(built: Settings, mirrors) -> None:
    """The one exception to 'only the Wikipedia host': a point read on a copy of an article, when
    no Wikipedia-host page with that point is stored. The copy is cited under its own address,
    names the article it copies, and the record's note says it is a mirror of that article."""
    rows = _rows(
        built,
        """SELECT ?p ?page ?note WHERE { GRAPH ?g {
             ?record rdf:subject ?s ; rdf:predicate ?p ; prov:wasDerivedFrom ?page .
             OPTIONAL { ?record skos:editorialNote ?note } }
           FILTER (STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-")) }""",
    )
    cited = [r for r in rows if r["page"] in mirrors]
    assert {r["p"] for r in cited} <= {LAT, LONG}, cited
    for row in cited:
        assert _is_mirror_of_wikipedia(row["page"], mirrors), row
        assert "mirror" in row.get("note", "") and "Wikipedia article" in row["note"], row
    # every page that is not on a Wikipedia host, DBpedia or GeoNames is such a mirror
    foreign = {
        r["page"]
        for r in rows
        if not _host(r["page"]).endswith(("wikipedia.org", "dbpedia.org", "geonames.org"))
    }
    assert foreign == set(mirrors), foreign ^ set(mirrors)


def test_a_dbpedia_resource_is_named_after_the_english_article(links) -> None:
    """DBpedia's documented rule: http://en.wikipedia.org/wiki/Xyz -> dbpedia.org/resource/Xyz."""
    english = {
        r["s"]: r["o"] for r in links if r["p"] == FOAF_TOPIC and "//en.wikipedia.org/" in r["o"]
    }
    dbpedia = [r for r in links if _host(r["o"]) == "dbpedia.org"]
    assert dbpedia
    for row in dbpedia:
        title = row["o"].removeprefix("http://dbpedia.org/resource/")
        assert english[row["s"]] == "https://en.wikipedia.org/wiki/" + title, row


def test_every_identifier_link_has_its_exact_match_and_same_as_twin(links) -> None:
    exact = {(r["s"], r["o"]) for r in links if r["p"] == EXACT}
    same = {(r["s"], r["o"]) for r in links if r["p"] == SAME}
    assert exact and exact == same


def test_no_owl_same_as_anywhere(built: Settings) -> None:
    """OWL 2 RL would copy every triple across an owl:sameAs link onto the outside IRI."""
    assert open_engine(built).query("ASK { ?s owl:sameAs ?o }").value is False


def test_article_and_resource_iris_are_percent_encoded_as_wikipedia_writes_them(links) -> None:
    """One spelling, the one in Wikipedia's own URLs: UTF-8 percent-encoding, '_' for spaces."""
    for row in links:
        host = _host(row["o"])
        if not (host.endswith("wikipedia.org") or host == "dbpedia.org"):
            continue
        title = row["o"].rsplit("/", 1)[1]
        assert title.isascii() and " " not in title, row
        assert quote(unquote(title), safe=";@$!*(),/~:_-.'") == title, row


def test_link_subjects_are_things_the_graph_describes(built: Settings, links) -> None:
    typed = {
        r["s"]
        for r in _rows(
            built,
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?t } "
            'FILTER (!STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-")) }',
        )
    }
    assert {r["s"] for r in links} <= typed


@pytest.mark.parametrize(("kind", "target"), sorted(AT_LEAST))
def test_at_least_as_many_links_as_recorded(links, kind: str, target: str) -> None:
    things = {r["s"] for r in links if _kind(r["s"]) == kind and _target(r["p"], r["o"]) == target}
    assert len(things) >= AT_LEAST[(kind, target)]


def test_every_county_has_one_iso_code_whose_number_is_its_county_code(built: Settings) -> None:
    rows = _rows(
        built,
        """SELECT ?c ?code ?iso WHERE { ?c a dk:County ; dk:countyCode ?code .
           OPTIONAL { ?c dk:iso31662Code ?iso } }""",
    )
    assert len(rows) >= 15
    assert all(re.fullmatch(r"SE-[A-Z]{1,2}", r.get("iso", "")) for r in rows), rows
    assert len({r["iso"] for r in rows}) == len(rows)
    # the ISO 3166-2:SE article lists each letter code with the numeric one (SE-AB ... SE-01)
    assert {r["iso"]: r["code"] for r in rows}.get("SE-AB") == "01"


def test_spot_checks_against_the_research_log(links) -> None:
    have = {(r["s"].removeprefix(BASE), r["p"], r["o"]) for r in links}
    expected = {
        ("county/stockholms-lan", ISO, "SE-AB"),
        ("county/norrbottens-lan", ISO, "SE-BD"),
        ("county/vasterbottens-lan", ISO, "SE-AC"),
        ("county/skane-lan", FOAF_TOPIC, "https://en.wikipedia.org/wiki/Sk%C3%A5ne_County"),
        ("county/jamtlands-lan", EXACT, "http://dbpedia.org/resource/J%C3%A4mtland_County"),
        ("municipality/lidingo", EXACT, "https://sws.geonames.org/2696332/"),
        ("municipality/eskilstuna", SAME, "https://sws.geonames.org/2715951/"),
        (
            "municipality/upplands-bro",
            FOAF_TOPIC,
            "https://sv.wikipedia.org/wiki/Upplands-Bro_kommun",
        ),
        ("municipality/umea", LAT, "63.833"),
        ("municipality/vaxjo", LONG, "14.8"),
        ("municipality/goteborg", EXACT, "http://dbpedia.org/resource/Gothenburg_Municipality"),
        ("organisation/vinnova", FOAF_TOPIC, "https://en.wikipedia.org/wiki/Vinnova"),
        ("municipality/upplands-vasby", EXACT, "https://sws.geonames.org/2666237/"),
        (
            "municipality/helsingborg",
            FOAF_TOPIC,
            "https://sv.wikipedia.org/wiki/Helsingborgs_kommun",
        ),
        ("municipality/mora", LAT, "61.017"),
        ("municipality/vasteras", LONG, "16.55"),
    }
    assert expected <= have, expected - have


def test_coordinates_are_decimals_inside_sweden(built: Settings) -> None:
    rows = _rows(
        built,
        """SELECT ?m ?lat ?long (DATATYPE(?lat) AS ?lt) (DATATYPE(?long) AS ?gt) WHERE {
           ?m <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat ;
              <http://www.w3.org/2003/01/geo/wgs84_pos#long> ?long }""",
    )
    decimal = "http://www.w3.org/2001/XMLSchema#decimal"
    for row in rows:
        assert row["lt"] == decimal and row["gt"] == decimal, row
        assert Decimal("55.0") <= Decimal(row["lat"]) <= Decimal("69.5"), row
        assert Decimal("10.5") <= Decimal(row["long"]) <= Decimal("24.5"), row
    assert len(rows) >= AT_LEAST[("municipality", "coordinates")]


def test_every_checked_code_names_a_wikipedia_page_read_on_a_day(built: Settings) -> None:
    """The re-check of the 31 codes: each code found on a page keeps that page as its source."""
    rows = _rows(built, CODE_RECORDS)
    assert len({r["m"] for r in rows}) >= 19
    assert all(_host(r["page"]).endswith(".wikipedia.org") for r in rows), rows
    assert all(r["date"] == "2026-12-01" for r in rows)
    lidingo = [r for r in rows if r["m"] == BASE + "municipality/lidingo"]
    assert lidingo == [
        {
            "m": BASE + "municipality/lidingo",
            "code": "0186",
            "page": "https://sv.wikipedia.org/wiki/Liding%C3%B6_kommun",
            "date": "2026-12-01",
        }
    ]


def test_no_iri_in_the_link_graphs_or_code_records_has_a_trailing_dot_host(built: Settings) -> None:
    """One spelling per page: 'sv.wikipedia.org', never the root-label form 'sv.wikipedia.org.'."""
    rows = _rows(
        built,
        """SELECT DISTINCT ?iri WHERE {
             GRAPH ?g { { ?iri ?p ?o } UNION { ?s ?p ?iri } }
             FILTER (isIRI(?iri))
             FILTER (STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-")
                     || ?g = <https://w3id.org/digikommun/graph/reference>)
           }""",
    )
    assert rows
    dotted = sorted(r["iri"] for r in rows if (urlsplit(r["iri"]).hostname or "").endswith("."))
    assert dotted == []
