"""Parse a Turtle input with pyoxigraph where that gives the very lines rdflib's parse gives.

rdflib's Turtle parser costs about 60 µs a triple; pyoxigraph's about 2 µs. The artifact's lines
are rdflib's, though (its N-Triples escaping, its normalised literals such as ``"01"^^xsd:integer``
written ``"1"``), and the two parsers differ where it shows:

* pyoxigraph lower-cases language tags, rdflib keeps them as written;
* rdflib keeps an explicit ``^^xsd:string``, pyoxigraph's literal is the same as a plain one;
* rdflib names blank nodes at random per parse (so no build with them is repeatable anyway);
* they report syntax errors differently (rdflib's message names the file's line and column).

So a file is parsed by pyoxigraph only when none of that can happen (no language tag with a
capital, no blank-node syntax, no ``^^…string``, no unfilled ``kg quote`` hole) and it parses
without error; each term is then written the way rdflib writes it (the literal is rebuilt as an
rdflib ``Literal`` from its lexical form, as rdflib's parser builds it). Anything else is left to
:func:`kg.pipeline.load.parse_file`. ``tests/test_fast_parse.py`` compares both on every file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral

_UPPER_TAG = re.compile(r"@[A-Za-z0-9-]*[A-Z]")  # a tag with a capital anywhere
_BLANK = re.compile(r"_:|\[")
#: ``"s"^^xsd:string``: rdflib keeps the datatype, pyoxigraph's literal cannot tell it from "s".
_TYPED_STRING = re.compile(r"\^\^\S*string\b")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _literal(term: ox.Literal) -> str:
    if term.language:
        return _quoteLiteral(Literal(term.value, lang=term.language))
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return _quoteLiteral(Literal(term.value))
    return _quoteLiteral(Literal(term.value, datatype=URIRef(datatype)))


def _iri(term: ox.NamedNode) -> str:
    return URIRef(term.value).n3()


def fast_lines(path: Path, graph: URIRef) -> set[str] | None:
    """The file's N-Quads lines in ``graph``, as :func:`kg.pipeline.build._nquads` writes rdflib's
    parse of it, or None when the file must be parsed by rdflib (see the module's docstring)."""
    text = path.read_text(encoding="utf-8")
    refused = (_UPPER_TAG, _BLANK, _TYPED_STRING)
    if any(r.search(text) for r in refused) or "?FILL_IN_" in text:
        return None
    try:
        triples = ox.parse(text, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
        name = graph.n3()
        literals: dict[ox.Literal, str] = {}
        lines = set()
        for triple in triples:
            obj = triple.object
            if isinstance(obj, ox.Literal):
                written = literals.get(obj)
                if written is None:
                    written = literals[obj] = _literal(obj)
            elif isinstance(obj, ox.NamedNode):
                written = _iri(obj)
            else:
                return None
            subject = triple.subject
            if not isinstance(subject, ox.NamedNode):
                return None
            lines.add(f"{_iri(subject)} {_iri(triple.predicate)} {written} {name} .\n")
    except Exception:  # any refusal: rdflib parses the file and reports errors its own way
        return None
    return lines
