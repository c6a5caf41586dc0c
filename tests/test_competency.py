"""The competency questions of the transcription issue, answered from the built graph.

Each question is a query file under queries/ (so consumers can run it too); this test runs it
against the real build and checks the answer that the source texts give.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.settings import Settings
from kg.store import Bindings, open_engine
from tests.conftest import ROOT

QUERIES = ROOT / "queries"


@pytest.fixture(scope="module")
def ask(built: Settings):
    engine = open_engine(built)

    def run(name: str) -> list[dict[str, str]]:
        result = engine.query((QUERIES / name).read_text(encoding="utf-8"))
        assert isinstance(result, Bindings)
        return [{k: v.value for k, v in row.items()} for row in result.rows]

    return run


def test_every_competency_question_has_its_test() -> None:
    """A new cq-*.rq file without a test here (or a test without its file) fails."""
    files = sorted(p.name for p in QUERIES.glob("cq-*.rq"))
    tested = sorted(
        name
        for name in Path(__file__).read_text(encoding="utf-8").split('"')
        if name.startswith("cq-") and name.endswith(".rq") and "*" not in name
    )
    assert files == sorted(set(tested)) and len(files) == 12


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [row[name] for row in rows]


def test_cq01_nominees_and_winner_2019(ask) -> None:
    rows = ask("cq-01-nominees-2019.rq")
    assert column(rows, "name") == ["Karlskrona", "Karlstad", "Lidingö", "Södertälje", "Umeå"]
    assert [r["name"] for r in rows if r["winner"] == "true"] == ["Lidingö"]


def test_cq02_motivation_is_verbatim_with_its_source(ask) -> None:
    (row,) = ask("cq-02-motivation-2019.rq")
    text = (ROOT / "data/sources/000_424349ddb0160e37.txt").read_text(encoding="utf-8")
    assert row["quote"].startswith("Årets vinnare visar såväl mod som vilja")
    assert row["quote"].endswith("enklare, öppnare och effektivare offentlig förvaltning.")
    assert row["quote"] in text
    assert row["source"].endswith("/id/source/000")
    assert row["translation"]


def test_cq03_lidingo_speakers_and_titles(ask) -> None:
    rows = ask("cq-03-lidingo-speakers.rq")
    assert {(r["name"], r["title"]) for r in rows} == {
        ("Sara Penje", "utvecklingschef"),
        ("Daniel Broman", "stadsdirektör"),
    }


def test_cq04_nominees_of_the_9_may_text_and_year_evidence(ask) -> None:
    rows = ask("cq-04-nominees-9-may.rq")
    assert column(rows, "name") == [
        "Falkenberg",
        "Karlskrona",
        "Kungsbacka",
        "Lomma",
        "Sollentuna",
        "Stockholm",
        "Sundsvall",
        "Uppsala",
    ]
    assert {r["year"] for r in rows} == {"2017"}
    assert {r["printed"] for r in rows} == {"9 maj"}
    assert {r["issued"] for r in rows} == {"2017-05-09"}
    assert all("IT-kommun" in r["evidence"] for r in rows)


def test_cq05_people_interviewed_on_9_may(ask) -> None:
    rows = ask("cq-05-interviewed-9-may.rq")
    assert {(r["name"], r["title"], r["municipalityName"]) for r in rows} == {
        ("Torbjörn Larsson", "IT-chef", "Falkenberg"),
        ("Fredrik Sjölin", "IT-chef", "Karlskrona"),
        ("Iwona Karlsson", "verksamhetschef", "Kungsbacka"),
        ("Patrik Flensburg", "IT-chef", "Lomma"),
        ("Claes Enzell", "IT-chef", "Sollentuna"),
        ("Stefan Schildt", "biträdande IT-direktör", "Stockholm"),
        ("Linda Gustafsson", "tf IT-direktör", "Sundsvall"),
        ("Catrin Ditz", "CIO", "Uppsala"),
    }


def test_cq06_every_list_item_of_the_16_december_interview(ask) -> None:
    rows = ask("cq-06-lidingo-initiatives-001.rq")
    text = " ".join(r["label"] + " " + r.get("description", "") for r in rows).lower()
    for item in (
        "vinnova",
        "skriva sig till lärande",
        "trygghetslarm",
        "öppna nät",
        "sambi",
        "e-arkiv",
        "dataskydd",
        "säkra meddelanden",
        "nanolearning",
        "boendeparkering",
        "iot",
        "bygglov",
        "upphandling",
        "ledarskapsutbildning",
        "lexplore",
        "20 digitala projekt",
        "klassa",
    ):
        assert item in text, item
    assert len(rows) >= 17


def test_cq07_jury_chair_2021(ask) -> None:
    rows = ask("cq-07-jury-chair-2021.rq")
    assert {r["name"] for r in rows} == {"Patrik Sundström"}
    assert {r["organisationName"] for r in rows} == {"Sveriges Kommuner och Regioner"}
    assert {r["title"] for r in rows} == {"digitaliseringschef", "CDO"}


def test_cq08_two_spellings_of_matteby(ask) -> None:
    rows = ask("cq-08-matteby-spellings.rq")
    assert {(r["nameAsWritten"], r["title"]) for r in rows} == {
        ("Markus Matteby", "digitaliseringschef"),
        ("Marcus Matteby", "CIO"),
    }
    assert len({r["person"] for r in rows}) == 1
    assert {r["source"].rsplit("/", 1)[1] for r in rows} == {"004"}


def test_cq09_speakers_on_the_number_of_municipalities(ask) -> None:
    rows = ask("cq-09-number-of-municipalities.rq")
    assert {(r["speakerName"], r["value"]) for r in rows} == {
        ("Patrik Flensburg", "290"),
        ("Linda Gustafsson", "290"),
        ("Daniel Broman", "289"),
    }


def test_cq10_announcement_of_the_2019_winner(ask) -> None:
    rows = ask("cq-10-announcement-2019.rq")
    assert {r["date"] for r in rows} == {"2019-11-12"}
    assert {r["placeName"] for r in rows} == {"GöteborgsOperan"}
    assert any("seminarium" in r.get("sameDayEvent", "").lower() for r in rows)


def test_cq11_programmes_shared_by_several_municipalities(ask) -> None:
    rows = {
        r["label"]: set(r["municipalities"].split(", ")) for r in ask("cq-11-shared-programmes.rq")
    }
    assert rows["Leda"] == {"Karlskrona", "Sollentuna", "Stockholm", "Uppsala"}
    assert rows["Serverat"] == {"Karlskrona", "Uppsala"}


def test_cq12_each_2019_nominee_answers_the_question(ask) -> None:
    rows = ask("cq-12-answers-2019.rq")
    assert column(rows, "name") == ["Karlskrona", "Karlstad", "Lidingö", "Södertälje", "Umeå"]
    text = (ROOT / "data/sources/002_cfe13edd0179a8de.txt").read_text(encoding="utf-8")
    for row in rows:
        assert row["answer"] in text
        assert row["question"] in text


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.stem)
def test_every_example_query_has_a_header_and_an_answer(path: Path, built: Settings) -> None:
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("# ")]
    assert any(line.startswith("# title: ") for line in header)
    assert any(line.startswith("# description: ") for line in header)
    result = open_engine(built).query(text)
    assert isinstance(result, Bindings) and result.rows, path.name
