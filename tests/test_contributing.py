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
    outputs = []
    for argv in commands():
        argv = ["diff", str(tmp_path / "build"), "worktree"] if argv[0] == "diff" else argv
        code = main(argv)
        out = capsys.readouterr()
        assert code == 0, (argv, out.out, out.err)
        outputs.append(out.out)
    assert "50000" in outputs[3]  # the query finds the new fact
    assert "no differences" in outputs[4]  # the build holds everything the worktree says
