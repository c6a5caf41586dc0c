"""Versioned dumps of the build, and the page that offers them.

The dumps are written by the build beside its artifact (:mod:`kg.store.dumps`), from the
artifact the server loads (never from the Turtle inputs), so what one downloads is what one
queries. The server only sends the files: writing them here cost each worker seconds of CPU
(minutes, and more memory than the machine has, for a large build) when someone first asked.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_file

from kg.namespaces import BASE
from kg.store import dumps as build_dumps
from kg.store.dumps import Dump
from kg.web.site.rendering import current_lang, engine, not_found, page

downloads = Blueprint("downloads", __name__)


def dumps() -> list[Dump]:
    """The dumps of the build the server serves (none if that build wrote none)."""
    return build_dumps.written(current_app.config["KG_SETTINGS"].build_dir, engine().version)


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
            response = send_file(
                dump.path,
                mimetype=dump.kind.media_type,
                as_attachment=True,
                download_name=dump.name,
                etag=dump.sha256,
                conditional=True,
            )
            if dump.kind.media_type.startswith("text/"):
                response.mimetype_params["charset"] = "utf-8"
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
