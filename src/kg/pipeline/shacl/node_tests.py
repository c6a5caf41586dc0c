"""Conformance tests of one node, for the compiled shapes (``kg.pipeline.shacl.plan``).

A test is a tree: :class:`Expr` is a SPARQL boolean expression (exact, and never an error, so
that ``!`` of it is safe), :class:`Py` a check only Python can answer as pyshacl does (rdflib's
idea of a well-typed literal, Python's regular expressions, rdflib's literal comparison), and
:class:`Combo` their ``and``/``or``/``xone``/``not``. A tree of expressions becomes one FILTER;
a mixed tree becomes query columns that :func:`evaluate` finishes row by row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, BNode, Literal, Namespace, URIRef

SH = Namespace("http://www.w3.org/ns/shacl#")


class NotCompiledError(Exception):
    """A shape uses something the compiler does not translate; pyshacl must check it."""


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """A SPARQL boolean expression that never raises an error (so ``!`` of it is safe)."""

    text: str


@dataclass(frozen=True)
class Py:
    """A test only Python can answer as pyshacl does (rdflib's idea of a well-typed literal,
    Python's regular expressions, literal comparison); applied to the row's value node."""

    check: Callable[[object], bool]


@dataclass(frozen=True)
class Combo:
    op: str  # all, any, one, not
    parts: tuple[object, ...]


def safe(text: str) -> Expr:
    return Expr(f"COALESCE(({text}), false)")


def fold(test: object) -> str | None:
    """The whole test as one SPARQL expression, or None when a part needs Python."""
    if isinstance(test, Expr):
        return test.text
    if isinstance(test, Py):
        return None
    assert isinstance(test, Combo)
    parts = [fold(p) for p in test.parts]
    if any(p is None for p in parts):
        return None
    if test.op == "not":
        return f"(!{parts[0]})"
    if not parts:
        return {"all": "true", "any": "false", "one": "false"}[test.op]
    if test.op == "all":
        return "(" + " && ".join(parts) + ")"
    if test.op == "any":
        return "(" + " || ".join(parts) + ")"
    return "((" + " + ".join(f"IF({p}, 1, 0)" for p in parts) + ") = 1)"


def leaves(test: object) -> list[Expr]:
    """The SPARQL parts of a mixed test, each becomes a column of the query's rows."""
    if isinstance(test, Expr):
        return [test]
    if isinstance(test, Combo):
        return [leaf for part in test.parts for leaf in leaves(part)]
    return []


def evaluate(test: object, value: object, columns: dict[str, bool]) -> bool:
    """A mixed test for one row: SPARQL parts read from ``columns`` (by expression text)."""
    if isinstance(test, Expr):
        return columns[test.text]
    if isinstance(test, Py):
        return test.check(value)
    assert isinstance(test, Combo)
    results = [evaluate(p, value, columns) for p in test.parts]
    if test.op == "all":
        return all(results)
    if test.op == "any":
        return any(results)
    if test.op == "one":
        return sum(results) == 1
    return not results[0]


# The Python parts, written as pyshacl 0.40 decides them.


# ---------------------------------------------------------------------------------------------


def datatype_check(datatype: object) -> Callable[[object], bool]:
    from datetime import date, datetime, time

    if datatype in (RDFS.Literal, RDFS.Datatype):
        raise NotCompiledError(f"sh:datatype {datatype}")
    kinds: dict[object, type | tuple[type, ...]] = {
        XSD.string: (str, bytes),
        RDF.langString: (str, bytes),
        XSD.integer: int,
        XSD.float: float,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.date: date,
        XSD.time: time,
        XSD.dateTime: datetime,
    }

    def check(value: object) -> bool:
        if not isinstance(value, Literal):
            return False
        if value.datatype == datatype:
            if getattr(value, "ill_typed", None) is True:
                return False
        elif not (
            (value.datatype is None and value.language is None and datatype == XSD.string)
            or (datatype == RDF.langString and value.language)
        ):
            return False
        kind = kinds.get(datatype)
        return kind is None or isinstance(value.value, kind)

    return check


def _string_of(value: object) -> str:
    plain = isinstance(value, Literal) and value.datatype in (None, RDF.langString, XSD.string)
    if plain and value.value is not None:
        return str(value.value)
    return str(value)


def pattern_check(pattern: str) -> Callable[[object], bool]:
    matcher = re.compile(pattern)
    return lambda value: not isinstance(value, BNode) and bool(matcher.search(_string_of(value)))


def range_check(predicate: URIRef, bound: object) -> Callable[[object], bool]:
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(bound, Literal):
        raise NotCompiledError(f"{predicate} {bound} is not a literal")
    accept = {
        SH.minInclusive: lambda c: c >= 0,
        SH.minExclusive: lambda c: c > 0,
        SH.maxInclusive: lambda c: c <= 0,
        SH.maxExclusive: lambda c: c < 0,
    }[predicate]
    bound_is_string = isinstance(bound.value, str)

    def check(value: object) -> bool:
        if not isinstance(value, Literal) or isinstance(value.value, str) != bound_is_string:
            return False
        try:
            return accept(compare_literal(value, bound))
        except (TypeError, NotImplementedError):
            return False

    return check
