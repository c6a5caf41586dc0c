"""`kg source add` and `kg quote` (issue #19): what they write, and every refusal they make.

Each refusal is checked three ways: exit code 2, a message that names the problem, and a
project left exactly as it was (every file's bytes compared, temporary files included).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from kg.cli import main
from kg.editing import RefusedError
from kg.editing.find import normalise, occurrences
from kg.editing.quote import quote
from kg.editing.sources import SourceFields, add_source, replace_together
from kg.namespaces import DK, OA
from tests.conftest import ROOT

FIXTURE = ROOT / "tests/fixtures/editing/invented-article.txt"
ADD = [
    "source",
    "add",
    str(FIXTURE),
    "--title",
    "Exempelby kommun satsar på öppna data",
    "--date",
    "2026-11-30",
    "--publisher",
    "orgn:kvalitet-och-fornyelse",
    "--genre",
    "NewsArticle",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What the editing tools read and write: the data (with its sources) and the ontology."""
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.setenv("KG_ROOT", str(tmp_path))
    monkeypatch.setenv("KG_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path


def snapshot(root: Path) -> dict[str, str]:
    """Every file under data/ with the hash of its bytes (hidden temporary files too)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "data").rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------
# kg source add
# ---------------------------------------------------------------------------


def test_source_add_writes_the_copy_the_registry_row_and_the_graph(project: Path, capsys) -> None:
    before = snapshot(project)
    assert main([*ADD, "--url", "https://example.org/exempelby"]) == 0
    assert "registered source 005" in capsys.readouterr().out
    added = set(snapshot(project)) - set(before)
    digest = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    text = f"data/sources/005_{digest[:16]}.txt"
    assert added == {text, "data/ttl/sources/source-005.ttl"}
    assert (project / text).read_bytes() == FIXTURE.read_bytes()
    registry = (project / "data/sources/README.md").read_text(encoding="utf-8")
    row = next(line for line in registry.splitlines() if line.startswith("| `005_"))
    assert f"`{digest[:8]}…{digest[-4:]}`" in row and "https://example.org/exempelby" in row
    rows = [line for line in registry.splitlines() if line.startswith("| `")]
    assert rows[-1] == row  # under the other texts, inside the table
    graph = Graph().parse(project / "data/ttl/sources/source-005.ttl", format="turtle")
    source = URIRef("https://w3id.org/digikommun/id/source/005")
    assert (source, DK.sourceFile, Literal(text)) in graph
    assert (source, DK.sha256, Literal(digest)) in graph
    assert str(graph.value(source, DK.genre)) == str(DK.NewsArticle)
    issued = graph.value(source, URIRef("http://purl.org/dc/terms/issued"))
    assert issued.datatype == URIRef("http://www.w3.org/2001/XMLSchema#date")
    assert main(["validate"]) == 0, capsys.readouterr().out  # the new graph conforms at once


def test_source_add_finds_the_publisher_by_name_or_makes_a_new_one(project: Path) -> None:
    fields = SourceFields("T", "2019-12", "Kvalitet & Förnyelse", "BlogPost")
    added = add_source(project, FIXTURE, fields)
    assert (added.publisher, added.new_publisher) == ("orgn:kvalitet-och-fornyelse", False)
    other = project / "other.txt"
    other.write_text("Ännu en påhittad text.\n", encoding="utf-8")
    added = add_source(project, other, SourceFields("U", "2020", "Exempelby Tidning", "BlogPost"))
    assert (added.number, added.publisher, added.new_publisher) == (
        "006",
        "orgn:exempelby-tidning",
        True,
    )
    graph = Graph().parse(project / added.turtle, format="turtle")
    assert (None, None, Literal("Exempelby Tidning", lang="sv")) in graph


def _argv_with(flag: str, value: str) -> list[str]:
    argv = list(ADD)
    argv[argv.index(flag) + 1] = value
    return argv


REFUSALS = {
    "already-registered": (
        lambda p: ["source", "add", str(p / "data/sources/004_9b243893f636030a.txt"), *ADD[3:]],
        "already registered as data/sources/004_9b243893f636030a.txt",
    ),
    "not-utf8": (
        lambda p: [
            "source",
            "add",
            str(_write(p, "latin1.txt", "Växjö".encode("latin-1"))),
            *ADD[3:],
        ],
        "not UTF-8 (byte 0xe4 at line 1)",
    ),
    "empty-text": (
        lambda p: ["source", "add", str(_write(p, "empty.txt", b" \n")), *ADD[3:]],
        "the text is empty",
    ),
    "missing-file": (
        lambda p: ["source", "add", str(p / "nowhere.txt"), *ADD[3:]],
        "cannot read it",
    ),
    "empty-title": (lambda p: _argv_with("--title", " "), "--title is required"),
    "malformed-date": (lambda p: _argv_with("--date", "2 dec 2019"), "--date '2 dec 2019'"),
    "impossible-date": (lambda p: _argv_with("--date", "2019-02-30"), "a real calendar date"),
    "unknown-genre": (
        lambda p: _argv_with("--genre", "NewsArtikel"),
        "did you mean dk:NewsArticle? allowed: dk:BlogPost, dk:InterviewArticle, dk:NewsArticle",
    ),
    "unknown-publisher-iri": (
        lambda p: _argv_with("--publisher", "orgn:kvalitet-och-fornyelsen"),
        "did you mean orgn:kvalitet-och-fornyelse?",
    ),
    "bad-language": (lambda p: [*ADD, "--lang", "svenska"], "two-letter ISO 639-1 code"),
    "bad-url": (lambda p: [*ADD, "--url", "www.example.org/a b"], "absolute http(s) URL"),
}


def _write(root: Path, name: str, data: bytes) -> Path:
    path = root.parent / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_source_add_refuses_and_writes_nothing(case: str, project: Path, capsys) -> None:
    argv, expected = REFUSALS[case]
    argv = argv(project)
    before = snapshot(project)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kg source: ") and expected in err, err
    assert snapshot(project) == before


def test_source_add_refuses_a_missing_field_before_anything(project: Path, capsys) -> None:
    before = snapshot(project)
    with pytest.raises(SystemExit) as stop:
        main([a for a in ADD if a not in ("--genre", "NewsArticle")])
    assert stop.value.code == 2
    assert "the following arguments are required: --genre" in capsys.readouterr().err
    assert snapshot(project) == before


def test_source_add_undoes_everything_when_a_write_fails(project: Path) -> None:
    """A failure between the renames (a full disk, a killed process) leaves no half-added text:
    the renames already done are undone and the temporary files removed."""
    before = snapshot(project)
    calls = []

    def failing_second_rename(source, target) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full (injected)")
        Path(source).replace(target)

    import kg.editing.sources as sources

    original = sources.replace_together

    def with_failure(root, files, rename=None):
        return original(root, files, rename=failing_second_rename)

    sources.replace_together = with_failure
    try:
        with pytest.raises(OSError, match="injected"):
            add_source(project, FIXTURE, SourceFields("T", "2019", "orgn:skr", "BlogPost"))
    finally:
        sources.replace_together = original
    assert len(calls) == 2
    assert snapshot(project) == before


def test_replace_together_restores_a_file_it_had_replaced(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old", encoding="utf-8")

    def rename(source, target):
        if Path(target).name == "b.txt":
            raise OSError("injected")
        Path(source).replace(target)

    with pytest.raises(OSError):
        replace_together(tmp_path, {Path("a.txt"): b"new", Path("b.txt"): b"b"}, rename=rename)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "old"


# ---------------------------------------------------------------------------
# kg quote
# ---------------------------------------------------------------------------


def _typed(exact: str) -> str:
    """The passage as an editor might type it: straight quotes, hyphens, plain spaces."""
    table = str.maketrans({"“": '"', "”": '"', "’": "'", "–": "-", "—": "-", "\u00a0": " "})
    return " ".join(exact.translate(table).split())


def _selectors() -> list[tuple[str, str, str, str]]:
    found = []
    for path in sorted((ROOT / "data/ttl/sources").glob("source-*.ttl")):
        graph = Graph().parse(path, format="turtle")
        for selector in graph.subjects(predicate=OA.exact):
            found.append(
                (
                    path.stem[-3:],
                    str(graph.value(selector, OA.exact)),
                    str(graph.value(selector, OA.prefix) or ""),
                    str(graph.value(selector, OA.suffix) or ""),
                )
            )
    return found


def test_quote_recovers_every_selector_of_the_data_from_a_typed_passage() -> None:
    """All quotes of the texts (53 in 000–004 when this was written), retyped plainly, give
    back the text's own characters; a passage that stands twice (one, in 001: the headline
    quote, repeated in the body) is refused, and then the data's selector needs its context."""
    selectors = _selectors()
    assert len(selectors) >= 53
    refused = 0
    for number, exact, prefix, suffix in selectors:
        try:
            found = quote(ROOT, number, _typed(exact))
        except RefusedError as err:
            refused += 1
            assert "times in data/sources/" in str(err)
            text = next((ROOT / "data/sources").glob(f"{number}_*.txt")).read_text("utf-8")
            assert len(occurrences(text, exact)) > 1 and (prefix or suffix)
            continue
        assert found.exact == exact, (number, exact)
        text = next((ROOT / "data/sources").glob(f"{number}_*.txt")).read_text("utf-8")
        assert text.count(found.prefix + found.exact + found.suffix) == 1
        assert text[found.place.start : found.place.end] == exact
        assert 1 <= len(found.prefix) <= 32 and len(found.suffix) <= 32
    assert 1 <= refused <= 3


def test_quote_skeleton_reads_back_as_the_texts_characters(project: Path) -> None:
    found = quote(project, "004", "den kommun som har lyckats bäst med att använda")
    assert "\\u00A0" in found.skeleton and "\u00a0" not in found.skeleton
    filled = found.skeleton
    for hole, value in {
        "?FILL_IN_LABEL_SV": '"x"@sv',
        "?FILL_IN_LABEL_EN": '"x"@en',
        "?FILL_IN_TRANSLATION": '"x"@en',
        "?FILL_IN_SPEAKER": "orgn:kvalitetsmassan",
        "?FILL_IN_SUBJECT": "award:sveriges-digitaliseringskommun",
    }.items():
        filled = filled.replace(hole, value)
    prefixes = (project / "data/ttl/sources/source-004.ttl").read_text("utf-8").split("\n# ---")[0]
    graph = Graph().parse(data=prefixes + "\n" + filled, format="turtle")
    exact = next(graph.objects(predicate=OA.exact))
    assert str(exact) == "den\u00a0kommun som har lyckats bäst med att använda"
    assert str(next(graph.objects(predicate=DK.quote))) == str(exact)


def test_quote_append_then_the_build_checks_the_selector(project: Path, capsys) -> None:
    assert main(["quote", "004", "Sundsvall, Växjö och Upplands-Bro har alla", "--append"]) == 0
    text = (project / "data/ttl/sources/source-004.ttl").read_text(encoding="utf-8")
    assert text.count("statement:004-sundsvall-vaxjo-och-upplands a dk:Statement") == 1
    assert main(["quote", "004", "Sundsvall, Växjö och Upplands-Bro har alla", "--append"]) == 0
    text = (project / "data/ttl/sources/source-004.ttl").read_text(encoding="utf-8")
    assert "statement:004-sundsvall-vaxjo-och-upplands-2 a dk:Statement" in text


QUOTE_REFUSALS = {
    "not-in-the-text": (
        ["quote", "004", "Skapa förutsättningar för nya beteenden i stora organisationer"],
        "the closest passage",
    ),
    "stands-twice": (["quote", "004", "Sundsvalls kommun"], "stands"),
    "unknown-text": (["quote", "042", "Sundsvall"], "no source text 042"),
    "not-a-number": (["quote", "4", "Sundsvall"], "three-digit number"),
    "empty-passage": (["quote", "004", "  "], "the passage is empty"),
}


@pytest.mark.parametrize("case", sorted(QUOTE_REFUSALS))
def test_quote_refuses_and_writes_nothing(case: str, project: Path, capsys) -> None:
    argv, expected = QUOTE_REFUSALS[case]
    before = snapshot(project)
    assert main([*argv, "--append"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kg quote: ") and expected in err, err
    assert snapshot(project) == before


def test_quote_offers_the_closest_passage_with_its_place(project: Path, capsys) -> None:
    typed = "Skapa förutsättningar för nya beteenden i stora organisationer"
    assert main(["quote", "004", typed]) == 2
    err = capsys.readouterr().err
    assert "at line 31, column" in err
    assert "Skapa förutsättningar för förändrade beteenden i stora" in err


def test_quote_gives_every_place_of_a_passage_that_stands_twice(project: Path, capsys) -> None:
    shutil.copy(FIXTURE, project / "data/sources/005_invented.txt")
    assert main(["quote", "005", "är en fråga om förtroende"]) == 2
    err = capsys.readouterr().err
    assert "stands 2 times" in err
    assert "line 13, column 12: …" in err and "line 13, column 95: …" in err
    assert "Öppna data [är en fråga om förtroende]. Det säger" in err


def test_quote_append_refuses_a_text_without_its_turtle_file(project: Path, capsys) -> None:
    shutil.copy(FIXTURE, project / "data/sources/005_invented.txt")
    before = snapshot(project)
    assert main(["quote", "005", "Vi vill att alla", "--append"]) == 2
    assert "data/ttl/sources/source-005.ttl does not exist" in capsys.readouterr().err
    assert snapshot(project) == before


def test_normalise_tolerates_what_editors_type() -> None:
    for typed, text in (
        ('"Utan samarbete"', "”Utan\u00a0samarbete”"),
        ("skolskjutsar - och", "skolskjutsar – och"),
        ("ett två", "ett\n   två"),
        ("„citat«", "“citat”"),
        ("vänta...", "vänta…"),
    ):
        assert normalise(typed).text == normalise(text).text, (typed, text)
    assert normalise("Sundsvall").text != normalise("sundsvall").text  # case is kept


# ---------------------------------------------------------------------------
# Holes left unfilled
# ---------------------------------------------------------------------------


def test_an_unfilled_hole_stops_validate_build_and_lint(project: Path, capsys) -> None:
    assert main(["quote", "004", "Sundsvall, Växjö och Upplands-Bro har alla", "--append"]) == 0
    capsys.readouterr()
    for argv in (["validate"], ["build"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "5 unfilled hole(s) left by `kg quote`" in err
        assert (
            "data/ttl/sources/source-004.ttl:" in err and ": unfilled hole ?FILL_IN_SPEAKER" in err
        )
    assert not (project / "build" / "kg.nq").exists()
    shutil.copytree(ROOT / "tests/fixtures/shapes", project / "tests/fixtures/shapes")
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert out.count("[unfilled-hole]") == 5 and "?FILL_IN_TRANSLATION" in out


def _prepared_refusals():
    """Refusals that need the project changed first: (prepare, argv, expected message)."""

    def two_named_alike(p: Path) -> None:
        (p / "data/ttl/sources/alike.ttl").write_text(
            "@prefix dk: <https://w3id.org/digikommun/ontology#> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            "@prefix orgn: <https://w3id.org/digikommun/id/organisation/> .\n"
            'orgn:a a dk:Organisation ; rdfs:label "Samma Namn"@sv .\n'
            'orgn:b a dk:Organisation ; rdfs:label "Samma namn"@sv .\n',
            encoding="utf-8",
        )

    def numbers_used_up(p: Path) -> None:
        (p / "data/ttl/sources/source-999.ttl").write_text("", encoding="utf-8")

    def registry_without_table(p: Path) -> None:
        (p / "data/sources/README.md").write_text("# Texts\n\nNo table.\n", encoding="utf-8")

    return {
        "publisher-name-ambiguous": (
            two_named_alike,
            _argv_with("--publisher", "samma namn"),
            "names 2 organisations: orgn:a, orgn:b",
        ),
        "publisher-slug-taken": (
            lambda p: None,
            _argv_with("--publisher", "Lantmateriet"),
            "orgn:lantmateriet exists, named otherwise; give its IRI",
        ),
        "numbers-used-up": (numbers_used_up, ADD, "all source numbers 000–999 are used"),
        "registry-without-table": (registry_without_table, ADD, "no table of texts"),
    }


@pytest.mark.parametrize("case", sorted(_prepared_refusals()))
def test_source_add_refuses_when_the_project_cannot_take_it(case, project: Path, capsys) -> None:
    prepare, argv, expected = _prepared_refusals()[case]
    prepare(project)
    before = snapshot(project)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "invisible", ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"], ids=ascii
)
def test_a_typed_passage_is_found_across_an_invisible_character(invisible: str) -> None:
    """A soft hyphen (U+00AD) or a zero-width character in the source is not typed by the
    editor, and the passage is still found; the place keeps the text's own characters."""

    text = f"Kommunen har digitali{invisible}serat hela ansökan.\n"
    found = occurrences(text, "har digitaliserat hela")
    assert len(found) == 1, ascii(text)
    assert text[found[0].start : found[0].end] == f"har digitali{invisible}serat hela"


def test_each_hole_is_reported_by_its_whole_name() -> None:
    """``?FILL_IN_LABEL_SV`` is its own hole (a Swedish label), not ``?FILL_IN_LABEL``."""
    from kg.pipeline.holes import WHAT, find_holes

    text = "# ?FILL_IN_SPEAKER in a comment\nx rdfs:label ?FILL_IN_LABEL_SV , ?FILL_IN_LABEL_EN .\n"
    holes = find_holes(text, "a.ttl")
    assert [(h.line, h.column, h.name) for h in holes] == [
        (2, 14, "?FILL_IN_LABEL_SV"),
        (2, 34, "?FILL_IN_LABEL_EN"),
    ]
    assert (
        str(holes[0]) == f"a.ttl:2:14: unfilled hole ?FILL_IN_LABEL_SV: put {WHAT[holes[0].name]}"
    )
    assert "Swedish" in str(holes[0]) and "English" in str(holes[1])
