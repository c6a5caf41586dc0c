"""Readable profiles: above an entity page's fact table, the few things a person comes for.

Each kind of thing (``/id/{kind}/…``) has a folder ``profile_queries/{kind}/`` of SPARQL files
(``kg.web.site.query_files``), one per section of its profile, read in file-name order. A section's
``# show:`` is ``facts`` (one definition list, several values joined), ``table`` (one row per
answer) or ``quotes`` (a quote per answer, with speaker, translation and passage). A column named
``passage`` links to the quoted passage in its source text, built from the row's ``?source`` and
``?selector``. A section without answers is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kg.store import Term
from kg.web.site.entities.source_texts import anchor
from kg.web.site.entities.values import shown
from kg.web.site.query_files import QueryFile, read_query_file
from kg.web.site.rendering import href, labels, select

FOLDER = Path(__file__).parent / "profile_queries"
SHOWS = ("facts", "table", "quotes")


def read_section(path: Path) -> QueryFile:
    """A profile section; its ``show`` must be one the template knows."""
    section = read_query_file(path)
    if section.show not in SHOWS:
        raise ValueError(f"{path}: '# show:' must be one of {SHOWS}")
    return section


@cache
def sections_for(kind: str) -> tuple[QueryFile, ...]:
    """The sections of a kind's profile; none for a kind without a folder."""
    folder = FOLDER / kind
    if not re.fullmatch(r"[a-z-]+", kind) or not folder.is_dir():
        return ()
    return tuple(read_section(p) for p in sorted(folder.glob("*.rq")))


def kinds() -> list[str]:
    """Every kind that has a profile."""
    return sorted(p.name for p in FOLDER.iterdir() if p.is_dir() and any(p.glob("*.rq")))


@dataclass
class Cell:
    """A value in a profile: text, maybe a link, maybe a language."""

    text: str
    link: str | None = None
    lang: str | None = None


@dataclass
class Filled:
    """A section with its answers, ready for the template."""

    name: str
    title: str
    show: str
    headings: list[tuple[str, str]]
    rows: list[dict[str, list[Cell]]] = field(default_factory=list)


def _passage(row: dict[str, Term], lang: str) -> Cell | None:
    if "source" not in row:
        return None
    link = href(row["source"].value, lang)
    if link and "selector" in row:
        link += "#" + anchor(row["selector"].value)
    return Cell("§", link)


def profile(kind: str, iri: str, lang: str) -> list[Filled]:
    """The profile of one thing: every section of its kind that has an answer."""
    answered = [(s, select(s.sparql(lang, iri))) for s in sections_for(kind)]
    iris = {
        t.value
        for _, rows in answered
        for row in rows
        for t in row.values()
        if t.kind == "uri" and "://" in t.value
    }
    names = labels(iris, lang) if iris else {}
    filled = []
    for section, rows in answered:
        if not rows:
            continue
        out = Filled(
            section.name,
            section.titles[lang],
            section.show,
            [(name, title[lang]) for name, title in section.columns],
        )
        for row in rows:
            cells: dict[str, list[Cell]] = {}
            for name, _ in section.columns:
                if name == "passage":
                    cell = _passage(row, lang)
                elif name in row:
                    cell = _cell(row[name], names, lang)
                else:
                    cell = None
                cells[name] = [cell] if cell else []
            out.rows.append(cells)
        if section.show == "facts":
            out.rows = [_merged(out.rows)]
        elif section.merge:
            out.rows = _gathered(out.rows, section.merge)
        filled.append(out)
    return filled


def _cell(term: Term, names: dict[str, str], lang: str) -> Cell:
    """A value as a reader sees it: a name for an IRI, a date or number in the page language."""
    value = shown(term, names, lang)
    return Cell(value.text, value.link, term.lang if term.kind == "literal" else None)


def _gathered(rows: list[dict[str, list[Cell]]], merge: tuple[str, ...]) -> list[dict]:
    """Rows that agree on every column but ``merge`` become one, which keeps each of their
    ``merge`` values: Daniel Broman's one post, attested by two texts, is one row."""
    kept: dict[tuple, dict[str, list[Cell]]] = {}
    for row in rows:
        key = tuple(
            (name, tuple((c.text, c.link) for c in cells))
            for name, cells in row.items()
            if name not in merge
        )
        if key not in kept:
            kept[key] = {name: list(cells) for name, cells in row.items()}
            continue
        for name in merge:
            have = kept[key].setdefault(name, [])
            have.extend(c for c in row.get(name, []) if c not in have)
    return list(kept.values())


def _merged(rows: list[dict[str, list[Cell]]]) -> dict[str, list[Cell]]:
    """Several answer rows as one: each column keeps its distinct values in order."""
    merged: dict[str, list[Cell]] = {}
    for row in rows:
        for name, cells in row.items():
            have = merged.setdefault(name, [])
            have.extend(c for c in cells if c not in have)
    return merged
