"""Query engines behind one small interface; only this package knows which engine runs a query.

``open_engine(settings)`` picks the engine from ``KG_STORE``: ``memory`` (embedded pyoxigraph over
the built artifact, the default, chosen by measurement), ``rdflib`` (the reference engine), or
``sparql+http://host/path`` / ``sparql+https://…`` (a remote SPARQL 1.1 endpoint, for a store
that has outgrown one machine). ``open_engine`` wraps it in a result cache per dataset version
(``KG_CACHE_ENTRIES``) for the pages; the SPARQL endpoint runs on :func:`bare`.
"""

from __future__ import annotations

from kg.settings import Settings
from kg.store.base import (
    Bindings,
    Boolean,
    Engine,
    QueryResult,
    QuerySyntaxError,
    Serialised,
    Term,
    Triples,
    read_manifest,
)


def open_engine(settings: Settings) -> Engine:
    """Open the engine named by ``settings.store``, wrapped in an answer cache when enabled."""
    engine = _open_bare_engine(settings)
    if settings.cache_entries > 0:
        from kg.store.cache import CachingEngine

        return CachingEngine(engine, settings.cache_entries, max_cached_rows=settings.max_rows)
    return engine


def bare(engine: Engine) -> Engine:
    """The engine without its answer cache: what a query process should run on."""
    from kg.store.cache import CachingEngine

    return engine.engine if isinstance(engine, CachingEngine) else engine


def query_as(
    engine: Engine, sparql: str, media_type: str | None, **options: object
) -> Serialised | QueryResult:
    """The answer already serialised as ``media_type`` where the engine can write it itself,
    else the engine-neutral result (engines without ``query_as`` always give that)."""
    native = getattr(engine, "query_as", None)
    if native is not None:
        return native(sparql, media_type, **options)
    options.pop("count_rows", None)  # only engines that write answers themselves count them
    return engine.query(sparql, **options)  # type: ignore[arg-type]


def _open_bare_engine(settings: Settings) -> Engine:
    kind = settings.store
    if kind.startswith(("sparql+http://", "sparql+https://")):
        from kg.store.remote import RemoteEngine

        version, graphs = "remote", ()
        if settings.manifest.is_file():  # the build that was published there
            manifest = read_manifest(settings.manifest)
            version, graphs = manifest["version"], tuple(manifest["graphs"])
        return RemoteEngine(
            kind.removeprefix("sparql+"),
            version=version,
            timeout=settings.query_timeout,
            union_graph=settings.store_union_graph,
            graphs=graphs,
        )
    if kind == "memory":
        from kg.store.embedded import EmbeddedEngine

        return EmbeddedEngine.from_artifact(
            settings.artifact, settings.manifest, memory_max_quads=settings.memory_max_quads
        )
    if kind == "rdflib":
        from kg.store.reference import RdflibEngine

        return RdflibEngine.from_artifact(settings.artifact, settings.manifest)
    raise ValueError(
        f"KG_STORE={kind!r} is not a known engine (memory, rdflib, sparql+http://host/path)"
    )


__all__ = [
    "Bindings",
    "Boolean",
    "Engine",
    "QueryResult",
    "QuerySyntaxError",
    "Serialised",
    "Term",
    "Triples",
    "bare",
    "open_engine",
    "query_as",
]
