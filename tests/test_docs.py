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


SOURCES = ROOT / "data" / "sources"
SEEDS = ROOT.parent / "shared" / "seeds"


def _recorded_hashes() -> dict[str, str]:
    """``data/sources/SHA256SUMS`` (``sha256sum`` format): the hashes of the primary texts,
    recorded in the repository so that no check depends on a folder outside it."""
    lines = (SOURCES / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def test_sources_match_their_recorded_hashes() -> None:
    """Runs everywhere: the five texts are the ones whose hashes were recorded from the seeds."""
    import hashlib

    recorded = _recorded_hashes()
    texts = sorted(SOURCES.glob("*.txt"))
    assert len(texts) == len(recorded) == 5
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    for path in texts:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert recorded[path.name] == digest, path.name
        assert f"`{digest[:8]}…{digest[-4:]}`" in readme, path.name


def test_sources_are_byte_identical_copies() -> None:
    """Where the shared seeds are checked out beside the repository, compare byte for byte."""
    import pytest

    if not SEEDS.is_dir():
        pytest.skip(
            f"{SEEDS} is absent (a checkout of this repository alone); the copies are checked "
            "against their recorded hashes instead (test_sources_match_their_recorded_hashes)"
        )
    import hashlib

    recorded = _recorded_hashes()
    assert sorted(p.name for p in SEEDS.glob("*.txt")) == sorted(recorded)
    for name, digest in recorded.items():
        seed = (SEEDS / name).read_bytes()
        assert hashlib.sha256(seed).hexdigest() == digest, name
        assert (SOURCES / name).read_bytes() == seed, name
