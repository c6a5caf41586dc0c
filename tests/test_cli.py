"""The kg command: documented exit codes, stats, queries from the artifact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kg.settings import Settings
from tests.conftest import copy_project

KG = str(Path(sys.executable).with_name("kg"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KG, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_help_documents_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "exit codes" in result.stdout and "1  the data do not conform" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    assert run("frobnicate").returncode == 2


def test_stats_prints_asserted_and_inferred_apart(built: Settings) -> None:
    result = run("stats", env={"KG_BUILD_DIR": str(built.build_dir)})
    assert result.returncode == 0
    assert "asserted:" in result.stdout and "inferred:" in result.stdout
    assert "https://w3id.org/digikommun/graph/ontology" in result.stdout


def test_query_formats(built: Settings) -> None:
    env = {"KG_BUILD_DIR": str(built.build_dir)}
    query = "SELECT ?s WHERE { ?s a dk:NominationStage } ORDER BY ?s"
    table = run("query", query, env=env)
    assert (
        table.returncode == 0 and "ontology#Winner" in table.stdout and "(3 rows)" in table.stdout
    )
    as_json = json.loads(run("query", query, "--format", "json", env=env).stdout)
    assert len(as_json["results"]["bindings"]) == 3
    as_csv = run("query", query, "--format", "csv", env=env).stdout.splitlines()
    assert as_csv[0] == "s" and len(as_csv) == 4


def test_malformed_query_exits_2(built: Settings) -> None:
    result = run("query", "SELEC nothing", env={"KG_BUILD_DIR": str(built.build_dir)})
    assert result.returncode == 2 and "malformed query" in result.stderr


def test_broken_turtle_exits_1_with_file_and_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "data" / "ttl" / "oops.ttl").write_text("<a> <b> .\n", encoding="utf-8")
    result = run("build", env={"KG_ROOT": str(root), "KG_BUILD_DIR": str(tmp_path / "out")})
    assert result.returncode == 1
    assert "data/ttl/oops.ttl:1:" in result.stderr


def test_missing_build_exits_2(tmp_path: Path) -> None:
    assert run("stats", env={"KG_BUILD_DIR": str(tmp_path)}).returncode == 2
