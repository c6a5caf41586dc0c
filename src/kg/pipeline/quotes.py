"""Check every quote against its source text, so no statement can drift from what was printed.

A Web Annotation ``oa:TextQuoteSelector`` locates a quote by its exact text plus the text just
before and after it. We require that this combination occurs exactly once in the source file and
that the statement's ``dk:quote`` is the same string as the selector's ``oa:exact``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef

from kg.namespaces import DK, OA


@dataclass(frozen=True)
class QuoteProblem:
    node: str
    message: str

    def __str__(self) -> str:
        return f"<{self.node}>: {self.message}"


def source_texts(graph: Graph, root: Path) -> dict[URIRef, str]:
    """Map each source document to its text, read from ``dk:sourceFile`` under the root."""
    texts: dict[URIRef, str] = {}
    for document, path in graph.subject_objects(DK.sourceFile):
        file = (root / str(path)).resolve()
        if file.is_relative_to(root.resolve()) and file.is_file():
            texts[document] = file.read_text(encoding="utf-8")
    return texts


def check_quotes(graph: Graph, root: Path) -> list[QuoteProblem]:
    texts = source_texts(graph, root)
    problems: list[QuoteProblem] = []
    for owner, selector in graph.subject_objects(DK.textSelector):
        problems.extend(_check_one(graph, texts, owner, selector))
    for selector in graph.subjects(RDF.type, OA.TextQuoteSelector):
        if (None, DK.textSelector, selector) not in graph:
            problems.append(QuoteProblem(str(selector), "selector is not used by any statement"))
    return problems


def _check_one(graph: Graph, texts: dict[URIRef, str], owner: object, selector: object):
    exact = graph.value(selector, OA.exact)
    prefix = str(graph.value(selector, OA.prefix) or "")
    suffix = str(graph.value(selector, OA.suffix) or "")
    document = graph.value(owner, DK.quotedFrom)
    if exact is None:
        yield QuoteProblem(str(owner), "its selector has no oa:exact text")
        return
    quote = graph.value(owner, DK.quote)
    if quote is not None and str(quote) != str(exact):
        yield QuoteProblem(str(owner), "dk:quote differs from its selector's oa:exact")
    if isinstance(quote, Literal) and quote.language != "sv":
        yield QuoteProblem(str(owner), "dk:quote must be tagged @sv")
    if document not in texts:
        yield QuoteProblem(
            str(owner), "dk:quotedFrom does not name a source with a readable dk:sourceFile"
        )
        return
    text = texts[document]
    needle = prefix + str(exact) + suffix
    count = text.count(needle)
    if count != 1:
        where = "does not occur" if count == 0 else f"occurs {count} times"
        yield QuoteProblem(
            str(owner), f"prefix + exact + suffix {where} in {graph.value(document, DK.sourceFile)}"
        )
