"""Documentation that the code keeps honest."""

from dataclasses import fields

from kg.settings import Settings
from tests.conftest import ROOT


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = {line.split("`")[1] for line in readme.splitlines() if line.startswith("| `KG_")}
    assert documented == {"KG_" + f.name.upper() for f in fields(Settings)}


def test_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in block.strip().splitlines()] == [
        ["make", "serve"],
        ["make", "test"],
    ]


def test_sources_are_byte_identical_copies() -> None:
    import hashlib

    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():  # CI checks out only this repository: the README hashes still hold
        seeds = None
    readme = (ROOT / "data" / "sources" / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "data" / "sources").glob("*.txt")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`{digest[:8]}…{digest[-4:]}`" in readme, path.name
        if seeds:
            assert (seeds / path.name).read_bytes() == path.read_bytes()
