"""How to cite the graph or one thing in it: a sentence to paste into a text and a BibTeX entry,
both naming the release (the ontology's ``owl:versionInfo`` and ``dcterms:modified``) and the
build (the manifest's content version), so a reader can find exactly the data that was cited.

The date is the release's own date from the data, never the clock: the same build cites the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.namespaces import BASE, ONTOLOGY_IRI
from kg.web.site.entities.values import format_literal
from kg.web.site.rendering import engine, select

TITLE = "Sveriges DigitaliseringsKommun KG"
CREATOR = "Digitaliseringskommun knowledge graph team"  # dcterms:creator of the ontology
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


@dataclass(frozen=True)
class Release:
    """The release a page shows: its version, its date (ISO) and the build's content hash."""

    version: str
    date: str
    build: str

    def date_for(self, lang: str) -> str:
        return format_literal(self.date, XSD_DATE, lang) if self.date else ""

    @property
    def year(self) -> str:
        return self.date[:4]


def release() -> Release:
    """The release the server is serving, read from the graph and the build."""
    rows = select(
        f"""SELECT ?version ?modified WHERE {{
          OPTIONAL {{ <{ONTOLOGY_IRI}> owl:versionInfo ?version }}
          OPTIONAL {{ <{ONTOLOGY_IRI}> dcterms:modified ?modified }}
        }} LIMIT 1"""
    )
    row = rows[0] if rows else {}
    return Release(
        row["version"].value if "version" in row else "",
        row["modified"].value if "modified" in row else "",
        str(engine().version),
    )


@dataclass(frozen=True)
class Citation:
    """One way to cite a page: plain text in the page language, and BibTeX."""

    text: str
    bibtex: str
    iri: str


def _key(iri: str, year: str) -> str:
    tail = iri[len(BASE) :] if iri.startswith(BASE) else iri
    slug = re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-") or "dataset"
    return f"digikommun-{slug}-{year}"


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}&%$#_])", r"\\\1", text)


def cite(iri: str, title: str, lang: str, rel: Release | None = None) -> Citation:
    """A citation of ``iri`` (a thing, or the dataset itself at the base IRI)."""
    rel = rel or release()
    words = {
        "sv": ("version", "bygge", "hämtad från", "Licens"),
        "en": ("version", "build", "available at", "Licence"),
    }[lang]
    what = TITLE if title == TITLE else f"“{title}”. {'I' if lang == 'sv' else 'In'}: {TITLE}"
    text = (
        f"{CREATOR} ({rel.year}). {what}, {words[0]} {rel.version} "
        f"({words[1]} {rel.build}), {rel.date_for(lang)}. {words[2].capitalize()} {iri}. "
        f"{words[3]}: {LICENCE}."
    )
    note = f"Version {rel.version}, build {rel.build}, {rel.date}. Licence {LICENCE}."
    bibtex = (
        f"@misc{{{_key(iri, rel.year)},\n"
        f"  author       = {{{{{_bibtex_escape(CREATOR)}}}}},\n"
        f"  title        = {{{{{_bibtex_escape(title)}}}}},\n"
        + ("" if title == TITLE else f"  howpublished = {{{_bibtex_escape(TITLE)}}},\n")
        + f"  year         = {{{rel.year}}},\n"
        f"  version      = {{{rel.version}}},\n"
        f"  date         = {{{rel.date}}},\n"
        f"  url          = {{{iri}}},\n"
        f"  note         = {{{_bibtex_escape(note)}}}\n"
        "}"
    )
    return Citation(text, bibtex, iri)
