"""The lean adapter: WSGI in front of Flask, answering ``/sparql`` with the protocol core.

Flask's request and response machinery (a request context, URL routing, the hooks, werkzeug's
header lists) costs about as much CPU as Oxigraph spends evaluating a small query, and the
endpoint needs none of it: :class:`kg.web.endpoint.protocol.Endpoint` reads the request and writes
every header itself. So every request for ``/sparql`` is translated here into a
:class:`~kg.web.endpoint.protocol.ProtocolRequest`, answered by the core, and sent back as it came.
Only two kinds of request go on to Flask: any other path (pages, metadata, downloads), and a
browser that the core hands to the workbench page. Nothing is passed to Flask but the request
itself. :func:`request_from_environ` is shared with the Flask adapter, so both read alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping

from werkzeug.sansio.utils import get_host

from kg.web.endpoint import http
from kg.web.endpoint.protocol import PATH, Endpoint, ProtocolRequest

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class EnvironHeaders(Mapping[str, str]):
    """The request headers of a WSGI environ, by lower-case name, read only when asked for
    (the core reads four or five of them; copying them all cost more)."""

    def __init__(self, environ: dict) -> None:
        self._environ = environ

    @staticmethod
    def _key(name: str) -> str:
        key = name.upper().replace("-", "_")
        return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key

    def __getitem__(self, name: str) -> str:
        return self._environ[self._key(name)]

    def get(self, name: str, default=None):  # type: ignore[override]
        return self._environ.get(self._key(name), default)

    def __iter__(self) -> Iterator[str]:
        for key in self._environ:
            if key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield key.replace("_", "-").lower()

    def __len__(self) -> int:
        return sum(1 for _ in self)


def request_from_environ(environ: dict, max_body_bytes: int) -> ProtocolRequest:
    """A WSGI request as the core reads it. The body is read only for POST, and at most one
    byte past the limit (the core refuses more with 413, and never buffers it)."""
    headers = EnvironHeaders(environ)
    method = environ.get("REQUEST_METHOD", "GET").upper()
    length = None
    body = b""
    try:
        length = int(environ["CONTENT_LENGTH"]) if environ.get("CONTENT_LENGTH") else None
    except ValueError:
        length = None
    if method == "POST" and (length is None or length <= max_body_bytes):
        stream = environ.get("wsgi.input")
        if stream is not None and length is not None:
            body = stream.read(length)
        elif stream is not None and environ.get("wsgi.input_terminated"):  # chunked
            body = stream.read(max_body_bytes + 1)
    scheme = environ.get("wsgi.url_scheme", "http")
    server = (environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT"))
    try:
        host = get_host(scheme, environ.get("HTTP_HOST"), server)  # type: ignore[arg-type]
        root = environ.get("SCRIPT_NAME", "").encode("latin-1").decode().rstrip("/")
    except (UnicodeError, ValueError):
        host, root = "localhost", ""
    return ProtocolRequest(
        method=method,
        query_string=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        content_length=length,
        scheme=scheme,
        host=host,
        root_path=root,
        path=environ.get("PATH_INFO", PATH),
    )


class LeanEndpoint:
    """WSGI middleware: ``/sparql`` goes to the protocol core, everything else to ``next``."""

    def __init__(self, endpoint: Endpoint, next_app: WSGIApp) -> None:
        self.endpoint = endpoint
        self.next = next_app
        self.answered = 0  # requests answered here without Flask (for tests)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return self.next(environ, start_response)
        started = time.perf_counter()
        req = request_from_environ(environ, self.endpoint.settings.max_body_bytes)
        response = self.endpoint.handle(req)
        if response is None:  # a browser: Flask serves the workbench page
            return self.next(environ, start_response)
        start_response(response.status_line, response.headers)
        self.answered += 1
        http.log_access(
            req.method,
            PATH,
            response.status,
            response.rows,
            (time.perf_counter() - started) * 1000,
            response.query_hash,
            response.media_type,
        )
        return [response.body]
