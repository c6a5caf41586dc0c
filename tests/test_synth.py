"""The synthetic graph: deterministic, about the size asked for, and a valid project."""

from __future__ import annotations

import hashlib

from kg.pipeline.synth import synthesise


def _digest(root) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def test_synth_is_deterministic_and_near_the_size(tmp_path) -> None:
    a = synthesise(tmp_path / "a", 3000)
    b = synthesise(tmp_path / "b", 3000)
    assert _digest(a.root) == _digest(b.root)
    assert abs(a.triples - 3000) <= 150


def test_synthetic_project_builds(tmp_path) -> None:
    """It validates, its quotes match its source texts, and reasoning adds our types."""
    from kg.pipeline.build import build

    result = synthesise(tmp_path / "p", 2000)
    built = build(result.root, tmp_path / "build", force=True)
    assert built.manifest["validation"]["violations"] == 0
    assert built.manifest["triples"]["inferred"] > 0


def test_the_cli_writes_a_synthetic_project(tmp_path, capsys) -> None:
    from kg.cli import main

    assert main(["synth", "--triples", "1000", "--out", str(tmp_path / "s")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert list((tmp_path / "s" / "data" / "ttl" / "synth").glob("*.ttl"))
