"""The documented body cap is the one nginx enforces (issue 23: the documentation said 65,536
bytes while the generated configuration capped bodies at 4 MiB)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.deploy.nginx import render
from kg.settings import Settings
from tests.conftest import ROOT

#: Where each document states the proxy's body cap, as a pattern whose group is the figure.
STATEMENTS = {
    "README.md": r"\| request body \| `KG_MAX_BODY_BYTES` \| `(\d+)`",
    "SECURITY.md": r"\| Huge bodies, URLs, headers \|[^\n]*\| `KG_MAX_BODY_BYTES` \| `(\d+)`",
    "docs/deploy.md": r"larger than `KG_MAX_BODY_BYTES` \(default `(\d+)` bytes",
}


def generated_cap(tmp_path: Path) -> int:
    config = render(Settings(root=ROOT), [8001, 8002], tmp_path)
    caps = re.findall(r"^\s*client_max_body_size (\d+);", config, re.MULTILINE)
    assert len(caps) == 1, caps
    return int(caps[0])


@pytest.mark.parametrize("document", sorted(STATEMENTS))
def test_the_documented_body_cap_is_the_generated_one(document: str, tmp_path: Path) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    found = re.findall(STATEMENTS[document], text)
    assert len(found) == 1, f"{document} states the proxy's body cap {len(found)} times"
    assert int(found[0]) == generated_cap(tmp_path) == Settings().max_body_bytes
