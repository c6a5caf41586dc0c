"""The endpoint's HTTP conventions for Flask views that serve RDF documents (graphs, the Graph
Store, reconciliation): CORS, ETag and 304, gzip, Vary.

:mod:`kg.web.endpoint.http` holds the rules, free of any framework, for the protocol core; this
module applies the same rules to a Flask ``Response``, so a graph fetched from ``/store`` carries
the same headers as the same graph fetched with a SPARQL query.
"""

from __future__ import annotations

from flask import Response, request

from kg.web.endpoint import http
from kg.web.endpoint.negotiate import accepts_encoding


def replace_headers(response: Response, pairs: list[tuple[str, str]] | tuple) -> Response:
    """Set several headers at once, replacing any of the same names."""
    headers = response.headers
    for name, _ in pairs:
        headers.pop(name, None)
    headers.extend(pairs)
    return response


def add_cors(response: Response) -> Response:
    """Open for reading from any origin, without credentials (so ``*`` is allowed)."""
    return replace_headers(response, http.CORS_HEADERS)


def preflight() -> Response:
    """Answer a CORS preflight for a read-only resource."""
    response = Response(status=204)
    response.headers.extend(
        http.preflight_headers(request.headers.get("Access-Control-Request-Headers"))
    )
    return response


def if_none_match(etag: str) -> bool:
    """Whether the request's If-None-Match matches ``etag`` (weak comparison, RFC 9110)."""
    return http.etag_matches(request.headers.get("If-None-Match"), etag)


def wants_gzip() -> bool:
    return accepts_encoding(request.headers.get("Accept-Encoding"), "gzip")


def not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.headers.extend(
        [("ETag", etag), ("Cache-Control", http.CACHE_CONTROL), ("Vary", http.VARY)]
    )
    return add_cors(response)


def finish(response: Response, etag: str | None, *, compress: bool) -> Response:
    """Add caching, Vary and CORS headers, and gzip the body when worth it and allowed."""
    pairs = [("Vary", http.VARY), *http.CORS_HEADERS]
    if etag:
        pairs += [("ETag", etag), ("Cache-Control", http.CACHE_CONTROL)]
    else:
        pairs.append(("Cache-Control", "no-store"))
    if compress and response.status_code == 200:
        packed = http.gzipped(response.get_data())
        if packed is not None:
            response.set_data(packed)
            pairs.append(("Content-Encoding", "gzip"))
    return replace_headers(response, pairs)
