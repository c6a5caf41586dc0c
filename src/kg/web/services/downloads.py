"""Versioned dumps of the build, written from the engine on first request and kept in memory.

The dumps are made from what the server serves (never from the Turtle inputs), so what one
downloads is what one queries. Every serialisation is deterministic — graphs, subjects and
lines sorted, gzip without a timestamp — so every worker process, and every rebuild of the
same inputs, yields the same bytes and the same published checksums.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app

from kg.namespaces import BASE, PREFIXES
from kg.store import Triples
from kg.web.endpoint.rdf_documents import graph_of
from kg.web.site.rendering import current_lang, engine, not_found, page, select

downloads = Blueprint("downloads", __name__)

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Offer:
    """A dump as the catalogue and the pages name it, known without writing it: making the
    bodies serialises the whole graph (seconds for this project, far more for a large one), so
    a page that only links to the dumps must not wait for them."""

    name: str
    media_type: str
    title_sv: str
    title_en: str
    #: EU file-type authority code, for dcterms:format in the catalog.
    file_type: str


@dataclass(frozen=True)
class Dump(Offer):
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def size(self) -> int:
        return len(self.body)


def _graphs() -> dict[str, Triples]:
    """Every named graph's triples, from the engine."""
    by_graph: dict[str, Triples] = {}
    rows = select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    for row in rows:
        by_graph.setdefault(row["g"].value, Triples()).triples.append(
            (row["s"], row["p"], row["o"])
        )
    return dict(sorted(by_graph.items()))


def _turtle(triples: Triples) -> str:
    return graph_of(triples).serialize(format="turtle")


def _trig(graphs: dict[str, Triples]) -> str:
    """TriG written graph by graph (rdflib's TriG writer orders graphs by hash)."""
    prefixes: set[str] = set()
    blocks = []
    for name, triples in graphs.items():
        body = []
        for line in _turtle(triples).splitlines():
            if line.startswith("@prefix"):
                prefixes.add(line)
            elif line.strip():
                body.append("    " + line)
            else:
                body.append("")
        blocks.append(f"<{name}> {{\n" + "\n".join(body).rstrip() + "\n}\n")
    return "\n".join(sorted(prefixes)) + "\n\n" + "\n".join(blocks)


def _nquads(graphs: dict[str, Triples]) -> str:
    lines = []
    for name, triples in graphs.items():
        nt = graph_of(triples).serialize(format="nt")
        lines += [line[:-2] + f" <{name}> .\n" for line in nt.splitlines() if line.strip()]
    return "".join(sorted(lines))


def _sorted_json(value: object) -> object:
    """JSON-LD node and value arrays are sets, so sorting them changes nothing but the order."""
    if isinstance(value, dict):
        return {k: (v if k == "@list" else _sorted_json(v)) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_sorted_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def _jsonld(graphs: dict[str, Triples]) -> str:
    named = []
    for name, triples in graphs.items():
        doc = json.loads(graph_of(triples).serialize(format="json-ld", auto_compact=False))
        named.append({"@id": name, "@graph": doc})
    return json.dumps(
        {"@context": dict(PREFIXES), "@graph": _sorted_json(named)},
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    )


def _union(graphs: dict[str, Triples]) -> Triples:
    seen = set()
    union = Triples()
    for triples in graphs.values():
        for triple in triples.triples:
            if triple not in seen:
                seen.add(triple)
                union.triples.append(triple)
    return union


#: Each dump's file name after ``digikommun-<version>``, its media type, titles, EU file type,
#: and how its bytes are written from the named graphs.
_KINDS = (
    (
        ".trig",
        "application/trig",
        "Hela datamängden, med namngivna grafer (TriG)",
        "The whole dataset, with named graphs (TriG)",
        "RDF_TRIG",
        lambda graphs: _trig(graphs).encode(),
    ),
    (
        ".nq.gz",
        "application/gzip",
        "Hela datamängden, med namngivna grafer (N-Quads, gzip)",
        "The whole dataset, with named graphs (N-Quads, gzip)",
        "RDF_N_QUADS",
        lambda graphs: gzip.compress(_nquads(graphs).encode(), mtime=0),
    ),
    (
        "-default.ttl",
        "text/turtle",
        "Standardgrafen: påstådda och härledda tripler (Turtle)",
        "The default graph: asserted and inferred triples (Turtle)",
        "RDF_TURTLE",
        lambda graphs: _turtle(_union(graphs)).encode(),
    ),
    (
        ".jsonld",
        "application/ld+json",
        "Hela datamängden, med namngivna grafer (JSON-LD)",
        "The whole dataset, with named graphs (JSON-LD)",
        "JSON_LD",
        lambda graphs: _jsonld(graphs).encode(),
    ),
)


def offers() -> list[Offer]:
    """The current build's dumps, named but not written."""
    stem = f"digikommun-{engine().version}"
    return [Offer(stem + suffix, *described) for suffix, *described, _ in _KINDS]


def dumps() -> list[Dump]:
    """The current build's dumps, written once per process, when first asked for."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("kg_downloads")
    if cached is not None:
        return cached
    with _LOCK:
        cached = app.extensions.get("kg_downloads")
        if cached is not None:
            return cached
        graphs = _graphs()
        made = [
            Dump(**vars(offer), body=write(graphs))
            for offer, (*_, write) in zip(offers(), _KINDS, strict=True)
        ]
        app.extensions["kg_downloads"] = made
        return made


def shapes_files() -> list[Path]:
    return sorted((Path(current_app.config["KG_SETTINGS"].root) / "shapes").glob("*.ttl"))


def checksums() -> str:
    """``sha256sum -c`` compatible lines for every dump."""
    return "".join(f"{d.sha256}  {d.name}\n" for d in dumps())


def download_url(name: str) -> str:
    """The canonical IRI of a download (the catalog keeps canonical IRIs)."""
    return f"{BASE}downloads/{engine().version}/{name}"


#: The lists offered as spreadsheet tables on the downloads page, with what each holds.
CSV_TABLES = (
    (
        "municipality",
        "Kommuner med län, kommunkod, nomineringar och vinster",
        "Municipalities with county, code, nominations and wins",
    ),
    (
        "edition",
        "Omgångar med vinnare och antal nominerade",
        "Editions with their winners and number of nominees",
    ),
    (
        "nomination",
        "Nomineringar: omgång, nominerad och hur långt de kom",
        "Nominations: edition, nominee and how far they went",
    ),
    ("person", "Personer", "People"),
    (
        "post",
        "Befattningar: person, titel, organisation och datum",
        "Posts: person, title, organisation and date",
    ),
    ("statement", "Citat med talare och källa", "Quotes with speaker and source"),
)


def human_size(size: int, lang: str) -> str:
    """A size as people read it: "12,3 kB" in Swedish, "12.3 kB" in English (SI units, as
    file managers show them)."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= factor:
            number = f"{size / factor:.1f}"
            return f"{number.replace('.', ',') if lang == 'sv' else number} {unit}"
    return f"{size} B"


def csv_tables(lang: str) -> list[dict]:
    """Each CSV table's link, description and size, built once per build and language."""
    from kg.web.site.lists import csv_table

    key = ("kg_csv_tables", engine().version, lang)
    cached = current_app.extensions.get(key)
    if cached is None:
        cached = [
            {
                "name": f"{kind}.csv",
                "url": f"/id/{kind}.csv?lang={lang}",
                "title": sv if lang == "sv" else en,
                "size": len(csv_table(kind, lang).encode("utf-8")),
            }
            for kind, sv, en in CSV_TABLES
        ]
        current_app.extensions[key] = cached
    return cached


@downloads.get("/downloads")
def downloads_page() -> Response:
    lang = current_lang()
    return page(
        "downloads.html",
        version=engine().version,
        dumps=dumps(),
        tables=csv_tables(lang),
        size=lambda n: human_size(n, lang),
        shapes=[p.name for p in shapes_files()],
    )


@downloads.get("/downloads/<version>/<name>")
def download(version: str, name: str) -> Response:
    """One dump of the current build; older versions are not kept by this server."""
    if version != engine().version:
        return not_found()
    if name == "SHA256SUMS":
        return Response(checksums(), mimetype="text/plain")
    for dump in dumps():
        if dump.name == name:
            response = Response(dump.body, mimetype=dump.media_type)
            if dump.media_type.startswith("text/"):
                response.mimetype_params["charset"] = "utf-8"
            response.headers["Content-Disposition"] = f'attachment; filename="{dump.name}"'
            response.headers["Digest"] = "sha-256=" + dump.sha256
            return response
    return not_found()


@downloads.get("/downloads/shapes/<name>")
def shapes(name: str) -> Response:
    """The SHACL shapes the build validated against, verbatim."""
    for path in shapes_files():
        if path.name == name:
            return Response(path.read_bytes(), mimetype="text/turtle")
    return not_found()
