"""``kg quote``: a ready ``dk:Statement`` and ``oa:TextQuoteSelector`` for one passage.

The hard part of quoting by hand is ``oa:exact``: it must be the text's own characters (its
no-break spaces, typographic quotes and dashes) and, with ``oa:prefix`` and ``oa:suffix``,
occur exactly once. :func:`quote` finds the passage however it was typed (``kg.editing.find``),
takes the characters from the text, and leaves what only the editor can know (labels,
speaker, translation, subject) as holes that stop every build until filled
(``kg.pipeline.holes``).

The position is printed as a comment, not modelled: the data model locates a quote by its
selector alone (one ``oa:TextQuoteSelector`` per statement, checked by ``kg build``), the
texts never change (their names carry their hash), and no existing statement records a
position, so an ``oa:TextPositionSelector`` on new statements only would be a second,
unchecked way of saying the same thing. The comment gives line and column for the editor and
the character offsets an ``oa:TextPositionSelector`` would hold, should one be wanted later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.editing import RefusedError
from kg.editing.find import Place, closest, occurrences
from kg.editing.sources import SOURCES, TURTLE
from kg.editing.turtle import slug, turtle_string

#: Prefix and suffix: whole words, at least this many characters where the text allows, at
#: most MAX_CONTEXT (docs/modelling.md: up to 32 characters each).
MIN_CONTEXT = 12
MAX_CONTEXT = 32
#: How much of the text around a place a refusal shows.
SHOWN = 30


@dataclass(frozen=True)
class Quote:
    number: str
    name: str  # the slug shared by the statement and its selector
    exact: str
    prefix: str
    suffix: str
    place: Place
    text_file: str
    skeleton: str


def source_text(root: Path, number: str) -> tuple[str, str]:
    """The registered text ``NNN`` and its path relative to the root."""
    if not re.fullmatch(r"\d{3}", number):
        raise RefusedError(f"{number!r}: give the three-digit number of a source text, e.g. 004")
    found = sorted((root / SOURCES).glob(f"{number}_*.txt"))
    if not found:
        known = ", ".join(p.name[:3] for p in sorted((root / SOURCES).glob("[0-9]*_*.txt")))
        raise RefusedError(f"no source text {number} in {SOURCES} (there are: {known})")
    return found[0].read_text(encoding="utf-8"), (SOURCES / found[0].name).as_posix()


def quote(root: Path, number: str, passage: str, name: str | None = None) -> Quote:
    """Find ``passage`` in text ``number`` and write the statement skeleton for it; refuse a
    passage that is not in the text (offering the closest one) or that stands there twice."""
    text, text_file = source_text(root, number)
    if not passage.strip():
        raise RefusedError("the passage is empty")
    places = occurrences(text, passage)
    if not places:
        raise RefusedError(_not_found(text, text_file, passage))
    if len(places) > 1:
        where = "\n".join(f"  {p}: {context(text, p)}" for p in places)
        raise RefusedError(
            f"the passage stands {len(places)} times in {text_file}; quote a longer passage, "
            f"so that it is found once:\n{where}"
        )
    here = places[0]
    exact = text[here.start : here.end]
    prefix, suffix = contexts(text, here.start, here.end)
    name = name or _free_name(root, number, exact)
    return Quote(
        number,
        name,
        exact,
        prefix,
        suffix,
        here,
        text_file,
        skeleton(number, name, exact, prefix, suffix, here, text_file),
    )


def _not_found(text: str, text_file: str, passage: str) -> str:
    message = f"the passage is not in {text_file}"
    near = closest(text, passage)
    if near is None:
        return message
    found, ratio = near
    return (
        f"{message} (even allowing for spaces, quote marks and dashes); the closest passage "
        f"({ratio:.0%} alike) is at {found}:\n  {text[found.start : found.end]!r}"
    )


def context(text: str, here: Place) -> str:
    """The place with some text either side, on one line, the passage in [brackets]."""
    before = text[max(0, here.start - SHOWN) : here.start]
    after = text[here.end : here.end + SHOWN]
    shown = f"…{before}[{text[here.start : here.end]}]{after}…"
    return shown.replace("\n", "⏎")


def contexts(text: str, start: int, end: int) -> tuple[str, str]:
    """Prefix and suffix: whole words next to the passage, at least MIN_CONTEXT characters (or
    up to the text's edge), grown until prefix + exact + suffix occurs once, and at most
    MAX_CONTEXT characters (a word longer than that is cut)."""
    exact = text[start:end]
    size = MIN_CONTEXT
    while True:
        begin = _word_start(text, max(0, start - size), floor=max(0, start - MAX_CONTEXT))
        stop = _word_end(
            text, min(len(text), end + size), ceiling=min(len(text), end + MAX_CONTEXT)
        )
        prefix, suffix = text[begin:start], text[end:stop]
        if text.count(prefix + exact + suffix) == 1 or size >= MAX_CONTEXT:
            return prefix, suffix
        size += 4


def _word_start(text: str, at: int, floor: int) -> int:
    """Back from ``at`` to the start of its word, but not before ``floor`` (then forward to
    the next word instead)."""
    begin = at
    while begin > floor and not text[begin - 1].isspace():
        begin -= 1
    if begin > 0 and not text[begin - 1].isspace():  # hit the floor inside a word
        while begin < at and not text[begin].isspace():
            begin += 1
    while begin < at and text[begin] in " \t":
        begin += 1
    return begin


def _word_end(text: str, at: int, ceiling: int) -> int:
    """Forward from ``at`` to the end of its word, but not past ``ceiling`` (then back)."""
    stop = at
    while stop < ceiling and not text[stop].isspace():
        stop += 1
    if stop < len(text) and not text[stop].isspace():  # hit the ceiling inside a word
        while stop > at and not text[stop - 1].isspace():
            stop -= 1
    while stop > at and text[stop - 1] in " \t":
        stop -= 1
    return stop


def _free_name(root: Path, number: str, exact: str) -> str:
    """``NNN-first-four-words``, with ``-2``, ``-3`` … when the source file already uses it."""
    base = f"{number}-{slug(exact, 4) or 'quote'}"
    turtle = root / TURTLE / f"source-{number}.ttl"
    used = turtle.read_text(encoding="utf-8") if turtle.is_file() else ""
    name, counter = base, 1
    while re.search(rf"statement:{re.escape(name)}\b(?!-)", used):
        counter += 1
        name = f"{base}-{counter}"
    return name


def skeleton(
    number: str, name: str, exact: str, prefix: str, suffix: str, here: Place, text_file: str
) -> str:
    literal = turtle_string(exact)
    return "\n".join(
        [
            f"# kg quote {number}: {text_file}, line {here.line} column {here.column} to line "
            f"{here.end_line} column {here.end_column} (characters {here.start}–{here.end}, "
            "as oa:TextPositionSelector oa:start/oa:end count them).",
            "# Fill in every ?FILL_IN_…; kg validate, kg build and kg lint refuse the file until"
            " then. Drop dk:about if the quote is about nothing in particular.",
            f"statement:{name} a dk:Statement ;",
            "    rdfs:label ?FILL_IN_LABEL_SV , ?FILL_IN_LABEL_EN ;",
            f"    dk:quote {literal}@sv ;",
            "    dk:translation ?FILL_IN_TRANSLATION ;",
            "    dk:speaker ?FILL_IN_SPEAKER ;",
            f"    dk:quotedFrom source:{number} ;",
            "    dk:about ?FILL_IN_SUBJECT ;",
            f"    dk:textSelector selector:{name} ;",
            f"    prov:wasDerivedFrom source:{number} .",
            "",
            f"selector:{name} a oa:TextQuoteSelector ;",
            f"    oa:exact {literal} ;",
            f"    oa:prefix {turtle_string(prefix)} ;",
            f"    oa:suffix {turtle_string(suffix)} ;",
            f"    prov:wasDerivedFrom source:{number} .",
            "",
        ]
    )


def append(root: Path, found: Quote) -> Path:
    """Add the skeleton at the end of ``data/ttl/sources/source-NNN.ttl``."""
    target = root / TURTLE / f"source-{found.number}.ttl"
    if not target.is_file():
        raise RefusedError(
            f"{TURTLE / target.name} does not exist; register the text first with "
            "`kg source add`, or write the skeleton yourself"
        )
    current = target.read_text(encoding="utf-8")
    separator = "" if current.endswith("\n\n") else ("\n" if current.endswith("\n") else "\n\n")
    with target.open("a", encoding="utf-8") as out:
        out.write(separator + found.skeleton)
    return target
