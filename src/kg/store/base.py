"""The engine-neutral result model, so serialisers and pages never see engine types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Term:
    """An RDF term: kind is ``uri``, ``bnode``, ``literal`` or ``triple``."""

    kind: str
    value: str
    lang: str | None = None
    datatype: str | None = None

    def to_rdflib(self) -> Identifier:
        """The rdflib term, for serialisers and pages; ``xsd:string`` is RDF 1.1's plain literal."""
        if self.kind == "uri":
            return URIRef(self.value)
        if self.kind == "bnode":
            return BNode(self.value)
        if self.lang:
            return Literal(self.value, lang=self.lang)
        datatype = None if self.datatype in (None, XSD_STRING) else URIRef(self.datatype)
        return Literal(self.value, datatype=datatype)


@dataclass
class Bindings:
    variables: list[str]
    rows: list[dict[str, Term]]
    truncated: bool = False


@dataclass
class Boolean:
    value: bool


@dataclass
class Triples:
    triples: list[tuple[Term, Term, Term]] = field(default_factory=list)
    truncated: bool = False


QueryResult = Bindings | Boolean | Triples


@dataclass(frozen=True)
class Serialised:
    """An answer an engine wrote itself in the media type asked for, ready to send.

    ``kind`` is ``select``, ``ask`` or ``graph``; ``rows`` counts solutions or triples after the
    row cap, and ``truncated`` says whether the cap cut the answer.
    """

    kind: str
    rows: int
    truncated: bool
    body: bytes


class QuerySyntaxError(ValueError):
    """The query does not parse; the message carries the parser's position."""


class Engine(Protocol):
    """What the web layer may ask of a store."""

    version: str

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult: ...

    def graph_counts(self) -> dict[str, int]: ...


def read_manifest(manifest: Path) -> dict:
    return json.loads(manifest.read_text(encoding="utf-8"))


#: ``kg build`` writes an on-disk Oxigraph store beside the artifact, named after its hash.
STORE_PREFIX = "oxigraph-"


def store_dir_name(manifest: dict) -> str:
    """The directory of a build's on-disk store: named after its artifact's sha256, so that a
    manifest always finds the store of its own artifact, whatever older builds left beside it."""
    return STORE_PREFIX + manifest["artifact_sha256"][:16]
