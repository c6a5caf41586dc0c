"""HTTP plumbing of the endpoint, free of any web framework: CORS, ETags, gzip, the access log.

The protocol core (:mod:`kg.web.endpoint.protocol`) builds every header of its answers from these
constants and functions, so that both adapters (the lean WSGI one and Flask's) send the very
same bytes; the Flask pages use the same access log (:mod:`kg.web.endpoint.flask_adapter`).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import sys
import time
from functools import lru_cache

#: What browsers may do cross-origin: read, never with credentials (the data are public).
CORS_METHODS = "GET, HEAD, POST, OPTIONS"
CORS_DEFAULT_HEADERS = "Accept, Accept-Encoding, Content-Type, If-None-Match, Cache-Control"
CORS_MAX_AGE = "86400"
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Content-Encoding, Vary, KG-Truncated"),
)
#: Answers change only with a new build (a new ETag), so caches may keep them a while and then
#: revalidate cheaply with If-None-Match.
CACHE_CONTROL = "public, max-age=300"
VARY = "Accept, Accept-Encoding"
#: Smaller bodies are not worth the CPU of compressing.
GZIP_MIN_BYTES = 512

_HEADER_NAMES = re.compile(r"^[A-Za-z0-9\-, ]*$")
access_log = logging.getLogger("kg.access")


def preflight_headers(requested: str | None) -> list[tuple[str, str]]:
    """A CORS preflight's headers: echo the requested headers if they look like header names."""
    requested = requested or ""
    allowed = requested if requested and _HEADER_NAMES.match(requested) else CORS_DEFAULT_HEADERS
    return [
        ("Allow", CORS_METHODS),
        ("Access-Control-Allow-Methods", CORS_METHODS),
        ("Access-Control-Allow-Headers", allowed),
        ("Access-Control-Max-Age", CORS_MAX_AGE),
        *CORS_HEADERS,
    ]


def etag_for(version: str, *parts: str) -> str:
    """A strong ETag: the dataset version plus everything that selects the representation."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f'"{version[:16]}-{digest}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches ``etag`` (weak comparison, RFC 9110)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def gzipped(body: bytes) -> bytes | None:
    """``body`` gzipped when it is worth it, else None. ``mtime=0``: the same answer always
    compresses to the same bytes, as its ETag promises."""
    if len(body) < GZIP_MIN_BYTES:
        return None
    return gzip.compress(body, compresslevel=6, mtime=0)


@lru_cache(maxsize=1024)
def query_hash(text: str) -> str:
    """A short, stable fingerprint of a query for the log: the text itself may be private.
    Remembered per text (clients repeat their queries; a text's hash is cached by Python)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


_LINE = "%s %s %s rows=%s ms=%.1f query=%s type=%s"


class _SecondFormatter(logging.Formatter):
    """logging's own time stamp (``2026-12-06 04:44:20,132``), with the date and time written
    once per second rather than once per line: the access log writes a line per request."""

    _second: int | None = None
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        return self.default_msec_format % (self._text, record.msecs)


def log_access(
    method: str, path: str, status: object, rows: object, ms: float, query: object, kind: str
) -> None:
    """One access-log line: method, path, status, rows, milliseconds, query hash, media type.

    The record is made directly: ``Logger.info`` would first walk the stack for the caller's
    file and line, which the line never shows (a third of the line's cost, on every request)."""
    if access_log.isEnabledFor(logging.INFO):
        args = (method, path, status, rows, ms, query, kind)
        access_log.handle(
            access_log.makeRecord(access_log.name, logging.INFO, "", 0, _LINE, args, None)
        )


def open_access_log() -> None:
    """Send the access log to stderr, once per process."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_SecondFormatter("%(asctime)s access %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
