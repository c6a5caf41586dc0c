"""`make build` builds again whenever what the artifact is made from changed.

Make decides by modification times, so two ways of being fooled are tested with make itself: an
input edited while a build runs (the artifact must not look newer than the edit), and a change
to the build's own code (the pipeline), which is as much an input as the data.
The real `kg build` is replaced by a stand-in (``BIN``), so these tests build nothing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def stand_in(tmp_path):
    """A fake ``kg`` that 'builds' the artifact and, when asked, edits an input while it runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kg = bin_dir / "kg"
    kg.write_text(
        "#!/bin/sh\n"
        # The edit's time cut to the whole second: the earliest an edit in this second can be
        # dated, as coarse file clocks date it; never after the build started, often before.
        'if [ -n "$EDIT_DURING_BUILD" ]; then\n'
        '  touch -d "$(date +%Y-%m-%dT%H:%M:%S)" "$EDIT_DURING_BUILD"\n'
        "fi\n"
        'touch "$ARTIFACT_PATH"\n',
        encoding="utf-8",
    )
    kg.chmod(0o755)
    stamp = tmp_path / "stamp"
    stamp.touch()
    old = 1_000_000_000  # 2001: older than any file of the checkout
    os.utime(stamp, (old, old))
    data = tmp_path / "input.ttl"
    data.touch()
    os.utime(data, (old, old))
    artifact = tmp_path / "manifest.json"
    return {"bin": bin_dir, "stamp": stamp, "input": data, "artifact": artifact}


def make(stand_in, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    variables = [
        f"BIN={stand_in['bin']}",
        f"STAMP={stand_in['stamp']}",
        f"INPUTS={stand_in['input']}",
        f"ARTIFACT={stand_in['artifact']}",
    ]
    return subprocess.run(
        # -o: the stand-in's installation stamp counts as done, whatever pyproject.toml's date
        ["make", "--no-print-directory", "-o", str(stand_in["stamp"]), *args, *variables],
        cwd=ROOT,
        env={**os.environ, "ARTIFACT_PATH": str(stand_in["artifact"]), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def up_to_date(stand_in, *args: str) -> bool:
    """``make -q``: 0 when the artifact needs no build, 1 when it does."""
    result = make(stand_in, "-q", *args, "build")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


def test_an_input_edited_during_a_build_is_built_next_time(stand_in):
    done = make(stand_in, "build", env={"EDIT_DURING_BUILD": str(stand_in["input"])})
    assert done.returncode == 0, done.stderr
    assert stand_in["artifact"].exists()
    assert not up_to_date(stand_in), "the edit made during the build would never be built"


def test_a_finished_build_is_not_repeated(stand_in):
    assert make(stand_in, "build").returncode == 0
    assert up_to_date(stand_in)


@pytest.mark.parametrize(
    "code", ["src/kg/pipeline/reason.py", "src/kg/pipeline/lint/rules/empty-literal.rq"]
)
def test_a_change_to_the_build_code_builds_again(stand_in, code):
    assert make(stand_in, "build").returncode == 0
    assert up_to_date(stand_in)
    assert not up_to_date(stand_in, "-W", code), f"{code} changed, yet make would not build"
