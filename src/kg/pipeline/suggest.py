"""Name the fix an editor most likely means: the nearest declared term, the nearest IRI.

A misspelt name (``dk:forEditon``, ``person:sara-penj``) is usually one or two keystrokes from
the one intended, so the nearest candidate by similarity of spelling (difflib's ratio, the
same measure Python uses for "did you mean" on attribute names) is offered when it is close.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Below this similarity a suggestion is more likely noise than help.
CUTOFF = 0.6


def closest_names(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Up to ``n`` candidates most like ``word``, best first; case is ignored in the
    comparison (``dk:forediton`` still finds ``dk:forEdition``)."""
    by_fold: dict[str, str] = {}
    for candidate in sorted(set(candidates)):
        by_fold.setdefault(candidate.casefold(), candidate)
    found = difflib.get_close_matches(word.casefold(), list(by_fold), n=n, cutoff=CUTOFF)
    return [by_fold[f] for f in found]


def split_iri(iri: str) -> tuple[str, str]:
    """Namespace and local name: after the last ``#`` or ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    return iri[:cut], iri[cut:]


def closest_iri(iri: str, candidates: Iterable[str]) -> str | None:
    """The candidate in the same namespace whose local name is nearest; else the one, in any
    namespace, whose local name is nearest (``person:sundsvall`` for ``mun:sundsvall``).
    Whole IRIs are never compared: their shared base would make any two look alike."""
    pool = sorted(set(candidates) - {iri})
    namespace, local = split_iri(iri)
    same = {split_iri(c)[1]: c for c in pool if split_iri(c)[0] == namespace}
    near = closest_names(local, same)
    if near:
        return same[near[0]]
    anywhere: dict[str, str] = {}
    for candidate in pool:
        anywhere.setdefault(split_iri(candidate)[1], candidate)
    near = closest_names(local, anywhere)
    return anywhere[near[0]] if near else None
