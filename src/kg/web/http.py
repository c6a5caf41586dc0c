"""HTTP plumbing the endpoint shares: CORS, ETags and 304s, gzip, Vary, and the access log.

Kept apart from ``protocol.py`` so that the protocol reads as the SPARQL 1.1 Protocol and
nothing else, and so that other blueprints (metadata documents) can reuse the same caching.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import sys
import time

from flask import Flask, Response, g, request

from kg.web.negotiate import accepts_encoding

#: What browsers may do cross-origin: read, never with credentials (the data are public).
CORS_METHODS = "GET, HEAD, POST, OPTIONS"
CORS_DEFAULT_HEADERS = "Accept, Accept-Encoding, Content-Type, If-None-Match, Cache-Control"
CORS_MAX_AGE = "86400"
#: Answers change only with a new build (a new ETag), so caches may keep them a while and then
#: revalidate cheaply with If-None-Match.
CACHE_CONTROL = "public, max-age=300"
VARY = "Accept, Accept-Encoding"
#: Smaller bodies are not worth the CPU of compressing.
GZIP_MIN_BYTES = 512

_HEADER_NAMES = re.compile(r"^[A-Za-z0-9\-, ]*$")
access_log = logging.getLogger("kg.access")


CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Content-Encoding, Vary, KG-Truncated"),
)


def replace_headers(response: Response, pairs: list[tuple[str, str]] | tuple) -> Response:
    """Set several headers at once, replacing any of the same names: one pass over the
    headers instead of one per name, as werkzeug's item assignment does."""
    headers = response.headers
    names = {name.lower() for name, _ in pairs}
    if any(name.lower() in names for name in headers.keys()):  # noqa: SIM118 - a list
        for name, _ in pairs:
            headers.pop(name, None)
    headers.extend(pairs)
    return response


def add_cors(response: Response) -> Response:
    """Open for reading from any origin, without credentials (so ``*`` is allowed)."""
    return replace_headers(response, CORS_HEADERS)


def preflight() -> Response:
    """Answer a CORS preflight: echo the requested headers if they look like header names."""
    requested = request.headers.get("Access-Control-Request-Headers", "")
    allowed = requested if requested and _HEADER_NAMES.match(requested) else CORS_DEFAULT_HEADERS
    response = Response(status=204)
    response.headers["Allow"] = CORS_METHODS
    response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
    response.headers["Access-Control-Allow-Headers"] = allowed
    response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return add_cors(response)


def etag_for(version: str, *parts: str) -> str:
    """A strong ETag: the dataset version plus everything that selects the representation."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f'"{version[:16]}-{digest}"'


def if_none_match(etag: str) -> bool:
    """Whether the request's If-None-Match matches ``etag`` (weak comparison, RFC 9110)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def wants_gzip() -> bool:
    return accepts_encoding(request.headers.get("Accept-Encoding"), "gzip")


def not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = VARY
    return add_cors(response)


def finish(response: Response, etag: str | None, *, compress: bool) -> Response:
    """Add caching, Vary and CORS headers, and gzip the body when worth it and allowed."""
    pairs = [("Vary", VARY), *CORS_HEADERS]
    if etag:
        pairs += [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
    else:
        pairs.append(("Cache-Control", "no-store"))
    if compress and response.status_code == 200:
        body = response.get_data()
        if len(body) >= GZIP_MIN_BYTES:
            # mtime=0: the same answer compresses to the same bytes, as the ETag promises.
            response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
            pairs.append(("Content-Encoding", "gzip"))
    return replace_headers(response, pairs)


def query_hash(text: str) -> str:
    """A short, stable fingerprint of a query for the log: the text itself may be private."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _start() -> None:
    g.kg_started = time.perf_counter()


#: ``environ`` keys where a view leaves what the access log reports (the WSGI environ, not
#: Flask's ``g``, so that the front cache in front of Flask can log its hits the same way).
ROWS_KEY = "kg.rows"
QUERY_HASH_KEY = "kg.query_hash"


def note_query(*, fingerprint: str | None = None, rows: int | None = None) -> None:
    """Record the query's fingerprint (:func:`query_hash`) and row count for the access log."""
    if fingerprint is not None:
        request.environ[QUERY_HASH_KEY] = fingerprint
    if rows is not None:
        request.environ[ROWS_KEY] = rows


def log_access(
    method: str, path: str, status: object, rows: object, ms: float, query: object, kind: str
) -> None:
    access_log.info(
        "%s %s %s rows=%s ms=%.1f query=%s type=%s", method, path, status, rows, ms, query, kind
    )


def _log(response: Response) -> Response:
    started = g.pop("kg_started", None)
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    environ = request.environ
    log_access(
        request.method,
        request.path,
        response.status_code,
        environ.get(ROWS_KEY, "-"),
        elapsed,
        environ.get(QUERY_HASH_KEY, "-"),
        response.mimetype or "-",
    )
    return response


def install(app: Flask) -> None:
    """One access-log line per request (method, path, status, rows, ms, query hash, type)."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    app.before_request(_start)
    app.after_request(_log)
