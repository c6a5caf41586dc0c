"""Hyphenated compounds and their joined forms ("e-tjänst" → "etjänst").

Swedish writes many compounds both ways: "e-tjänst" and "etjänst", "IT-kommun" and
"itkommun". The search index's tokenizer splits at the hyphen, so a reader who leaves the
hyphen out would meet no word. The index therefore also holds each hyphenated word joined
(kg.pipeline.search_index), and the reader compares query words with the joined forms of a
thing's names too (kg.web.services.search_lookup). One definition serves both, so they agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Words joined by hyphens: ASCII hyphen-minus, Unicode hyphen, non-breaking hyphen.
HYPHENATED = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)+")
_HYPHEN = re.compile(r"[-\u2010\u2011]")


@lru_cache(maxsize=16384)
def joined_forms(text: str) -> tuple[str, ...]:
    """Each hyphenated word of ``text`` with its hyphens left out, in order, once each."""
    return tuple(dict.fromkeys(_HYPHEN.sub("", m.group(0)) for m in HYPHENATED.finditer(text)))
