"""Character trigrams of a word, shared by the index writer (``kg.pipeline.search_index``) and
its reader (``kg.web.services.search_lookup``), which must cut words the same way and may not import
each other's layer."""

from __future__ import annotations


def padded_grams(term: str) -> set[str]:
    """The character trigrams of `` term `` (padded with a space on each side, so that short
    words and word ends count: "lidingo" gives " li", "lid", …, "go ")."""
    padded = f" {term} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
