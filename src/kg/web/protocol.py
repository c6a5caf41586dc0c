"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: the query operation only, read-only.

Requests are read in three ways (GET, POST form, POST direct), each one strictly: ambiguous
parameter combinations, unknown content types and updates get a short 4xx saying why, because
a client that guessed wrong learns more from a clear refusal than from a silent reinterpretation.
Every query passes through ``_run_query``, the one place where a query text is checked and
executed. ``GET /sparql`` without a query answers with the Service Description (or, for a
browser, the HTML workbench when the pages blueprint registers one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.utils import get_current_url

from kg.lexer import Shape, text_key
from kg.store import QuerySyntaxError
from kg.store.cache import ResultCache
from kg.web import http
from kg.web.execution import Answer, pool_for
from kg.web.limits import QueryRejected, check_text
from kg.web.negotiate import negotiate, parse_accept, quality
from kg.web.results import GRAPH_FORMATS, Format, formats_for, graph_to_text, serialise
from kg.web.service_description import default_graph_size, describe

protocol = Blueprint("protocol", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
#: Parameters that name the media type of the answer, as Fuseki (``format``, ``output``) and
#: Virtuoso (``format``) accept them.
FORMAT_PARAMS = ("format", "output")
WORKBENCH_VIEW = "pages.workbench"
#: Answers larger than this are not kept by the answer cache (memory stays bounded).
MAX_CACHED_BODY_BYTES = 1 << 20
#: ``environ`` key where the lean GET path leaves the failure of a query it ran.
FAILED_KEY = "kg.query_failed"


class ProtocolError(Exception):
    """A request the protocol refuses: carries the status and a one-line reason."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


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


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(reason.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers or {})
    return http.finish(response, None, compress=False)


def _refuse_update() -> ProtocolError:
    return ProtocolError(
        403, "This endpoint is read-only: SPARQL Update is not accepted here (use a query)."
    )


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(
            400, f"The '{name}' parameter was given {len(values)} times; give it once."
        )
    return values[0] if values else None


def _format_param(*sources) -> tuple[str, ...]:
    """Every value given for a format parameter; SPARQLWrapper sends the same wish several
    times in different spellings (format=json&output=json, or tsv and its media type)."""
    values = [v for source in sources for name in FORMAT_PARAMS for v in source.getlist(name)]
    return tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))


def _read_request() -> QueryRequest:
    """Read the query and its dataset from GET, POST form or POST direct, or refuse."""
    args = request.args
    if request.method in ("GET", "HEAD"):
        if "update" in args:
            raise _refuse_update()
        return QueryRequest(
            _single(args.getlist("query"), "query"),
            args.getlist("default-graph-uri"),
            args.getlist("named-graph-uri"),
            _format_param(args),
        )
    # POST
    if "update" in args:
        raise _refuse_update()
    content_type = request.mimetype
    if not request.content_length and content_type in ("", FORM) and "query" in args:
        # A POST whose parameters are all in the URL (no body, as some clients and the generated
        # W3C manifest send it) means what the same GET means.
        return QueryRequest(
            _single(args.getlist("query"), "query"),
            args.getlist("default-graph-uri"),
            args.getlist("named-graph-uri"),
            _format_param(args),
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if content_type == UPDATE:
        raise _refuse_update()
    if content_type not in (FORM, DIRECT):
        sent = f"'{content_type}'" if content_type else "no Content-Type"
        raise ProtocolError(
            415,
            f"POST needs Content-Type {FORM} or {DIRECT}; this request sent {sent}.",
        )
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"Queries must be sent as UTF-8, not {charset}.")
    if content_type == FORM:
        form = request.form
        if "update" in form or "update" in args:
            raise _refuse_update()
        if "query" in args and "query" in form:
            raise ProtocolError(
                400, "A form POST carries the query in its body, not also in the URL."
            )
        return QueryRequest(
            _single(form.getlist("query") or args.getlist("query"), "query"),
            form.getlist("default-graph-uri") + args.getlist("default-graph-uri"),
            form.getlist("named-graph-uri") + args.getlist("named-graph-uri"),
            _format_param(form, args),
        )
    if "query" in args or "update" in args:
        raise ProtocolError(
            400, f"A {DIRECT} POST carries the query as its body; the URL must not give one."
        )
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(400, f"The query body is not valid UTF-8 ({err.reason}).") from None
    return QueryRequest(
        text,
        args.getlist("default-graph-uri"),
        args.getlist("named-graph-uri"),
        _format_param(args),
    )


def _choose(offered: tuple[Format, ...], format_params: tuple[str, ...]) -> Format:
    return choose_format(offered, format_params, request.headers.get("Accept"))


def choose_format(
    offered: tuple[Format, ...], format_params: tuple[str, ...], accept: str | None
) -> Format:
    """The format to answer in: the ``format`` parameter if given, else the Accept header."""
    listing = ", ".join(f.media_type for f in offered)
    if format_params:
        chosen = set()
        for wanted in format_params:
            match = [f for f in offered if wanted in (f.media_type, *f.names, *f.aliases)]
            if not match:
                names = ", ".join(f.names[0] for f in offered)
                raise ProtocolError(
                    406, f"format={wanted} is not offered here; use one of {names} or {listing}."
                )
            chosen.add(match[0])
        if len(chosen) > 1:
            raise ProtocolError(400, f"Conflicting format parameters: {', '.join(format_params)}.")
        return chosen.pop()
    candidates = [(fmt.media_type, fmt) for fmt in offered]
    candidates += [(alias, fmt) for fmt in offered for alias in fmt.aliases]
    chosen = negotiate(accept, [mime for mime, _ in candidates])
    if chosen is None:
        raise ProtocolError(406, f"No acceptable format. Offered: {listing}.")
    return dict(candidates)[chosen]


def _check(text: str) -> Shape:
    """The cheap checks of ``limits.py`` (length, depth) and the update refusal, before the
    answer cache is consulted: a refused text is refused every time, cached or not."""
    try:
        found = check_text(
            text, current_app.config["KG_SETTINGS"], via_url=request.method in ("GET", "HEAD")
        )
    except QueryRejected as err:
        raise ProtocolError(err.status, err.reason, err.headers) from None
    if found.operation == "update":
        raise _refuse_update()
    return found


def _run_query(text: str, found: Shape, req: QueryRequest, media_type: str) -> Answer:
    """Execute one checked query: every query the endpoint answers passes here.

    The query pool (``execution.py``) applies the rest of ``limits.py`` (SERVICE, FROM, LOAD,
    unknown graphs, which may need the parser), runs the query in a process it can kill at the
    timeout, and serialises the answer there as ``media_type``. A failure the lean GET path
    (``fast_get.py``) already met is raised here, so that it is answered as any other, and the
    query is not run twice.
    """
    settings = current_app.config["KG_SETTINGS"]
    dataset = req.has_dataset
    try:
        failed = request.environ.pop(FAILED_KEY, None)
        if failed is not None:
            raise failed
        return pool_for(current_app).query(
            text,
            via_url=request.method in ("GET", "HEAD"),
            default_graphs=req.default_graphs if dataset else None,
            named_graphs=req.named_graphs if dataset else None,
            max_rows=settings.max_rows,
            base_iri=endpoint_url(),  # relative IRIs resolve against the endpoint (2.1.4)
            media_type=media_type,
            shape=found,
        )
    except QueryRejected as err:
        raise ProtocolError(err.status, err.reason, err.headers) from None


def _answer_query(req: QueryRequest) -> Response:
    text = req.query or ""
    query_hash = http.query_hash(text)
    http.note_query(fingerprint=query_hash)
    if not text.strip():
        raise ProtocolError(400, "The 'query' parameter is empty.")
    found = _check(text)
    kind = {"ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}.get(found.form or "", "select")
    fmt = _choose(formats_for(kind), req.formats)
    engine = current_app.extensions["kg_engine"]
    compress = http.wants_gzip()
    etag = None
    if request.method in ("GET", "HEAD"):
        etag = http.etag_for(
            engine.version,
            text,
            "\x1e".join(req.default_graphs),
            "\x1e".join(req.named_graphs),
            fmt.media_type,
            "gzip" if compress else "identity",
        )
        if http.if_none_match(etag):
            return http.not_modified(etag)
    bodies = body_cache(current_app)
    key = answer_key(engine.version, text, req, fmt.media_type, endpoint_url())
    cached = bodies.get(key)
    if cached is not None:  # the data are immutable between builds: same query, same bytes
        body, rows, truncated = cached  # type: ignore[misc]
        http.note_query(rows=rows)
        return _query_response(body, fmt, truncated, etag, compress)
    try:
        answer = _run_query(text, found, req, fmt.media_type)
    except QuerySyntaxError as err:
        raise ProtocolError(400, f"Malformed query: {err}") from None
    except ProtocolError:
        raise
    except Exception as err:  # an engine's own failure: a short answer, never a traceback
        current_app.logger.exception("query %s failed", query_hash)
        raise ProtocolError(500, f"The query could not be evaluated: {err}") from None
    http.note_query(rows=answer.rows)
    body = answer.body
    if body is None:  # the lexer guessed the form wrong (cannot happen for valid text)
        fmt = _choose(formats_for(answer.kind), req.formats)
        body = serialise(answer.result, fmt.media_type).encode("utf-8")  # type: ignore[arg-type]
    elif len(body) <= MAX_CACHED_BODY_BYTES:  # keyed by the format the lexer's guess chose
        bodies.put(key, (body, answer.rows, answer.truncated))
    return _query_response(body, fmt, answer.truncated, etag, compress)


def _query_response(
    body: str | bytes, fmt: Format, truncated: bool, etag: str | None, compress: bool
) -> Response:
    response = Response(body, status=200, content_type=content_type(fmt))
    if truncated:  # the row cap cut the answer (SECURITY.md)
        response.headers["KG-Truncated"] = str(current_app.config["KG_SETTINGS"].max_rows)
    return http.finish(response, etag, compress=compress)


def answer_key(version: str, text: str, req: QueryRequest, media_type: str, endpoint: str) -> tuple:
    """What a serialised answer depends on; ``endpoint``: relative IRIs resolve against it."""
    return (
        version,
        text_key(text),  # a hash for a long text: POSTed queries may be a megabyte
        req.has_dataset,
        tuple(req.default_graphs),
        tuple(req.named_graphs),
        media_type,
        endpoint,
    )


def body_cache(app: Flask) -> ResultCache:
    """Serialised answers of this worker, keyed by dataset version, query, dataset and format
    (``KG_CACHE_ENTRIES`` of them; 0 turns caching off)."""
    cache = app.extensions.get("kg_body_cache")
    if cache is None:
        entries = app.config["KG_SETTINGS"].cache_entries
        cache = app.extensions.setdefault("kg_body_cache", ResultCache(entries))
    return cache


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.charset else fmt.media_type


def endpoint_url() -> str:
    """The URL the client used for the endpoint, or the public one behind a proxy."""
    public = current_app.config["KG_SETTINGS"].public_url
    if public:
        return public.rstrip("/") + request.path
    return current_url(request.scheme, request.host, request.root_path, request.path)


@lru_cache(maxsize=64)
def current_url(scheme: str, host: str, root_path: str, path: str) -> str:
    """werkzeug's ``base_url``, remembered: it quotes and converts the parts on every call, and
    the endpoint needs it twice per query (the base IRI and the answer cache's key)."""
    return get_current_url(scheme, host, root_path, path)


def _wants_workbench(offered: tuple[Format, ...]) -> bool:
    return wants_workbench(current_app, offered, request.headers.get("Accept"))


def wants_workbench(app: Flask, offered: tuple[Format, ...], accept: str | None) -> bool:
    """A browser (HTML preferred over every format we could answer in) gets the workbench.

    This holds with a query too, so that a shared link ``/sparql?query=…`` opens the workbench
    with its results; programs name a result format (or ``format=``) and get the results.
    """
    if WORKBENCH_VIEW not in app.view_functions:
        return False
    ranges = parse_accept(accept)
    html = max(quality(ranges, "text/html"), quality(ranges, "application/xhtml+xml"))
    return html > max(quality(ranges, fmt.media_type) for fmt in offered)


def _answer_description(req: QueryRequest) -> Response:
    if _wants_workbench(GRAPH_FORMATS):
        return current_app.view_functions[WORKBENCH_VIEW]()
    fmt = _choose(GRAPH_FORMATS, req.formats)
    engine = current_app.extensions["kg_engine"]
    settings = current_app.config["KG_SETTINGS"]
    endpoint = endpoint_url()
    compress = http.wants_gzip()
    etag = http.etag_for(
        engine.version,
        "service-description",
        endpoint,
        fmt.media_type,
        ",".join(settings.service_allowlist),
        "gzip" if compress else "identity",
    )
    if http.if_none_match(etag):
        return http.not_modified(etag)
    sizes = current_app.extensions.setdefault("kg_default_graph_size", {})
    if engine.version not in sizes:
        sizes[engine.version] = default_graph_size(engine)
    graph = describe(endpoint, engine, settings, sizes[engine.version])
    body = graph_to_text(graph, fmt.media_type)
    response = Response(body, status=200, content_type=content_type(fmt))
    return http.finish(response, etag, compress=compress)


@protocol.route("/sparql", methods=["GET", "POST"], provide_automatic_options=False)
def sparql() -> Response:
    """GET and POST (HEAD comes with GET): a query, or without one the Service Description."""
    try:
        req = _read_request()
        if req.query is None:
            if request.method == "POST" or req.has_dataset:
                raise ProtocolError(400, "Missing the 'query' parameter.")
            return _answer_description(req)
        every_format = formats_for("select") + formats_for("ask") + GRAPH_FORMATS
        if request.method == "GET" and not req.formats and _wants_workbench(every_format):
            return current_app.view_functions[WORKBENCH_VIEW]()
        return _answer_query(req)
    except ProtocolError as err:
        return _error(err.status, err.reason, err.headers)
    except RequestEntityTooLarge:
        limit = current_app.config["KG_SETTINGS"].max_body_bytes
        return _error(413, f"The request body is larger than {limit} bytes.")


@protocol.route("/sparql", methods=["OPTIONS"], provide_automatic_options=False)
def sparql_options() -> Response:
    """CORS preflight and plain OPTIONS alike: which methods and headers are allowed."""
    return http.preflight()


@protocol.route("/sparql", methods=["PUT", "DELETE", "PATCH"], provide_automatic_options=False)
def sparql_other_methods() -> Response:
    """The protocol's query operation is GET or POST; say so rather than a bare 405 page."""
    return _error(
        405,
        f"{request.method} is not supported here; send the query with GET or POST.",
        {"Allow": ALLOWED_METHODS},
    )
