"""``make mutation``'s driver (scripts/mutation.py): a module edited since mutmut made its
mutants must be tested again, not reported from the old code's verdicts."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mutation.py"


@pytest.fixture
def mutation(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("mutation_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    equivalent = tmp_path / "scripts" / "mutation-equivalent.toml"
    equivalent.parent.mkdir()
    equivalent.write_text("")
    monkeypatch.setattr(module, "EQUIVALENT_FILE", equivalent)
    return module


def _module(root: Path, *, edited_after_meta: bool) -> None:
    source = root / "src" / "kg" / "mod.py"
    meta = root / "mutants" / "src" / "kg" / "mod.py.meta"
    source.parent.mkdir(parents=True)
    meta.parent.mkdir(parents=True)
    source.write_text("x = 1\n")
    meta.write_text(json.dumps({"exit_code_by_key": {"kg.mod.x_f__mutmut_1": 1}}))
    older, newer = 1_000_000, 2_000_000
    os.utime(source, (newer, newer) if edited_after_meta else (older, older))
    os.utime(meta, (older, older) if edited_after_meta else (newer, newer))


def _commands(mutation, monkeypatch) -> list[list[str]]:
    ran: list[list[str]] = []

    def run(command, **kwargs):
        ran.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(mutation.subprocess, "run", run)
    return ran


def test_a_module_unchanged_since_its_verdicts_is_not_run_again(mutation, monkeypatch) -> None:
    _module(mutation.ROOT, edited_after_meta=False)
    ran = _commands(mutation, monkeypatch)
    assert not mutation.stale("kg.mod")
    assert mutation.run("mod", "kg.mod", 1) == 0
    assert ran == []


def test_a_module_edited_since_its_verdicts_makes_mutmut_make_its_mutants_again(
    mutation, monkeypatch
) -> None:
    """Every old verdict says killed, yet the code changed: mutmut must run (one name is
    enough for it to make the mutants anew), not the report of the old code."""
    _module(mutation.ROOT, edited_after_meta=True)
    ran = _commands(mutation, monkeypatch)
    assert mutation.stale("kg.mod")
    mutation.run("mod", "kg.mod", 1)
    assert ran and ran[0][:2] == [str(mutation.MUTMUT), "run"]
    assert "kg.mod.x_f__mutmut_1" in ran[0]
