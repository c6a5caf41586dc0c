"""All settings in one dataclass, read from ``KG_*`` environment variables.

Operators configure the server only through these variables; the configuration table in
``README.md`` is checked against this dataclass by ``tests/test_docs.py`` so it cannot drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get("KG_" + name.upper(), default)


@dataclass(frozen=True)
class Settings:
    """Runtime settings; each field maps to the variable ``KG_<FIELD NAME IN UPPER CASE>``."""

    #: Directory of the project (sources, ontology, shapes, data).
    root: Path = PROJECT_ROOT
    #: Directory the build writes to and the server reads from.
    build_dir: Path = PROJECT_ROOT / "build"
    #: Interface gunicorn binds to.
    host: str = "127.0.0.1"
    #: Port gunicorn binds to.
    port: int = 8000
    #: Query engine: ``memory`` (embedded pyoxigraph), ``rdflib``, or ``sparql+http://host/path``.
    store: str = "memory"
    #: Number of gunicorn worker processes.
    workers: int = 2
    #: Give each gunicorn worker a listening socket of its own (``SO_REUSEPORT``), so that the
    #: kernel spreads new connections over the workers; otherwise the worker that wakes first
    #: takes them. The master opens and holds the sockets, so a worker that stops drops no
    #: queued connection (:mod:`kg.web.endpoint.listeners`). Off by default: not measurably
    #: faster than one shared socket (ahead in 9 of 15 interleaved runs, ``bench/RESULTS.md``),
    #: and any process of the same user may join the port.
    reuse_port: bool = False
    #: Seconds a query may run before it is stopped.
    query_timeout: float = 10.0
    #: CPU seconds a query uses at normal priority before its process drops to the lowest
    #: (kg.web.endpoint.execution): CPU time, not wall time, so that a busy machine, which
    #: delays a cheap query without its using the CPU, does not demote it. Small (an example
    #: query uses a few milliseconds), so that attacks sharing the cores become sheddable soon:
    #: at 0.25 s, eight attacks on two cores each stayed unsheddable for a second of wall time.
    query_grace: float = 0.05
    #: Maximum number of result rows (SELECT) or triples (CONSTRUCT) returned.
    max_rows: int = 10000
    #: Maximum length of a query text in characters (a GET is bounded sooner, by the URL).
    max_query_length: int = 1048576
    #: Maximum request body in bytes: room for a 1 MiB query even percent-encoded in a form.
    max_body_bytes: int = 4194304
    #: Maximum nesting depth of brackets in a query.
    max_query_depth: int = 64
    #: Comma-separated SERVICE endpoints that queries may call (empty: SERVICE is refused).
    service_allowlist: tuple[str, ...] = field(default_factory=tuple)
    #: Seconds a query that calls an allow-listed SERVICE may run (shorter than query_timeout).
    service_timeout: float = 5.0
    #: Queries in killable query processes at once, in the whole server (all gunicorn workers
    #: share one limit, kg.web.endpoint.slots); more concurrent queries get 503.
    query_processes: int = 8
    #: Megabytes of memory a query process may add before it is stopped (0: no cap).
    query_memory_mb: int = 512
    #: Serve even where the kernel cannot keep query processes off the network (no seccomp,
    #: or libseccomp missing): ``kg serve`` and ``kg serve-public`` refuse to start otherwise.
    #: A query that slips SERVICE past the gate can then make the server call any host.
    allow_unsandboxed: bool = False
    #: Run queries that call an allow-listed SERVICE even where the kernel cannot give their
    #: process a network namespace of its own (kg.web.endpoint.isolation.private_network):
    #: ``kg serve`` and ``kg serve-public`` refuse to start with a non-empty allow-list
    #: otherwise. Such a query that fools the gate can then reach any host on an allow-listed
    #: port.
    allow_service_without_namespace: bool = False
    #: Public base URL used in links when behind a proxy (empty: taken from the request).
    public_url: str = ""
    #: Where the workbench's result cells link our IRIs: ``local`` (this server's ``/id/…``
    #: pages, while w3id.org does not redirect here yet) or ``w3id`` (the IRIs themselves).
    iri_links: str = "local"
    #: Finished query answers kept per worker (kg.web.endpoint.answer_cache), keyed by dataset
    #: version (0: no cache).
    cache_entries: int = 1024
    #: OWL 2 RL reasoner of ``kg build``: ``owlrl`` (the reference) or ``fast`` (materialise.py).
    reasoner: str = "owlrl"
    #: How ``kg build`` holds the graph: ``memory`` (rdflib, about 2.8 GB per million triples),
    #: ``stream`` (kg.pipeline.stream: on-disk store, batches, always the fast reasoner) or
    #: ``auto`` (stream when the inputs exceed 32 MiB of Turtle, about 300,000 triples).
    build_mode: str = "auto"
    #: Artifacts of up to this many quads are loaded into memory (fastest queries); larger ones
    #: are served from the on-disk store ``kg build`` writes beside them (opens in milliseconds).
    memory_max_quads: int = 200000
    #: gunicorn replicas behind the proxy of ``kg serve-public`` (rolled one at a time).
    replicas: int = 2
    #: Seconds the proxy waits for a client's whole request header, and for each part of
    #: its body; slower clients are disconnected before any replica sees them.
    proxy_client_timeout: float = 10.0
    #: Requests one client address may have in progress at the proxy at once (429 above).
    proxy_connections: int = 16
    #: Requests per second one client address may send through the proxy, with bursts of up
    #: to twice as many (429 above).
    proxy_rate: int = 20
    #: User of the remote store's Graph Store (``kg publish``); empty: no authentication.
    publish_user: str = ""
    #: Password of ``publish_user`` (digest or basic authentication, as the store asks);
    #: only ever read from the environment, never from the command line.
    publish_password: str = field(default="", repr=False)
    #: The remote store's graph that holds our default graph (the union of the named graphs),
    #: for stores whose default graph is not a graph of its own (Virtuoso): ``kg publish``
    #: writes it, and ``KG_STORE=sparql+…`` asks it as the default graph. Empty: the store's
    #: own default graph (Oxigraph, Fuseki).
    store_union_graph: str = ""

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read every field from its ``KG_`` variable, falling back to the default."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get("KG_" + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def artifact(self) -> Path:
        return self.build_dir / "kg.nq"

    @property
    def manifest(self) -> Path:
        return self.build_dir / "manifest.json"


def _convert(name: str, type_name: object, raw: str) -> object:
    kind = str(type_name)
    try:
        if "Path" in kind:
            return Path(raw)
        if kind in ("int", "<class 'int'>"):
            return int(raw)
        if kind in ("float", "<class 'float'>"):
            return float(raw)
        if kind in ("bool", "<class 'bool'>"):
            return _boolean(raw)
        if "tuple" in kind:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as err:
        raise SystemExit(f"KG_{name.upper()}={raw!r} is not a valid value: {err}") from err
    return raw


def _boolean(raw: str) -> bool:
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{raw!r} is neither 1/true/yes/on nor 0/false/no/off")
