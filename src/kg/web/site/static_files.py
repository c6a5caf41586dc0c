"""Compression and caching of every text answer (issue #24, item 6), with maintained parts.

- flask-compress answers in brotli or gzip, as the client asks, for every text type (HTML,
  CSS, JS, SVG, JSON, XML, plain text), static files included (they are streamed, so they are
  compressed chunk by chunk). A response that already has a Content-Encoding is left alone:
  ``/sparql``'s core gzips its own answers (and, in the server, answers them before Flask).
- Static files are fingerprinted: templates link ``static_url("site.css")``, which appends
  ``?v=`` and the first 12 hex digits of the file's SHA-256. A request that names the current
  fingerprint is cached for a year as immutable; any other (an old link, no ``v``) revalidates
  (``no-cache`` with the ETag Flask gives static files), so a new release is seen at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, request
from flask_compress import Compress

from kg.web.endpoint.protocol import PATH as ENDPOINT_PATH

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
#: compressed when the client accepts it; brotli first (smaller), gzip for everyone else
TEXT_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/turtle",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/xml",
    "application/rdf+xml",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/opensearchdescription+xml",
    "image/svg+xml",
]


@cache
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def fingerprint(name: str) -> str | None:
    """The current fingerprint of ``static/<name>``; None when there is no such file."""
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
        return None
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def static_url(name: str) -> str:
    """The address of a static file that may be cached for ever: it changes with the file."""
    version = fingerprint(name)
    return f"/static/{name}" + (f"?v={version}" if version else "")


def _cache_static(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code != 200:
        return response
    name = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == fingerprint(name):
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


def install(app: Flask) -> None:
    """Register compression and static caching on the app and ``static_url`` for templates."""
    app.config.update(
        COMPRESS_MIMETYPES=TEXT_TYPES,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "gzip"],
        COMPRESS_MIN_SIZE=500,
    )
    app.jinja_env.globals["static_url"] = static_url
    app.after_request(_cache_static)  # registered first, so it runs after compression
    app.config["COMPRESS_REGISTER"] = False
    compress = Compress(app)

    def compress_unless_the_endpoint(response: Response) -> Response:
        """The SPARQL protocol core negotiates its own coding and ``Vary``; an answer it gave
        through Flask's view must read exactly as through the lean adapter (flask-compress
        would add ``Vary: Accept-Encoding`` to every answer, a preflight's too). The core never
        answers in HTML: the workbench page at the same path is the site's, and compressed."""
        if request.path == ENDPOINT_PATH and response.mimetype != "text/html":
            return response
        return compress.after_request(response)

    app.after_request(compress_unless_the_endpoint)
