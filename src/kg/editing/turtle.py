"""Writing Turtle by hand, as the project's data files are written: strings, slugs, prefixes."""

from __future__ import annotations

import re
import unicodedata

from kg.namespaces import PREFIXES

#: Characters written as escapes in a Turtle string. The no-break space is written ``\u00A0``
#: as in the existing data, so that it is visible in the file; so is every other character
#: that looks like a space or nothing (narrow no-break space, soft hyphen, zero-width ones).
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def turtle_string(text: str) -> str:
    """``text`` as a double-quoted Turtle string that reads back as exactly ``text``."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif unicodedata.category(char) in ("Zs", "Cf", "Cc", "Zl", "Zp") and char != " ":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def slug(text: str, words: int | None = None) -> str:
    """Lower-case ASCII: å, ä → a; ö → o; é → e; any other run of characters → ``-``."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    parts = [p for p in re.split(r"[^a-z0-9]+", ascii_only) if p]
    return "-".join(parts[:words] if words else parts)


def prefix_block() -> str:
    """The ``@prefix`` lines every data file starts with (docs/modelling.md), aligned."""
    names = [p for p in PREFIXES if p not in ("owl", "graph")]
    width = max(len(n) for n in names) + 2
    return "".join(f"@prefix {(n + ':').ljust(width)}<{PREFIXES[n]}> .\n" for n in names)
