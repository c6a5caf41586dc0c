"""Query engines behind one small interface; only this package knows which engine runs a query.

``open_engine(settings)`` picks the engine from ``KG_STORE``: ``memory`` (embedded pyoxigraph over
the built artifact, the default, chosen by measurement), ``rdflib`` (the reference engine).
"""

from __future__ import annotations

from kg.settings import Settings
from kg.store.base import (
    Bindings,
    Boolean,
    Engine,
    QueryResult,
    QuerySyntaxError,
    Term,
    Triples,
)


def open_engine(settings: Settings) -> Engine:
    """Open the engine named by ``settings.store`` over the built artifact."""
    kind = settings.store
    if kind == "memory":
        from kg.store.embedded import EmbeddedEngine

        return EmbeddedEngine.from_artifact(settings.artifact, settings.manifest)
    if kind == "rdflib":
        from kg.store.reference import RdflibEngine

        return RdflibEngine.from_artifact(settings.artifact, settings.manifest)
    raise ValueError(f"KG_STORE={kind!r} is not a known engine (memory, rdflib)")


__all__ = [
    "Bindings",
    "Boolean",
    "Engine",
    "QueryResult",
    "QuerySyntaxError",
    "Term",
    "Triples",
    "open_engine",
]
