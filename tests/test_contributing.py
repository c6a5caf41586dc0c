"""CONTRIBUTING.md's worked example, followed step by step in a scratch copy of the project,
so that the guide cannot go stale: if its Turtle or its commands stop working, this fails."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from kg.cli import main
from tests.conftest import ROOT

GUIDE = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
STEP = re.compile(r"((?:<!-- (?:append|create): \S+ -->\n)+)```turtle\n(.*?)```", re.DOTALL)


def steps() -> list[tuple[str, str, str]]:
    found = []
    for markers, body in STEP.findall(GUIDE):
        for action, path in re.findall(r"<!-- (append|create): (\S+) -->", markers):
            found.append((action, path, body))
    return found


def commands() -> list[list[str]]:
    block = GUIDE.split("Then check, build and ask:", 1)[1].split("```sh", 1)[1].split("```")[0]
    return [shlex.split(line)[1:] for line in block.strip().splitlines()]


def test_the_guide_has_the_worked_example() -> None:
    assert len(steps()) == 6
    assert [c[0] for c in commands()] == ["lint", "validate", "build", "query", "diff"]


def test_worked_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import shutil

    for name in ("ontology", "shapes", "data", "tests/fixtures/shapes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for action, path, body in steps():
        target = tmp_path / path
        if action == "create":
            assert not target.exists(), path
            target.write_text(body, encoding="utf-8")
        else:
            with target.open("a", encoding="utf-8") as out:
                out.write("\n" + body)
    monkeypatch.setenv("KG_ROOT", str(tmp_path))
    monkeypatch.setenv("KG_BUILD_DIR", str(tmp_path / "build"))
    # The fast reasoner: the same bytes as owlrl (test_materialise) in about half the time.
    monkeypatch.setenv("KG_REASONER", "fast")
    outputs = []
    for argv in commands():
        argv = ["diff", str(tmp_path / "build"), "worktree"] if argv[0] == "diff" else argv
        code = main(argv)
        out = capsys.readouterr()
        assert code == 0, (argv, out.out, out.err)
        outputs.append(out.out)
    assert "50000" in outputs[3]  # the query finds the new fact
    assert "no differences" in outputs[4]  # the build holds everything the worktree says


# ---------------------------------------------------------------------------
# "Add a source text": the worked example on an invented text, end to end
# ---------------------------------------------------------------------------


def _marked(name: str) -> str:
    """The block that follows ``<!-- source-example: name -->`` in the guide."""
    after = GUIDE.split(f"<!-- source-example: {name} -->\n", 1)[1]
    if after.startswith("```"):
        return after.split("\n", 1)[1].split("```", 1)[0]
    return after.split("\n\n", 1)[0]  # a table ends at the first blank line


def _kg_lines(block: str) -> list[list[str]]:
    return [shlex.split(line)[1:] for line in block.strip().splitlines()]


def _fill(turtle: str, table: str) -> str:
    """Put each value of the guide's table into its statement's hole."""
    rows = [re.findall(r"`([^`]*)`", line) for line in table.splitlines()[2:]]
    assert len(rows) == 15 and all(len(r) == 3 for r in rows), rows
    for name, hole, value in rows:
        start = turtle.index(f"statement:{name} a dk:Statement")
        end = turtle.index(" .\n", start)
        block = turtle[start:end]
        assert block.count(hole) == 1, (name, hole)
        turtle = turtle[:start] + block.replace(hole, value) + turtle[end:]
    return turtle


def test_add_a_source_text_worked_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Register the invented text, quote three passages, fill the holes, then lint, validate,
    build and query the new graph, exactly as CONTRIBUTING.md says."""
    import shutil

    for name in ("ontology", "shapes", "data", "tests/fixtures/shapes", "tests/fixtures/editing"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)  # the guide's commands name the text relative to the checkout
    monkeypatch.setenv("KG_ROOT", str(tmp_path))
    monkeypatch.setenv("KG_BUILD_DIR", str(tmp_path / "build"))
    # The fast reasoner: the same bytes as owlrl (test_materialise) in about half the time.
    monkeypatch.setenv("KG_REASONER", "fast")
    commands = _kg_lines(_marked("commands"))
    assert [c[0] for c in commands] == ["source", "quote", "quote", "quote"]
    for argv in commands:
        assert main(argv) == 0, (argv, capsys.readouterr())
    capsys.readouterr()
    turtle_path = tmp_path / "data/ttl/sources/source-005.ttl"
    assert main(["validate"]) == 1  # the holes stop it until they are filled
    assert "?FILL_IN_SPEAKER" in capsys.readouterr().err
    append = GUIDE.split("<!-- source-example: append data/ttl/sources/source-005.ttl -->\n")[1]
    turtle = (
        turtle_path.read_text(encoding="utf-8")
        + "\n"
        + append.split("```turtle\n")[1].split("```")[0]
    )
    turtle_path.write_text(_fill(turtle, _marked("holes")), encoding="utf-8")
    checks = _kg_lines(_marked("check"))
    assert [c[0] for c in checks] == ["lint", "validate", "build", "query"]
    outputs = []
    for argv in checks:
        code = main(argv)
        out = capsys.readouterr()
        assert code == 0, (argv, out.out, out.err)
        outputs.append(out.out)
    answer = outputs[-1]
    assert "(3 rows)" in answer
    assert "”Utan\u00a0samarbete mellan förvaltningarna hade vi aldrig kommit hit.”" in answer
    assert "skolskjutsar – och" in answer  # the text's dash, though a hyphen was typed
    assert answer.count("person/eva-exempel") == 2 and "municipality/exempelby" in answer
    registry = (tmp_path / "data/sources/README.md").read_text(encoding="utf-8")
    text = next((tmp_path / "data/sources").glob("005_*.txt"))
    assert f"`{text.name}`" in registry
    assert text.read_bytes() == (ROOT / "tests/fixtures/editing/invented-article.txt").read_bytes()
