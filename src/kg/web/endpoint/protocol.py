"""The SPARQL 1.1 Protocol at ``/sparql``, as one framework-free core: a request in, a response out.

Every query the server answers passes through :meth:`Endpoint.handle`, whichever adapter
received it (:mod:`kg.web.endpoint.wsgi_adapter` in front of Flask, or the Flask view of
:mod:`kg.web.endpoint.flask_adapter`). In order, it

1. reads the request (GET, POST form or POST direct) strictly: ambiguous parameters, unknown
   content types and updates get a short 4xx saying why, because a client that guessed wrong
   learns more from a clear refusal than from a silent reinterpretation;
2. hands a browser that prefers HTML to the workbench page (it returns None: not an answer);
3. runs the cheap checks of :mod:`kg.web.endpoint.limits` (length, depth, updates);
4. negotiates the format (``format`` parameter, else ``Accept`` with q-values);
5. answers from the one answer cache (:mod:`kg.web.endpoint.answer_cache`);
6. else runs the query in the query pool (:mod:`kg.web.endpoint.execution`: always a killable query
   process that the kernel keeps off the network, never the worker's thread), then stores the
   answer;
7. answers ``If-None-Match`` with 304 when the ETag (which covers the endpoint's URL)
   matches, only once the answer is known to be a 200: a request that is a 400 gets its 400;
8. turns every failure into a one-line plain-text answer with its status.

``GET /sparql`` without a query answers with the Service Description, through the same cache.
Nothing here knows Flask or WSGI: the adapters only translate a request and a response.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from werkzeug.sansio.utils import get_current_url

from kg.lexer import Shape
from kg.settings import Settings
from kg.store import Engine, QuerySyntaxError
from kg.store.cache import ResultCache
from kg.web.endpoint import http
from kg.web.endpoint.answer_cache import AnswerCache, StoredAnswer, answer_key
from kg.web.endpoint.execution import QueryPool
from kg.web.endpoint.limits import MALFORMED, QueryRejected, check_text
from kg.web.endpoint.negotiate import accepts_encoding, negotiate, parse_accept, quality
from kg.web.endpoint.query_errors import explain, explain_lexical, language
from kg.web.endpoint.querystring import parse_qsl
from kg.web.endpoint.results import GRAPH_FORMATS, Format, formats_for, graph_to_text, serialise
from kg.web.endpoint.security import SECURITY_HEADERS
from kg.web.endpoint.service_description import default_graph_size, describe

log = logging.getLogger(__name__)

PATH = "/sparql"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
#: Parameters that name the media type of the answer, as Fuseki (``format``, ``output``) and
#: Virtuoso (``format``) accept them.
FORMAT_PARAMS = ("format", "output")
KINDS = {"ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
#: What each kind of answer may be written as; "any" is every format a query could get.
OFFERS = {
    "select": formats_for("select"),
    "ask": formats_for("ask"),
    "graph": GRAPH_FORMATS,
    "any": formats_for("select") + formats_for("ask") + GRAPH_FORMATS,
}
STATUS_TEXT = {
    200: "OK",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class ProtocolRequest:
    """An HTTP request as the core reads it. ``headers`` has lower-case names; ``scheme``,
    ``host`` and ``root_path`` give the endpoint's own URL (relative IRIs resolve against it).
    ``body`` holds at most ``max_body_bytes`` + 1 bytes (more is refused with 413)."""

    method: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes = b""
    content_length: int | None = None
    scheme: str = "http"
    host: str = "localhost"
    root_path: str = ""
    path: str = PATH

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class ProtocolResponse:
    """What the core answers: status, headers, body, and what the access log reports."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    rows: int | str = "-"
    query_hash: str = "-"
    #: The answer cache's key of a 200 query answer (what :attr:`Endpoint.readings` keeps).
    answer_key: tuple | None = None

    @property
    def status_line(self) -> str:
        return f"{self.status} {STATUS_TEXT.get(self.status, 'Unknown')}"

    @property
    def media_type(self) -> str:
        value = next((v for n, v in self.headers if n == "Content-Type"), "-")
        return value.split(";", 1)[0]


class ProtocolError(Exception):
    """A request the protocol refuses: carries the status and a one-line reason."""

    def __init__(
        self,
        status: int,
        reason: str,
        headers: dict[str, str] | None = None,
        keep_lines: bool = False,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        #: A reason laid out on several lines (a caret under a query's line) keeps them.
        self.keep_lines = keep_lines


@dataclass
class QueryRequest:
    """What a protocol request asks for, whichever of the three ways it was sent."""

    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    formats: tuple[str, ...] = ()

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)

    @property
    def dataset(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        if not self.has_dataset:
            return None
        return (tuple(self.default_graphs), tuple(self.named_graphs))


class Endpoint:
    """The protocol core of one web worker: its settings, engine, query pool and answer cache.

    ``workbench`` says whether a page is there to hand browsers to (the pages blueprint).
    """

    def __init__(
        self, settings: Settings, engine: Engine, *, workbench: Callable[[], bool] = lambda: False
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.workbench = workbench
        self.answers = AnswerCache(settings.cache_entries)
        #: How each plain GET was read: its raw parts → the answer cache's key. Reading a
        #: request (percent-decoding, the checks, negotiation) is a pure function of those parts
        #: and the build, so a repeated GET skips it; the answer itself stays in ``answers``.
        self.readings = ResultCache(settings.cache_entries)
        self._pool: QueryPool | None = None
        self._pool_lock = threading.Lock()
        self._graph_sizes: dict[str, int] = {}

    @property
    def pool(self) -> QueryPool:
        """The query pool, created on first use: after gunicorn forked this worker."""
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = QueryPool(self.engine, self.settings)
        return self._pool

    # --- the one entry point ----------------------------------------------------------------

    def handle(self, req: ProtocolRequest) -> ProtocolResponse | None:
        """Answer one request to ``/sparql``; None means "a browser: show the workbench"."""
        if req.method == "OPTIONS":  # CORS preflight and plain OPTIONS alike
            return _with_security(
                ProtocolResponse(
                    204, http.preflight_headers(req.header("access-control-request-headers"))
                )
            )
        if req.method not in ("GET", "HEAD", "POST"):
            return self._error(
                405,
                f"{req.method} is not supported here; send the query with GET or POST.",
                {"Allow": ALLOWED_METHODS},
            )
        reading = None
        if req.method == "GET" and req.header("if-none-match") is None:
            reading = self._reading(req)
            known = self.readings.get(reading)
            if known is not None:
                key, fingerprint = known  # type: ignore[misc]
                stored = self.answers.get(key)
                if stored is not None:
                    response = self._ok(req, stored, True)
                    response.query_hash, response.answer_key = fingerprint, key
                    return response
        try:
            wanted = self._read(req)
            if wanted.query is None:
                if req.method == "POST" or wanted.has_dataset:
                    raise ProtocolError(400, "Missing the 'query' parameter.")
                if self._wants_workbench("graph", req):
                    return None
                return self._describe(req, wanted)
            if req.method == "GET" and not wanted.formats and self._wants_workbench("any", req):
                return None
            response = self._answer(req, wanted)
        except ProtocolError as err:
            return self._error(err.status, err.reason, err.headers, err.keep_lines)
        if reading is not None and response.answer_key is not None:
            self.readings.put(reading, (response.answer_key, response.query_hash))
        return response

    def _reading(self, req: ProtocolRequest) -> tuple:
        """Everything a GET's reading depends on: the build, the raw query string, and the
        headers and URL parts that negotiation, the coding and the endpoint URL read."""
        return (
            self.engine.version,
            req.query_string,
            req.header("accept"),
            req.header("accept-encoding"),
            req.scheme,
            req.host,
            req.root_path,
            req.path,
        )

    # --- 1. reading the request -------------------------------------------------------------

    def _read(self, req: ProtocolRequest) -> QueryRequest:
        """Read the query and its dataset from GET, POST form or POST direct, or refuse."""
        try:  # PEP 3333 hands the query string over as latin-1; it is UTF-8 percent-encoded
            args = parse_qsl(req.query_string.encode("latin-1").decode("utf-8"))
        except UnicodeError:
            raise ProtocolError(400, "The query string is not valid UTF-8.") from None
        if _has(args, "update"):
            raise _refuse_update()
        if req.method in ("GET", "HEAD"):
            return _from_params(args)
        content_type, _, params = (req.header("content-type") or "").partition(";")
        content_type = content_type.strip().lower()
        limit = self.settings.max_body_bytes
        if (req.content_length or 0) > limit or len(req.body) > limit:
            raise ProtocolError(413, f"The request body is larger than {limit} bytes.")
        if not req.body and content_type in ("", FORM) and _has(args, "query"):
            # A POST whose parameters are all in the URL (no body, as some clients and the
            # generated W3C manifest send it) means what the same GET means.
            return _from_params(args)
        if content_type == UPDATE:
            raise _refuse_update()
        if content_type not in (FORM, DIRECT):
            sent = f"'{content_type}'" if content_type else "no Content-Type"
            raise ProtocolError(
                415, f"POST needs Content-Type {FORM} or {DIRECT}; this request sent {sent}."
            )
        charset = _charset(params)
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"Queries must be sent as UTF-8, not {charset}.")
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ProtocolError(400, f"The query body is not valid UTF-8 ({err.reason}).") from None
        if content_type == FORM:
            form = parse_qsl(text)
            if _has(form, "update"):
                raise _refuse_update()
            if _has(args, "query") and _has(form, "query"):
                raise ProtocolError(
                    400, "A form POST carries the query in its body, not also in the URL."
                )
            return _from_params(form + args)
        if _has(args, "query"):
            raise ProtocolError(
                400, f"A {DIRECT} POST carries the query as its body; the URL must not give one."
            )
        wanted = _from_params(args)
        wanted.query = text
        return wanted

    # --- 2. the workbench, 4. the format ----------------------------------------------------

    def _wants_workbench(self, kind: str, req: ProtocolRequest) -> bool:
        """A browser (HTML preferred over every format we could answer in) gets the workbench.

        This holds with a query too, so that a shared link ``/sparql?query=…`` opens the
        workbench with its results; programs name a result format (or ``format=``).
        """
        return self.workbench() and html_preferred(kind, req.header("accept"))

    # --- 3 to 7: a query ---------------------------------------------------------------------

    def _answer(self, req: ProtocolRequest, wanted: QueryRequest) -> ProtocolResponse:
        text = wanted.query or ""
        fingerprint = http.query_hash(text)
        try:
            if not text.strip():
                raise ProtocolError(400, "The 'query' parameter is empty.")
            found = self._check(text, req)
            kind = KINDS.get(found.form or "", "select")
            fmt = choose_format(kind, wanted.formats, req.header("accept"))
            response = self._cached_or_run(req, wanted, text, found, fmt)
        except ProtocolError as err:
            response = self._error(err.status, err.reason, err.headers, err.keep_lines)
        response.query_hash = fingerprint
        return response

    def _check(self, text: str, req: ProtocolRequest) -> Shape:
        """The cheap checks (length, depth) and the update refusal, before the answer cache is
        consulted: a refused text is refused every time, cached or not."""
        try:
            found = check_text(text, self.settings, via_url=req.method in ("GET", "HEAD"))
        except QueryRejected as err:
            raise _rejected(err, text, req) from None
        if found.operation == "update":
            raise _refuse_update()
        return found

    def _cached_or_run(
        self, req: ProtocolRequest, wanted: QueryRequest, text: str, found: Shape, fmt: Format
    ) -> ProtocolResponse:
        version = self.engine.version
        endpoint = self.endpoint_url(req)
        coding = "gzip" if gzip_accepted(req.header("accept-encoding")) else "identity"
        key = answer_key(version, text, wanted.dataset, fmt.media_type, endpoint, coding)
        conditional = req.method != "POST"
        stored = self.answers.get(key)
        if stored is None:
            # The endpoint's URL is part of the representation (relative IRIs resolve against
            # it): without it, a 304 carried one Host's answer to another (issue 23).
            etag = http.etag_for(
                version,
                text,
                "\x1e".join(wanted.default_graphs),
                "\x1e".join(wanted.named_graphs),
                fmt.media_type,
                coding,
                endpoint,
            )
            # Run first: only an answer known to be a 200 may be a 304. Before, the ETag was
            # compared first, and If-None-Match: * made a request that is a 400 a 304.
            stored = self._run(req, wanted, text, found, fmt, endpoint, etag, coding == "gzip")
            self.answers.put(key, stored)
        if conditional and http.etag_matches(req.header("if-none-match"), stored.etag):
            return _not_modified(stored.etag)
        response = self._ok(req, stored, conditional)
        response.answer_key = key
        return response

    def _run(
        self,
        req: ProtocolRequest,
        wanted: QueryRequest,
        text: str,
        found: Shape,
        fmt: Format,
        endpoint: str,
        etag: str,
        gzip: bool,
    ) -> StoredAnswer:
        """Execute one checked query in the query pool, which applies the rest of
        :mod:`kg.web.endpoint.limits` (SERVICE, FROM, unknown graphs), enforces the timeout, and
        serialises the answer as ``fmt``."""
        dataset = wanted.has_dataset
        try:
            answer = self.pool.query(
                text,
                via_url=req.method in ("GET", "HEAD"),
                default_graphs=wanted.default_graphs if dataset else None,
                named_graphs=wanted.named_graphs if dataset else None,
                max_rows=self.settings.max_rows,
                base_iri=endpoint,  # relative IRIs resolve against the endpoint (2.1.4)
                media_type=fmt.media_type,
                shape=found,
                gzip=gzip,
            )
        except QueryRejected as err:
            raise _rejected(err, text, req) from None
        except QuerySyntaxError as err:  # in words, with a caret (kg.web.endpoint.query_errors)
            said = explain(text, str(err), language(req.header("accept-language")))
            raise ProtocolError(400, said.text, keep_lines=True) from None
        except Exception as err:  # an engine's own failure: a short answer, never a traceback
            log.exception("query %s failed", http.query_hash(text))
            raise ProtocolError(500, f"The query could not be evaluated: {err}") from None
        if answer.gzipped:  # compressed in the query process, as asked
            return StoredAnswer(
                answer.body,  # type: ignore[arg-type]
                content_type(fmt),
                etag,
                answer.rows,
                answer.truncated,
                True,
            )
        body = answer.body
        if body is None:  # the lexer guessed the form wrong (cannot happen for valid text)
            fmt = choose_format(answer.kind, wanted.formats, req.header("accept"))
            body = serialise(answer.result, fmt.media_type).encode("utf-8")  # type: ignore[arg-type]
        packed = http.gzipped(body) if gzip else None
        return StoredAnswer(
            packed or body,
            content_type(fmt),
            etag,
            answer.rows,
            answer.truncated,
            packed is not None,
        )

    def _ok(self, req: ProtocolRequest, stored: StoredAnswer, etagged: bool) -> ProtocolResponse:
        headers = [("Content-Type", stored.content_type), ("Vary", http.VARY), *http.CORS_HEADERS]
        if etagged:
            headers += [("ETag", stored.etag), ("Cache-Control", http.CACHE_CONTROL)]
        else:
            headers.append(("Cache-Control", "no-store"))
        if stored.truncated:  # the row cap cut the answer (SECURITY.md)
            headers.append(("KG-Truncated", str(self.settings.max_rows)))
        if stored.gzip:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(stored.body))))
        body = b"" if req.method == "HEAD" else stored.body
        return _with_security(ProtocolResponse(200, headers, body, rows=stored.rows))

    # --- the Service Description ------------------------------------------------------------

    def _describe(self, req: ProtocolRequest, wanted: QueryRequest) -> ProtocolResponse:
        fmt = choose_format("graph", wanted.formats, req.header("accept"))
        version = self.engine.version
        endpoint = self.endpoint_url(req)
        coding = "gzip" if gzip_accepted(req.header("accept-encoding")) else "identity"
        allowlist = ",".join(self.settings.service_allowlist)
        key = answer_key(version, None, None, fmt.media_type, endpoint, coding)
        stored = self.answers.get(key)
        etag = http.etag_for(
            version, "service-description", endpoint, fmt.media_type, allowlist, coding
        )
        if http.etag_matches(req.header("if-none-match"), etag):
            return _not_modified(etag)
        if stored is None:
            if version not in self._graph_sizes:
                self._graph_sizes[version] = default_graph_size(self.engine)
            graph = describe(endpoint, self.engine, self.settings, self._graph_sizes[version])
            body = graph_to_text(graph, fmt.media_type).encode("utf-8")
            packed = http.gzipped(body) if coding == "gzip" else None
            stored = StoredAnswer(
                packed or body, content_type(fmt), etag, "-", False, packed is not None
            )
            self.answers.put(key, stored)
        return self._ok(req, stored, True)

    # --- 8. errors ---------------------------------------------------------------------------

    def _error(
        self,
        status: int,
        reason: str,
        headers: dict[str, str] | None = None,
        keep_lines: bool = False,
    ) -> ProtocolResponse:
        # One line, whatever the engine's parser wrote (Oxigraph's messages span several).
        line = " ".join(part.strip() for part in reason.splitlines() if part.strip())
        body = (reason.rstrip("\n") if keep_lines else line).encode("utf-8") + b"\n"
        pairs = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Vary", http.VARY),
            *http.CORS_HEADERS,
            ("Cache-Control", "no-store"),
            *(headers or {}).items(),
            ("Content-Length", str(len(body))),
        ]
        return _with_security(ProtocolResponse(status, pairs, body))

    def endpoint_url(self, req: ProtocolRequest) -> str:
        """The URL the client used for the endpoint, or the public one behind a proxy."""
        public = self.settings.public_url
        if public:
            return public.rstrip("/") + req.path
        return current_url(req.scheme, req.host, req.root_path, req.path)


# --- pure helpers ---------------------------------------------------------------------------


def choose_format(kind: str, format_params: tuple[str, ...], accept: str | None) -> Format:
    """The format to answer a ``kind`` of result in (``select``, ``ask``, ``graph``): the
    ``format`` parameter if given, else the Accept header."""
    offered = OFFERS[kind]
    if format_params:
        chosen = set()
        for wanted in format_params:
            match = [f for f in offered if wanted in (f.media_type, *f.names, *f.aliases)]
            if not match:
                names = ", ".join(f.names[0] for f in offered)
                listing = ", ".join(f.media_type for f in offered)
                raise ProtocolError(
                    406, f"format={wanted} is not offered here; use one of {names} or {listing}."
                )
            chosen.add(match[0])
        if len(chosen) > 1:
            raise ProtocolError(400, f"Conflicting format parameters: {', '.join(format_params)}.")
        return chosen.pop()
    fmt = negotiated(kind, accept)
    if fmt is None:
        listing = ", ".join(f.media_type for f in offered)
        raise ProtocolError(406, f"No acceptable format. Offered: {listing}.")
    return fmt


# Negotiation is a pure function of an Accept header, and clients send the same few headers
# again and again: remembered (bounded), it costs nothing on the next request.
@lru_cache(maxsize=256)
def negotiated(kind: str, accept: str | None) -> Format | None:
    """The format of ``OFFERS[kind]`` that ``accept`` prefers, or None."""
    offered = OFFERS[kind]
    candidates = [(fmt.media_type, fmt) for fmt in offered]
    candidates += [(alias, fmt) for fmt in offered for alias in fmt.aliases]
    chosen = negotiate(accept, [mime for mime, _ in candidates])
    return None if chosen is None else dict(candidates)[chosen]


@lru_cache(maxsize=256)
def html_preferred(kind: str, accept: str | None) -> bool:
    """Whether ``accept`` prefers HTML over every format of ``OFFERS[kind]``."""
    ranges = parse_accept(accept)
    html = max(quality(ranges, "text/html"), quality(ranges, "application/xhtml+xml"))
    return html > max(quality(ranges, fmt.media_type) for fmt in OFFERS[kind])


@lru_cache(maxsize=64)
def gzip_accepted(accept_encoding: str | None) -> bool:
    return accepts_encoding(accept_encoding, "gzip")


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.charset else fmt.media_type


@lru_cache(maxsize=64)
def current_url(scheme: str, host: str, root_path: str, path: str) -> str:
    """werkzeug's rules for a request's base URL (quoting, IDNA), remembered per host."""
    return get_current_url(scheme, host, root_path, path)


def _has(pairs: list[tuple[str, str]], name: str) -> bool:
    return any(key == name for key, _ in pairs)


def _values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in pairs if key == name]


def _from_params(pairs: list[tuple[str, str]]) -> QueryRequest:
    queries = _values(pairs, "query")
    if len(queries) > 1:
        raise ProtocolError(
            400, f"The 'query' parameter was given {len(queries)} times; give it once."
        )
    formats = [v.strip().lower() for name in FORMAT_PARAMS for v in _values(pairs, name)]
    # SPARQLWrapper sends the same wish several times in different spellings
    # (format=json&output=json, or tsv and its media type): each counts once.
    return QueryRequest(
        queries[0] if queries else None,
        _values(pairs, "default-graph-uri"),
        _values(pairs, "named-graph-uri"),
        tuple(dict.fromkeys(v for v in formats if v)),
    )


def _charset(params: str) -> str:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


def _rejected(err: QueryRejected, text: str, req: ProtocolRequest) -> ProtocolError:
    """The query gate's refusal as an answer; a text that the gate could not read is told in
    words with a caret, in the client's language, as the parser's errors are (issue 25)."""
    if err.status == 400 and err.reason.startswith(MALFORMED):
        said = explain_lexical(
            text, err.reason[len(MALFORMED) :], language(req.header("accept-language"))
        )
        if said is not None:
            return ProtocolError(400, said.text, err.headers, keep_lines=True)
    return ProtocolError(err.status, err.reason, err.headers)


def _refuse_update() -> ProtocolError:
    return ProtocolError(
        403, "This endpoint is read-only: SPARQL Update is not accepted here (use a query)."
    )


def _not_modified(etag: str) -> ProtocolResponse:
    headers = [("ETag", etag), ("Cache-Control", http.CACHE_CONTROL), ("Vary", http.VARY)]
    return _with_security(ProtocolResponse(304, [*headers, *http.CORS_HEADERS]))


def _with_security(response: ProtocolResponse) -> ProtocolResponse:
    response.headers.extend(SECURITY_HEADERS.items())
    return response
