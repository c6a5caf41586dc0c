"""Ontology lint: the project is clean, and every rule is proved able to fail.

Each ``tests/fixtures/lint/<rule>.ttl`` names a rule, a project file to append itself to and a
line the report must contain. The test appends it to a scratch copy of the project and runs the
whole lint, so a rule that silently stopped matching (a typo in a prefix, a wrong graph name)
fails here rather than passing everything forever.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.cli import main
from kg.pipeline.lint import lint, load_rules
from tests.conftest import ROOT

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "lint").glob("*.ttl"))
RULES = load_rules()


def _header(path: Path, key: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{path.name} lacks a '# {key}:' header line")


def scratch_copy(target: Path) -> Path:
    """The inputs lint reads: ontology (with external/ and releases/), shapes, data, fixtures."""
    for name in ("ontology", "shapes", "data", "tests/fixtures/shapes"):
        shutil.copytree(ROOT / name, target / name)
    return target


def test_the_project_is_clean() -> None:
    problems = lint(ROOT)
    assert problems == [], "\n".join(map(str, problems))


def test_every_rule_has_a_fixture_and_every_fixture_a_rule() -> None:
    """A stray filter or a lost file must not silently shrink the coverage."""
    assert len(RULES) == 18
    assert {_header(p, "rule") for p in FIXTURES} == {r.name for r in RULES}
    assert len(FIXTURES) == len(RULES)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_rule_fails_on_its_fixture(path: Path, tmp_path: Path) -> None:
    rule, expected = _header(path, "rule"), _header(path, "expect")
    root = scratch_copy(tmp_path)
    target = root / _header(path, "file")
    with target.open("a", encoding="utf-8") as out:
        out.write("\n" + path.read_text(encoding="utf-8"))
    problems = [p for p in lint(root) if p.rule == rule]
    lines = [str(p) for p in problems]
    assert any(expected in line for line in lines), (rule, expected, lines)
    for problem in problems:  # every report points at a file, and a line in it
        assert problem.file and problem.line > 0, str(problem)


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    root = scratch_copy(tmp_path)
    with (root / "data/ttl/sources/source-000.ttl").open("a", encoding="utf-8") as out:
        out.write('\nmun:lidingo rdfs:label "Lidingö"@sv\nmun:x a dk:Municipality .\n')
    problems = lint(root)
    assert len(problems) == 1
    assert problems[0].rule == "syntax"
    assert str(problems[0]).startswith("data/ttl/sources/source-000.ttl:")
    assert problems[0].line > 1 and problems[0].column > 0


def test_rule_headers_state_rule_message_and_why() -> None:
    for rule in RULES:
        assert rule.message.endswith("."), rule.name
        assert rule.why, rule.name


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """0 when clean, 1 with problems (one line each), 2 when the project cannot be read."""
    monkeypatch.setenv("KG_ROOT", str(ROOT))
    assert main(["lint"]) == 0
    root = scratch_copy(tmp_path / "broken")
    with (root / "ontology/ontology.ttl").open("a", encoding="utf-8") as out:
        out.write('\ndk:Award rdf:comment "oops" .\n')
    monkeypatch.setenv("KG_ROOT", str(root))
    capsys.readouterr()
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert "ontology/ontology.ttl:" in out and "[unknown-external-term]" in out
    assert main(["lint", "--format", "json"]) == 1
    assert '"rule": "unknown-external-term"' in capsys.readouterr().out
    monkeypatch.setenv("KG_ROOT", str(tmp_path / "nowhere"))
    assert main(["lint"]) == 2


def test_ruff_config_is_live(tmp_path: Path) -> None:
    """STYLE.md's cautionary find: lint settings in a section the linter never reads. A known
    violation (an unused import, F401, and `assert` outside tests is ignored only for S101) must
    fail ruff when checked with the project's own configuration."""
    import subprocess
    import sys

    bad = tmp_path / "src" / "kg" / "known_violation.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("import os\n", encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--config", str(ROOT / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "F401" in result.stdout
    # ...and a rule only the project's selection enables (S: bandit) fires too, so the
    # [tool.ruff.lint] section, not ruff's defaults, is what ran.
    bad.write_text("import subprocess\nsubprocess.run('ls', shell=True)\n", encoding="utf-8")
    result = subprocess.run(
        [str(ruff), "check", "--config", str(ROOT / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "S602" in result.stdout, result.stdout


def test_lint_with_its_store_on_disk_finds_what_it_finds_in_memory(tmp_path: Path) -> None:
    """The streaming build lints with the store on disk (bounded memory): the same problems,
    with the same files and lines, as the in-memory store gives."""
    root = scratch_copy(tmp_path / "p")
    for fixture in FIXTURES[:6]:  # a few rules' problems, in several files
        target = root / _header(fixture, "file")
        with target.open("a", encoding="utf-8") as out:
            out.write("\n" + fixture.read_text(encoding="utf-8"))
    in_memory = lint(root)
    assert len({p.rule for p in in_memory}) >= 5
    assert lint(root, directory=tmp_path / "store") == in_memory
    assert (tmp_path / "store").is_dir()
