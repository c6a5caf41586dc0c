"""Content negotiation as a pure function, so every Accept header can be tested without HTTP.

RFC 9110 §12.5.1: each media range carries a quality (``q``, default 1); the most specific range
that matches an offered type decides that type's quality (``text/csv`` beats ``text/*`` beats
``*/*``); ``q=0`` means "not acceptable". Among offered types of equal quality the server's order
of preference wins, which is why ``offered`` is a sequence. A malformed range is ignored rather
than failing the request: a client with a sloppy header should still get an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()

    def specificity(self, offered: str) -> int | None:
        """How closely this range matches ``offered`` (higher is closer); None if it does not."""
        off_type, _, off_sub = offered.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != off_type:
            return None
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == off_sub else None


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header into media ranges; an absent or empty header accepts anything."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for item in header.split(","):
        parts = [p.strip() for p in item.split(";")]
        mime = parts[0].lower()
        if mime == "*":  # some clients (old Java) send a bare "*"
            mime = "*/*"
        kind, slash, sub = mime.partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        params = []
        for param in parts[1:]:
            name, eq, value = param.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if not eq:
                continue
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
                break  # parameters after q are accept-extensions, not media-type parameters
            params.append((name, value))
        if not 0.0 <= q <= 1.0:
            continue
        ranges.append(MediaRange(kind, sub, q, tuple(params)))
    return ranges


def quality(ranges: Sequence[MediaRange], offered: str) -> float:
    """The quality the client gives ``offered``: that of the most specific matching range."""
    best_specificity = -1
    best_q = 0.0
    for media_range in ranges:
        specificity = media_range.specificity(offered)
        if specificity is None:
            continue
        # A range with parameters (other than charset) is more specific than one without.
        bonus = 1 if any(name != "charset" for name, _ in media_range.params) else 0
        score = specificity * 2 + bonus
        if score > best_specificity or (score == best_specificity and media_range.q > best_q):
            best_specificity, best_q = score, media_range.q
    return best_q


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or None when none is acceptable.

    Ties are broken by the order of ``offered`` (the server's preference).
    """
    ranges = parse_accept(accept)
    best: str | None = None
    best_q = 0.0
    for mime in offered:
        q = quality(ranges, mime)
        if q > best_q:
            best, best_q = mime, q
    return best


def accepts_encoding(header: str | None, coding: str) -> bool:
    """Whether an Accept-Encoding header allows ``coding`` (e.g. ``gzip``); RFC 9110 §12.5.3."""
    if not header:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for item in header.split(","):
        name, _, rest = item.strip().partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in rest.split(";"):
            key, eq, value = param.strip().partition("=")
            if eq and key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if name == coding or (coding == "gzip" and name == "x-gzip"):
            explicit = q
        elif name == "*":
            wildcard = q
    if explicit is not None:
        return explicit > 0
    return wildcard is not None and wildcard > 0
