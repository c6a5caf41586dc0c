"""The architecture's arrows (docs/architecture.md, issue 28), checked by import-linter itself.

The contracts in pyproject.toml are what keeps the layout; these tests make sure they bite: a
copy of the code with one forbidden import added must break the named contract, and the page
that draws the packages must name every package the code has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["contracts"]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    """import-linter over the ``kg`` package found first on the path (the copy, when given)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=source_root,
        env={"PYTHONPATH": str(source_root / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def contract_named(start: str) -> str:
    return next(c["name"] for c in CONTRACTS if c["name"].startswith(start))


def test_the_code_keeps_every_contract(tmp_path):
    shutil.copytree(ROOT / "src" / "kg", tmp_path / "src" / "kg")
    result = lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(CONTRACTS)} kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        # the endpoint must not know the site (the layers of kg.web)
        ("web/endpoint/http.py", "kg.web.site.rendering", "kg.web:"),
        # nor the site a service
        ("web/site/home.py", "kg.web.services.search", "kg.web:"),
        # serving never imports the build (a lazy import counts as much as a top-level one)
        ("web/services/search.py", "kg.pipeline.build", "What serves never"),
        ("store/embedded.py", "kg.editing.quote", "What serves never"),
        # the pipeline never leans on the editing tools (the arrow runs one way)
        ("pipeline/load.py", "kg.editing.quote", "kg:"),
        # building and serving are siblings
        ("pipeline/publish.py", "kg.web.endpoint.http", "kg:"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, forbidden, contract):
    shutil.copytree(ROOT / "src" / "kg", tmp_path / "src" / "kg")
    target = tmp_path / "src" / "kg" / module
    target.write_text(
        target.read_text(encoding="utf-8") + f"\n\ndef _breach():\n    import {forbidden}\n",
        encoding="utf-8",
    )
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    name = contract_named(contract)
    broken = re.sub(r"\s+", " ", result.stdout)
    assert f"{name} BROKEN" in broken, result.stdout
    assert forbidden in result.stdout  # the report names the import an editor must undo


def packages() -> set[str]:
    src = ROOT / "src"
    return {
        ".".join(init.parent.relative_to(src).parts)
        for init in src.glob("kg/**/__init__.py")
        if "__pycache__" not in init.parts
    }


def test_the_page_names_every_package_the_code_has():
    named = set(re.findall(r"`(kg(?:\.\w+)*)`", PAGE))
    missing = {p for p in packages() if p != "kg" and p not in named}
    assert not missing, f"docs/architecture.md does not name {sorted(missing)}"


def test_the_page_names_no_package_the_code_lacks():
    modules = packages() | {
        ".".join(f.with_suffix("").relative_to(ROOT / "src").parts)
        for f in (ROOT / "src").glob("kg/**/*.py")
    }
    stale = {n for n in re.findall(r"`(kg(?:\.\w+)+)`", PAGE) if n not in modules and "." in n}
    assert not stale, f"docs/architecture.md names {sorted(stale)}, which the code lacks"


def test_every_layer_of_the_contracts_is_on_the_page():
    for contract in CONTRACTS:
        for container in contract.get("containers", [""]):
            for layer in contract.get("layers", []):
                for name in re.split(r"\s*[|:]\s*", layer):
                    full = f"{container}.{name}" if container else name
                    assert f"`{full}`" in PAGE or f"{full}<br/>" in PAGE, full


def test_no_package_holds_more_than_about_twenty_modules():
    for package in packages():
        folder = ROOT / "src" / package.replace(".", "/")
        modules = [f for f in folder.glob("*.py") if f.name != "__init__.py"]
        assert len(modules) <= 21, f"{package} holds {len(modules)} modules; split it by job"
