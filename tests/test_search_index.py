"""The full-text index `kg build` writes beside kg.nq: what it holds, that the manifest names
it, and that a build without it is not taken as up to date. (Byte-identical rebuilds are
checked in test_pipeline.py, next to the artifact's.)"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.compounds import joined_forms
from kg.pipeline.build import is_up_to_date
from kg.pipeline.search_index import SEARCH_INDEX_NAME, write_search_index
from kg.settings import Settings
from kg.trigrams import padded_grams
from tests.conftest import ROOT

ID = "https://w3id.org/digikommun/id/"


@pytest.fixture(scope="module")
def index(built: Settings) -> sqlite3.Connection:
    path = built.build_dir / SEARCH_INDEX_NAME
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    yield connection
    connection.close()


def fts(index: sqlite3.Connection, expression: str) -> set[str]:
    return {
        iri
        for (iri,) in index.execute(
            "SELECT t.iri FROM text JOIN things t ON t.id = text.rowid WHERE text MATCH ?",
            (expression,),
        )
    }


def test_manifest_names_the_index_with_its_hash(built: Settings) -> None:
    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    entry = manifest["search_index"]
    assert entry["file"] == SEARCH_INDEX_NAME
    data = (built.build_dir / SEARCH_INDEX_NAME).read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["sqlite"] == sqlite3.sqlite_version


def test_every_named_thing_is_indexed_with_its_display_names(built, index) -> None:
    """Every municipality, person and statement of the graph has a row, with sv/en names."""
    from kg.store import open_engine

    engine = open_engine(built)
    for cls, kind in (("Municipality", "municipality"), ("Person", "person")):
        rows = engine.query(f"SELECT DISTINCT ?s WHERE {{ ?s a dk:{cls} }}").rows
        expected = {row["s"].value for row in rows}
        indexed = {
            iri for (iri,) in index.execute("SELECT iri FROM things WHERE kind = ?", (kind,))
        }
        assert expected == indexed, cls
    assert index.execute(
        "SELECT name_sv, name_en FROM things WHERE iri = ?", (ID + "municipality/lidingo",)
    ).fetchone() == ("Lidingö", "Lidingö Municipality")


def test_names_quotes_and_descriptions_are_searchable_without_diacritics(index) -> None:
    assert ID + "municipality/lidingo" in fts(index, "names : lidingo")
    # The municipality's alternative label ("Lidingö stad") is a name too.
    assert ID + "municipality/lidingo" in fts(index, 'names : "lidingo stad"')
    # A quote in Swedish and its English translation.
    assert ID + "statement/001-broman-rubrik" in fts(index, 'quotes_sv : "standigt narvarande"')
    assert ID + "statement/001-broman-rubrik" in fts(index, 'quotes_en : "ever present issue"')
    # Descriptions and definitions (an ontology term's skos:definition).
    assert ID + "organisation/scb" in fts(index, 'descriptions_sv : "officiella forteckningen"')
    assert "https://w3id.org/digikommun/ontology#municipalityCode" in fts(index, "fyrsiffriga")


def test_a_statement_is_found_by_its_speakers_name(index) -> None:
    """ "broman" must find what Daniel Broman said, even where the label does not name him."""
    by_speaker = fts(index, "context : broman")
    assert len(by_speaker) >= 5
    assert all(iri.startswith(ID + "statement/") for iri in by_speaker)


def test_selectors_are_left_out_and_kinds_have_classes(index) -> None:
    assert not index.execute("SELECT 1 FROM things WHERE kind = 'selector'").fetchall()
    kinds = dict(index.execute("SELECT kind, class FROM kinds"))
    assert kinds["municipality"].endswith("#Municipality")  # not its superclass Organisation
    assert kinds["person"].endswith("#Person")
    assert kinds["term"] is None


def test_vocabulary_holds_folded_name_words_with_their_trigrams(index) -> None:
    assert index.execute("SELECT 1 FROM terms WHERE term = 'lidingo'").fetchone()
    grams = {g for (g,) in index.execute("SELECT gram FROM grams WHERE term = 'lidingo'")}
    assert grams == padded_grams("lidingo")


def test_hyphenated_words_are_also_held_joined(index) -> None:
    """kg.compounds: "e-tjänst" is also "etjanst", and the reader's vocabulary knows it."""
    found = fts(index, "joined : etjanst")
    assert found and found <= fts(index, '"e tjanst"'), found
    assert index.execute("SELECT 1 FROM terms WHERE term = 'etjanst'").fetchone()
    assert not fts(index, "joined : tjanst")  # only joined compounds, not their parts


def test_joined_forms() -> None:
    assert joined_forms("Sveriges IT-kommun och e‑tjänst-portalen, e-tjänst") == (
        "ITkommun",
        "etjänstportalen",
        "etjänst",
    )
    assert joined_forms("inget bindestreck - här") == ()


def test_control_characters_and_markup_are_kept_as_text(tmp_path: Path) -> None:
    """The reader marks matches with control characters, so the index must hold none; markup
    in a label stays literal text (the reader escapes it)."""
    store = ox.Store()
    thing = ox.NamedNode(ID + "person/x")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.add(ox.Quad(thing, label, ox.Literal("<b>Eve</b>\x02 Mallory", language="sv")))
    path = tmp_path / SEARCH_INDEX_NAME
    write_search_index(store, path, "test")
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT name_sv FROM things").fetchone() == ("<b>Eve</b> Mallory",)
    connection.close()


def test_a_build_without_the_index_is_not_up_to_date(built: Settings, tmp_path: Path) -> None:
    """A build made before the index existed must be rebuilt, not served without search."""
    copy = tmp_path / "build"
    shutil.copytree(built.build_dir, copy)
    assert is_up_to_date(ROOT, copy)
    (copy / SEARCH_INDEX_NAME).unlink()
    assert not is_up_to_date(ROOT, copy)
