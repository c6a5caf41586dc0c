"""Every RDF text the project writes is the same bytes in every process (kg.store.rdf_text).

rdflib orders its output by Python's string hashes, which differ per process: the build's
Turtle dump named two namespaces ``ns1`` and ``ns2`` the other way round in CI's process than
in the test's (so its checksum differed), and two gunicorn workers sent an entity's RDF/XML and
a graph's JSON-LD in different orders under one strong ETag. The documents are made here in
processes with different hash seeds, as the build and the workers make them, and compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.settings import Settings
from kg.store import rdf_text
from kg.store.base import read_manifest

#: Run in each process: writes the dumps into argv[2] and prints the sha256 of every RDF
#: document the app serves for the URLs in argv[3] (a JSON list).
DOCUMENTS = """
import hashlib, json, sys
from pathlib import Path
from kg import create_app
from kg.settings import Settings
from kg.store import rdf_text
from kg.store import dumps
from kg.store.base import read_manifest

build, folder, urls = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
manifest = read_manifest(build / "manifest.json")
dumps.write(build / "kg.nq", folder, manifest["version"], sum(manifest["graphs"].values()))
digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
client = create_app(Settings(root=Path.cwd(), build_dir=build)).test_client()
for url, accept in urls:
    answer = client.get(url, headers={"Accept": accept})
    assert answer.status_code == 200, (url, accept, answer.status_code)
    digests[f"{url} {accept}"] = hashlib.sha256(answer.data).hexdigest()
print(json.dumps(digests))
"""

GRAPH_SUFFIXES = ("ttl", "trig", "nq", "jsonld", "nt", "rdf")
ENTITY_SUFFIXES = ("ttl", "jsonld", "nt", "rdf")
ENTITIES = (
    "/id/municipality/sundsvall",
    "/id/municipality/malmo",
    "/id/nomination/2021-sundsvall",
)
CONSTRUCT = (
    "/sparql?query=CONSTRUCT%20%7B%3Fs%20%3Fp%20%3Fo%7D%20WHERE%20%7BGRAPH%20"
    "%3Chttps%3A%2F%2Fw3id.org%2Fdigikommun%2Fgraph%2Freference%3E%20%7B%3Fs%20%3Fp%20%3Fo%7D%7D"
)
GRAPH_MEDIA = (
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/trig",
    "application/n-quads",
)


def urls(built: Settings) -> list[tuple[str, str]]:
    names = [iri.rsplit("/", 1)[1] for iri in read_manifest(built.manifest)["graphs"]]
    found = [(f"/graph/{n}.{s}", "*/*") for n in names for s in GRAPH_SUFFIXES]
    found += [(f"{e}.{s}", "*/*") for e in ENTITIES for s in ENTITY_SUFFIXES]
    found += [(f"/ontology.{s}", "*/*") for s in ENTITY_SUFFIXES]
    found += [(f"/catalog.{s}", "*/*") for s in ENTITY_SUFFIXES]
    found += [(CONSTRUCT, media) for media in GRAPH_MEDIA]
    found += [("/sparql", media) for media in GRAPH_MEDIA]  # the Service Description
    return found


def digests_in_a_process(built: Settings, folder: Path, seed: str, wanted: list) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", DOCUMENTS, str(built.build_dir), str(folder), json.dumps(wanted)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=built.root,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_rdf_document_is_the_same_bytes_in_processes_with_other_hash_seeds(
    built: Settings, tmp_path: Path
) -> None:
    wanted = urls(built)
    runs = {seed: digests_in_a_process(built, tmp_path / seed, seed, wanted) for seed in ("1", "2")}
    assert len(runs["1"]) == len(wanted) + 5  # four dumps and their SHA256SUMS
    differing = sorted(k for k in runs["1"] if runs["1"][k] != runs["2"].get(k))
    assert differing == []


def test_json_ld_sets_are_sorted_and_lists_keep_their_order() -> None:
    document = {"@graph": [{"@id": "b"}, {"@id": "a", "p": {"@list": [3, 1, 2]}, "q": [2, 1]}]}
    assert json.loads(rdf_text.canonical_json(document, indent=0)) == {
        "@graph": [{"@id": "a", "p": {"@list": [3, 1, 2]}, "q": [1, 2]}, {"@id": "b"}]
    }


def test_trig_of_several_graphs_reads_back_as_the_same_quads() -> None:
    """Two graphs that each need a namespace the project has no prefix for, and a literal of
    several indented lines: rdflib's TriG named both namespaces ``ns1``, and TriG spliced
    from indented per-graph Turtle changed the literal."""
    text = "– Vi började i liten skala.\n    Sedan växte det."
    first, second = rdf_text.new_graph(), rdf_text.new_graph()
    first.add((URIRef("http://example.org/a"), URIRef("http://one.example/ns#p"), Literal(text)))
    second.add((URIRef("http://example.org/b"), URIRef("http://two.example/ns#q"), Literal("x")))
    graphs = {"http://example.org/g2": second, "http://example.org/g1": first}
    quads = {
        (str(q.subject.value), str(q.predicate.value), q.object.value, q.graph_name.value)
        for q in ox.parse(
            rdf_text.serialise_graphs(graphs, rdf_text.TRIG), format=ox.RdfFormat.TRIG
        )
    }
    assert quads == {
        ("http://example.org/a", "http://one.example/ns#p", text, "http://example.org/g1"),
        ("http://example.org/b", "http://two.example/ns#q", "x", "http://example.org/g2"),
    }
