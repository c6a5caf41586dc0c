"""Holes that ``kg quote`` leaves for the editor (``?FILL_IN_SPEAKER``), found in a Turtle file.

A hole is written as a SPARQL-style variable, which is not Turtle: a file with one left in it
cannot be loaded, so a forgotten hole stops ``kg validate``, ``kg build`` and ``kg lint``
instead of slipping into the graph. This module finds them first, so that the report names
each hole and what to put there rather than a parser's complaint about a ``?``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOLE = re.compile(r"\?FILL_IN_[A-Z_]+")

#: What goes into each hole, as the report tells the editor.
WHAT = {
    "?FILL_IN_LABEL_SV": 'a short Swedish label, "…"@sv',
    "?FILL_IN_LABEL_EN": 'a short English label, "…"@en',
    "?FILL_IN_TRANSLATION": 'the English translation, "…"@en',
    "?FILL_IN_SPEAKER": "the speaker: a person:… or, when no person is named, an orgn:…",
    "?FILL_IN_SUBJECT": "what the quote is about: any IRI of the graph (mun:…, initiative:…)",
}


@dataclass(frozen=True)
class Hole:
    path: str
    line: int
    column: int
    name: str

    def __str__(self) -> str:
        what = WHAT.get(self.name, "a value")
        return f"{self.path}:{self.line}:{self.column}: unfilled hole {self.name}: put {what}"


def find_holes(text: str, path: str) -> list[Hole]:
    """Every hole outside comment lines, with its line and column (both from 1)."""
    holes = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        holes += [Hole(path, number, m.start() + 1, m.group()) for m in HOLE.finditer(line)]
    return holes
