"""A response cache in front of the web application, for repeated GET queries.

Between two builds the data cannot change, so the same request always gets the same answer:
the bytes a client received for ``GET /sparql?query=…`` can be sent again to the next client
that sends the very same request, without decoding the URL, checking the query, choosing a
format or entering Flask at all. That is what a reverse proxy in front of a SPARQL endpoint
(Varnish in front of Virtuoso, nginx in front of Fuseki) would do; here it lives in the
process, so that ``make serve`` alone is fast, and a proxy in front can still add its own.

The key is everything the answer depends on: the dataset version, the path and raw query
string, the headers named in ``Vary`` (``Accept``, ``Accept-Encoding``), and the host and
scheme (relative IRIs in a query resolve against the endpoint's URL). Only complete ``200``
answers that carry an ``ETag`` are kept (the application sets one exactly on the GET answers
that depend on nothing else), whose ``Vary`` names no header outside the key (a page that
varies by ``Accept-Language`` is never kept), and only up to ``max_body_bytes``. Conditional
requests (``If-None-Match``) go through to the application, which answers them with a 304.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kg.store.cache import ResultCache
from kg.web.http import QUERY_HASH_KEY, ROWS_KEY, log_access

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
#: The request headers that are part of the key; an answer that varies by others is not kept.
KEYED_HEADERS = frozenset({"accept", "accept-encoding", "host"})


@dataclass(frozen=True)
class _Stored:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    rows: str
    query_hash: str
    mimetype: str


class FrontCache:
    """WSGI middleware: answer a repeated ``GET`` on ``paths`` from memory."""

    def __init__(
        self,
        app: WSGIApp,
        version: Callable[[], str],
        *,
        entries: int,
        max_body_bytes: int,
        paths: Iterable[str] = ("/sparql",),
    ) -> None:
        self.app = app
        self._version = version
        self._cache = ResultCache(entries)
        self._max_body_bytes = max_body_bytes
        self._paths = frozenset(paths)

    @property
    def hits(self) -> int:
        return self._cache.hits

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") not in self._paths
            or "HTTP_IF_NONE_MATCH" in environ
        ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        key = (
            self._version(),
            environ.get("SCRIPT_NAME", ""),
            environ["PATH_INFO"],
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", ""),
        )
        stored = self._cache.get(key)
        if isinstance(stored, _Stored):
            start_response(stored.status, list(stored.headers))
            log_access(
                "GET",
                environ["PATH_INFO"],
                stored.status.split(" ", 1)[0],
                stored.rows,
                (time.perf_counter() - started) * 1000,
                stored.query_hash,
                stored.mimetype,
            )
            return [stored.body]
        return self._fill(key, environ, start_response)

    def _fill(self, key: tuple, environ: dict, start_response: Callable) -> Iterable[bytes]:
        captured: list = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = captured
        names = {name.lower(): value for name, value in headers}
        vary = {field.strip().lower() for field in names.get("vary", "").split(",")} - {""}
        if (
            status.startswith("200 ")
            and "etag" in names
            and vary <= KEYED_HEADERS
            and "set-cookie" not in names
            and len(body) <= self._max_body_bytes
        ):
            mimetype = names.get("content-type", "-").split(";", 1)[0]
            self._cache.put(
                key,
                _Stored(
                    status,
                    list(headers),
                    body,
                    str(environ.get(ROWS_KEY, "-")),
                    str(environ.get(QUERY_HASH_KEY, "-")),
                    mimetype,
                ),
            )
        return [body]
