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
from kg.pipeline.search_index import SEARCH_INDEX_NAME, weighed_parts, write_search_index
from kg.settings import Settings
from kg.store.base import store_dir_name
from kg.trigrams import padded_grams
from tests.conftest import ROOT

ID = "https://w3id.org/digikommun/id/"
DK = "https://w3id.org/digikommun/ontology#"


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


def test_the_index_is_written_chunk_by_chunk_with_the_same_bytes(
    built: Settings, tmp_path: Path
) -> None:
    """Issue 27: the index is gathered and inserted a chunk of subjects at a time, so that the
    build's memory does not grow with the graph. The chunks change nothing: one subject per
    chunk (every nomination apart from its nominee and edition), two, and a size that leaves a
    short last chunk give the bytes of one chunk holding everything."""
    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    store = ox.Store.read_only(str(built.build_dir / store_dir_name(manifest)))
    whole = write_search_index(store, tmp_path / "whole.sqlite", "test", chunk_subjects=10**9)
    connection = sqlite3.connect(tmp_path / "whole.sqlite")
    (last,) = connection.execute("SELECT MAX(id) FROM things").fetchone()
    lidingo_roles = {
        role
        for (role,) in connection.execute(
            "SELECT role FROM roles JOIN things ON things.id = roles.thing WHERE iri = ?",
            (ID + "municipality/lidingo",),
        )
    }
    connection.close()
    assert any("2019" in role for role in lidingo_roles), lidingo_roles  # an edition's name
    short = next(size for size in (7, 11, 13) if last % size)
    for size in (1, 2, short):
        path = tmp_path / f"chunks-of-{size}.sqlite"
        assert write_search_index(store, path, "test", chunk_subjects=size) == whole, size
        assert path.read_bytes() == (tmp_path / "whole.sqlite").read_bytes(), size


def test_chunks_are_cut_where_their_subjects_take_part_in_many_nominations(
    built: Settings, tmp_path: Path
) -> None:
    """Issue 27: a nominee's roles name every edition it was nominated in, so a chunk of
    municipalities gathered every nomination of the graph at once. Each part holds at most
    ``limit`` nomination links (counted here one subject at a time), unless it is one subject;
    the parts keep the chunk's order, and the index's bytes do not change."""
    manifest = json.loads(built.manifest.read_text(encoding="utf-8"))
    store = ox.Store.read_only(str(built.build_dir / store_dir_name(manifest)))
    chunk = sorted(
        row[0].value
        for row in store.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER (STRSTARTS(STR(?s), "
            f'"{ID}municipality/") || STRSTARTS(STR(?s), "{ID}edition/")) }}'
        )
    )

    def links(iri: str) -> int:
        query = (
            f"SELECT (COUNT(*) AS ?c) WHERE {{ {{ ?n <{DK}nominee> <{iri}> }} "
            f"UNION {{ ?n <{DK}forEdition> <{iri}> }} }}"
        )
        return int(next(iter(store.query(query)))[0].value)

    limit = 6  # the editions of 2015 and 2017 have eight nominations each
    parts = list(weighed_parts(store, chunk, limit))
    assert [iri for part in parts for iri in part] == chunk
    assert all(len(part) == 1 or sum(1 + links(i) for i in part) <= limit for part in parts)
    assert any(links(part[0]) + 1 > limit for part in parts if len(part) == 1), "none split"
    assert len(parts) < len(chunk), "every subject alone: the limit was not used"
    whole = write_search_index(store, tmp_path / "whole.sqlite", "test")
    assert write_search_index(store, tmp_path / "cut.sqlite", "test", chunk_links=1) == whole


def test_roles_name_a_nominee_and_its_edition_from_other_chunks(tmp_path: Path) -> None:
    """A nomination, its nominee and its edition fall in three different chunks here; each
    still gets its role, with the other's shown name beside it."""
    dk, rdfs = "https://w3id.org/digikommun/ontology#", "http://www.w3.org/2000/01/rdf-schema#"
    store = ox.Store()

    def add(s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o))

    for term, label in ((dk + "nominee", "nominee"), (dk + "winner", "winner")):
        add(term, rdfs + "isDefinedBy", ox.NamedNode("https://w3id.org/digikommun/ontology"))
        add(term, rdfs + "label", ox.Literal(label, language="en"))
    add(ID + "edition/2019", rdfs + "label", ox.Literal("Award 2019", language="en"))
    add(ID + "municipality/alby", rdfs + "label", ox.Literal("Alby", language="sv"))
    nomination = ID + "nomination/2019-alby"
    add(nomination, rdfs + "label", ox.Literal("Alby 2019", language="sv"))
    add(nomination, dk + "nominee", ox.NamedNode(ID + "municipality/alby"))
    add(nomination, dk + "forEdition", ox.NamedNode(ID + "edition/2019"))
    add(nomination, dk + "stage", ox.NamedNode(dk + "winner"))
    write_search_index(store, tmp_path / "index.sqlite", "test", chunk_subjects=1)
    connection = sqlite3.connect(tmp_path / "index.sqlite")
    roles = dict(
        connection.execute("SELECT iri, role FROM roles JOIN things ON things.id = roles.thing")
    )
    connection.close()
    assert roles == {
        ID + "edition/2019": "winner nominee Alby",
        ID + "municipality/alby": "winner nominee Award 2019",
        nomination: "winner nominee",
    }


@pytest.mark.parametrize("size", ["chunk_subjects", "chunk_links"])
def test_a_chunk_size_below_one_is_refused(tmp_path: Path, size: str) -> None:
    with pytest.raises(ValueError, match=size):
        write_search_index(ox.Store(), tmp_path / SEARCH_INDEX_NAME, "test", **{size: 0})
    assert not (tmp_path / SEARCH_INDEX_NAME).exists()


def test_a_build_without_the_index_is_not_up_to_date(built: Settings, tmp_path: Path) -> None:
    """A build made before the index existed must be rebuilt, not served without search."""
    copy = tmp_path / "build"
    shutil.copytree(built.build_dir, copy)
    assert is_up_to_date(ROOT, copy)
    (copy / SEARCH_INDEX_NAME).unlink()
    assert not is_up_to_date(ROOT, copy)
