"""The source texts as pages: the verbatim text with every quoted passage highlighted and
linked to the statement (or question) whose ``oa:TextQuoteSelector`` points at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from kg.web.site.rendering import current_lang, href, iri_ref, select


def anchor(selector_iri: str) -> str:
    return "q-" + selector_iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Segment:
    text: str
    link: str | None = None
    anchor: str | None = None
    extra: list[str] = field(default_factory=list)


def source_text(source_iri: str) -> tuple[str, str] | None:
    """The file name and verbatim text of a source document, only from ``data/sources/``."""
    rows = select(f"SELECT ?file WHERE {{ {iri_ref(source_iri)} dk:sourceFile ?file }} LIMIT 1")
    if not rows:
        return None
    settings = current_app.config["KG_SETTINGS"]
    folder = (Path(settings.root) / "data" / "sources").resolve()
    path = (Path(settings.root) / rows[0]["file"].value).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return rows[0]["file"].value, path.read_text(encoding="utf-8")


def locate(text: str, exact: str, prefix: str = "", suffix: str = "") -> int:
    """Where a quote starts in its text: at its prefix and suffix when they match, else at the
    first occurrence of the quote itself; -1 when it is not there."""
    at = text.find(prefix + exact + suffix)
    return at + len(prefix) if at >= 0 else text.find(exact)


@dataclass
class Paragraph:
    """A quote in the paragraph(s) around it: the text before, the quote, the text after."""

    before: str
    quote: str
    after: str


def paragraph_around(source_iri: str, exact: str, prefix: str, suffix: str) -> Paragraph | None:
    """The paragraph a quote stands in, cut at the blank lines around it, so a reader sees what
    was said just before and after."""
    found = source_text(source_iri)
    if found is None:
        return None
    text = found[1]
    start = locate(text, exact, prefix, suffix)
    if start < 0:
        return None
    end = start + len(exact)
    opening = text.rfind("\n\n", 0, start)
    closing = text.find("\n\n", end)
    opening = 0 if opening < 0 else opening + 2
    closing = len(text) if closing < 0 else closing
    return Paragraph(text[opening:start], exact, text[end:closing])


def source_passages(source_iri: str) -> dict | None:
    """The verbatim text split into plain runs and quoted passages, each passage linked to the
    statement (or question) whose ``oa:TextQuoteSelector`` points at it."""
    found = source_text(source_iri)
    if found is None:
        return None
    file, text = found
    passages = []
    for row in select(
        f"""SELECT ?thing ?sel ?exact ?prefix ?suffix WHERE {{
          ?thing dk:quotedFrom {iri_ref(source_iri)} ; dk:textSelector ?sel .
          ?sel oa:exact ?exact .
          OPTIONAL {{ ?sel oa:prefix ?prefix }} OPTIONAL {{ ?sel oa:suffix ?suffix }}
        }}"""
    ):
        prefix = row["prefix"].value if "prefix" in row else ""
        suffix = row["suffix"].value if "suffix" in row else ""
        exact = row["exact"].value
        start = locate(text, exact, prefix, suffix)
        if start >= 0:
            passages.append((start, start + len(exact), row["thing"].value, row["sel"].value))
    passages.sort()
    segments: list[Segment] = []
    cursor = 0
    lang = current_lang()
    for start, end, thing_iri, sel in passages:
        link = href(thing_iri, lang)
        if start < cursor:  # overlapping passage: mark its start inside the previous one
            if segments:
                segments[-1].extra.append(anchor(sel))
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], link=link, anchor=anchor(sel)))
        cursor = end
    segments.append(Segment(text[cursor:]))
    return {"segments": segments, "count": len(passages), "file": file}
