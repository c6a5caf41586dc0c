"""A lean path for the commonest request: ``GET /sparql?query=…`` from a program.

Flask's request and response machinery (a request context, URL routing, the hooks, werkzeug's
header lists) costs about as much CPU as Oxigraph spends evaluating a small query. For the one
request shape that programs send most (a GET with only a ``query`` parameter and an ``Accept``
header), this WSGI middleware does the same work with the protocol's own functions and answers
with the same headers. Everything else, and every request it is unsure of, goes to Flask:
a refusal, a browser that wants the workbench, a dataset or format parameter, a conditional
request. A query that fails is answered by Flask too, from the failure met here (the query is
not run twice). ``tests/test_fast_get.py`` checks that both paths answer alike.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.sansio.utils import get_host

from kg.web import http
from kg.web.execution import pool_for
from kg.web.limits import QueryRejected, check_text
from kg.web.negotiate import accepts_encoding
from kg.web.protocol import (
    FAILED_KEY,
    GRAPH_FORMATS,
    MAX_CACHED_BODY_BYTES,
    ProtocolError,
    QueryRequest,
    answer_key,
    body_cache,
    choose_format,
    content_type,
    current_url,
    wants_workbench,
)
from kg.web.querystring import parse_qsl
from kg.web.results import formats_for
from kg.web.security import SECURITY_HEADERS

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
KINDS = {"ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
EVERY_FORMAT = formats_for("select") + formats_for("ask") + GRAPH_FORMATS
NO_DATASET = QueryRequest(None)


class FastGet:
    """WSGI middleware in front of Flask for ``GET /sparql`` with a lone ``query``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.flask = app
        self.next = wsgi_app
        self.answered = 0  # requests this path answered itself (for tests)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        text = self._lone_query(environ)
        if text is None:
            return self.next(environ, start_response)
        app = self.flask
        settings = app.config["KG_SETTINGS"]
        accept = environ.get("HTTP_ACCEPT")
        try:
            found = check_text(text, settings, via_url=True)
            if found.operation == "update" or wants_workbench(app, EVERY_FORMAT, accept):
                return self.next(environ, start_response)
            fmt = choose_format(formats_for(KINDS.get(found.form or "", "select")), (), accept)
        except (QueryRejected, ProtocolError):
            return self.next(environ, start_response)  # Flask says why
        endpoint = self._endpoint(environ, settings.public_url)
        if endpoint is None:
            return self.next(environ, start_response)
        version = app.extensions["kg_engine"].version
        compress = accepts_encoding(environ.get("HTTP_ACCEPT_ENCODING"), "gzip")
        bodies = body_cache(app)
        key = answer_key(version, text, NO_DATASET, fmt.media_type, endpoint)
        cached = bodies.get(key)
        if cached is not None:
            body, rows, truncated = cached  # type: ignore[misc]
        else:
            try:
                answer = pool_for(app).query(
                    text,
                    via_url=True,
                    max_rows=settings.max_rows,
                    base_iri=endpoint,
                    media_type=fmt.media_type,
                    shape=found,
                )
            except Exception as err:  # answered by Flask, like any failure
                environ[FAILED_KEY] = err
                return self.next(environ, start_response)
            if answer.body is None:  # the lexer guessed the form wrong: Flask re-chooses
                return self.next(environ, start_response)
            body, rows, truncated = answer.body, answer.rows, answer.truncated
            if len(body) <= MAX_CACHED_BODY_BYTES:
                bodies.put(key, (body, rows, truncated))
        etag = http.etag_for(
            version, text, "", "", fmt.media_type, "gzip" if compress else "identity"
        )
        headers = [("Content-Type", content_type(fmt)), ("Vary", http.VARY), *http.CORS_HEADERS]
        headers += [("ETag", etag), ("Cache-Control", http.CACHE_CONTROL)]
        if truncated:
            headers.append(("KG-Truncated", str(settings.max_rows)))
        if compress and len(body) >= http.GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        headers += list(SECURITY_HEADERS.items())
        start_response("200 OK", headers)
        self.answered += 1
        fingerprint = http.query_hash(text)
        environ[http.ROWS_KEY], environ[http.QUERY_HASH_KEY] = rows, fingerprint  # front cache
        ms = (time.perf_counter() - started) * 1000
        http.log_access("GET", "/sparql", 200, rows, ms, fingerprint, fmt.media_type)
        return [body]

    @staticmethod
    def _lone_query(environ: dict) -> str | None:
        """The query text of a ``GET /sparql`` whose only parameter is ``query``, else None."""
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") != "/sparql"
            or "HTTP_IF_NONE_MATCH" in environ
            or not environ.get("HTTP_ACCEPT")
        ):
            return None
        try:  # PEP 3333 hands the query string over as latin-1; werkzeug reads it as UTF-8
            pairs = parse_qsl(environ.get("QUERY_STRING", "").encode("latin-1").decode())
        except UnicodeError:
            return None
        if len(pairs) != 1 or pairs[0][0] != "query" or not pairs[0][1].strip():
            return None
        return pairs[0][1]

    @staticmethod
    def _endpoint(environ: dict, public_url: str) -> str | None:
        """The endpoint's URL exactly as ``protocol.endpoint_url`` gives it (werkzeug's rules
        for the host and the mount point); None when the request has no usable host."""
        if public_url:
            return public_url.rstrip("/") + "/sparql"
        scheme = environ.get("wsgi.url_scheme", "http")
        server = (environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT"))
        try:
            host = get_host(scheme, environ.get("HTTP_HOST"), server)  # type: ignore[arg-type]
            root = environ.get("SCRIPT_NAME", "").encode("latin-1").decode().rstrip("/")
        except (UnicodeError, ValueError):
            return None
        return current_url(scheme, host, root, "/sparql")
