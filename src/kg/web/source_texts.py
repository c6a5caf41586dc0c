"""The source texts as pages: the verbatim text with every quoted passage highlighted and
linked to the statement (or question) whose ``oa:TextQuoteSelector`` points at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from kg.web.rendering import current_lang, href, iri_ref, select


def anchor(selector_iri: str) -> str:
    return "q-" + selector_iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Segment:
    text: str
    link: str | None = None
    anchor: str | None = None
    extra: list[str] = field(default_factory=list)


def source_passages(source_iri: str) -> dict | None:
    """The verbatim text split into plain runs and quoted passages, each passage linked to the
    statement (or question) whose ``oa:TextQuoteSelector`` points at it."""
    rows = select(f"SELECT ?file WHERE {{ {iri_ref(source_iri)} dk:sourceFile ?file }} LIMIT 1")
    if not rows:
        return None
    settings = current_app.config["KG_SETTINGS"]
    folder = (Path(settings.root) / "data" / "sources").resolve()
    path = (Path(settings.root) / rows[0]["file"].value).resolve()
    if path.parent != folder or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
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
        at = text.find(prefix + exact + suffix)
        start = at + len(prefix) if at >= 0 else text.find(exact)
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
    return {"segments": segments, "count": len(passages), "file": rows[0]["file"].value}
