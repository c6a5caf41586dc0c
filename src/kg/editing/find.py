"""Find a passage in a source text the way an editor types it, and say where it stands.

Editors copy a passage from a browser or retype it: straight quotes for typographic ones, a
hyphen for a dash, an ordinary space for a no-break space, one line for a wrapped paragraph.
The search therefore compares both sides in a normalised form and maps each match back to the
text's own characters, which are what ``oa:exact`` must hold.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_QUOTES = "\"'“”„‟«»‹›‘’‚‛″′"
_DASHES = "-‐‑‒–—―−"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"  # soft hyphen, zero-width characters


@dataclass(frozen=True)
class Place:
    """A span of the text: character offsets (as oa:TextPositionSelector counts them) and the
    line and column (from 1) where it starts and ends."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclass(frozen=True)
class Normalised:
    """The text in normalised form, with the original offset of every normalised character."""

    text: str
    origin: list[int]


def normalise(text: str) -> Normalised:
    """Collapse whitespace runs to one space, unify quote marks and dashes, drop invisible
    characters, spell an ellipsis as three dots; keep where each character came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _INVISIBLE:
            continue
        if char.isspace():
            if out and out[-1] == " ":
                continue
            char = " "
        elif char in _QUOTES:
            char = '"'
        elif char in _DASHES:
            char = "-"
        elif char == "…":
            out += ".."
            origin += [index, index]
            char = "."
        out.append(char)
        origin.append(index)
    return Normalised("".join(out), origin)


def place(text: str, start: int, end: int) -> Place:
    def line_col(offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset) + 1
        return line, offset - (text.rfind("\n", 0, offset) + 1) + 1

    (line, column), (end_line, end_column) = line_col(start), line_col(end)
    return Place(start, end, line, column, end_line, end_column)


def occurrences(text: str, passage: str) -> list[Place]:
    """Every place where ``passage`` stands in ``text``, compared in normalised form."""
    needle = normalise(passage).text.strip()
    if not needle:
        return []
    hay = normalise(text)
    found = []
    for match in re.finditer(re.escape(needle), hay.text):
        start = hay.origin[match.start()]
        end = hay.origin[match.end() - 1] + 1
        found.append(place(text, start, end))
    return found


def closest(text: str, passage: str) -> tuple[Place, float] | None:
    """The stretch of the text most like ``passage`` (whole words, about as many as it has),
    and how alike they are (0 to 1); None for an empty text or passage."""
    needle = normalise(passage).text.strip()
    hay = normalise(text)
    starts = [m.start() for m in re.finditer(r"\S+", hay.text)]
    width = len(needle.split())
    if not needle or not starts:
        return None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle.casefold())
    best: tuple[float, int, int] | None = None
    for i, begin in enumerate(starts):
        for words in range(max(1, width - 2), width + 3):  # a word or two left out or added
            last = min(i + words, len(starts)) - 1
            end = starts[last] + len(hay.text[starts[last] :].split(" ", 1)[0])
            matcher.set_seq1(hay.text[begin:end].casefold())
            if best is not None and matcher.real_quick_ratio() <= best[0]:
                continue
            if best is not None and matcher.quick_ratio() <= best[0]:
                continue
            ratio = matcher.ratio()
            if best is None or ratio > best[0]:
                best = (ratio, begin, end)
    assert best is not None
    ratio, begin, end = best
    return place(text, hay.origin[begin], hay.origin[end - 1] + 1), ratio
