"""SPARQL files with a small bilingual header, as the profiles and the lists keep them.

A file starts with comment lines that name it and its columns in Swedish and English::

    # title: Nominerade | Nominees
    # show: table
    # class: dk:Municipality
    # column nominee: Nominerad | Nominee

then the query. ``$this`` stands for the thing a profile is about and ``$lang`` for the page
language; both are SPARQL variables, so every file parses as written and a test runs each one.
Keeping the queries in files (like the examples) lets a reader see, run and change what a page
asks without touching the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.web.site.rendering import LANGS, UNSAFE_IN_IRI

HEADER = re.compile(r"#\s*(title|show|class|column|merge)\s*([A-Za-z_]*)\s*:\s*(.*)")


@dataclass(frozen=True)
class QueryFile:
    """One query file: its name, titles, columns (name → heading per language) and query."""

    name: str
    titles: dict[str, str]
    columns: tuple[tuple[str, dict[str, str]], ...]
    query: str
    show: str = "table"
    cls: str = ""
    #: columns whose values gather when rows agree on every other column (``# merge: a b``):
    #: one fact attested by two texts is one row with both dates and records
    merge: tuple[str, ...] = ()

    def sparql(self, lang: str, this: str | None = None) -> str:
        """The query with ``$lang`` (and ``$this``) bound; refuses anything unsafe."""
        if lang not in LANGS or (this is not None and UNSAFE_IN_IRI.search(this)):
            raise ValueError(f"not a safe IRI or language: {this!r} {lang!r}")
        text = re.sub(r"\$lang\b", f'"{lang}"', self.query)
        if this is not None:
            text = re.sub(r"\$this\b", f"<{this}>", text)
        return text


def _bilingual(text: str) -> dict[str, str]:
    sv, _, en = text.partition("|")
    return {"sv": sv.strip(), "en": (en or sv).strip()}


def read_query_file(path: Path) -> QueryFile:
    """A query file with its header; a file without a title or columns is an error that its
    author sees at once (the tests read every file)."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    titles: dict[str, str] = {}
    columns: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        match = HEADER.match(line)
        if not match:
            continue
        key, name, value = match.groups()
        if key == "title":
            titles = _bilingual(value)
        elif key == "column":
            columns.append((name, _bilingual(value)))
        else:
            fields[key] = value.strip()
    if not titles or not columns:
        raise ValueError(f"{path}: needs a '# title: sv | en' line and '# column …' lines")
    return QueryFile(
        path.stem,
        titles,
        tuple(columns),
        text,
        fields.get("show", "table"),
        fields.get("class", ""),
        tuple(fields.get("merge", "").split()),
    )
