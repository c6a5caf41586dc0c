"""Compile SHACL shapes into SPARQL queries, so the streaming build validates on the on-disk store.

pyshacl walks an rdflib graph in Python: at a million triples it costs minutes of CPU per
million, and the graph must first be copied out of the store into memory. Most constraints are
one SPARQL query over every focus node at once ("each target without a value", "each value that
is not an instance of …"), which Oxigraph answers from its indexes. This module turns each
shape into such queries (a :class:`Check` per constraint component);
``kg.pipeline.shacl.over_store`` runs them and reports what pyshacl would report.

What is compiled (the features our shapes use, and their near relations): targets by class
(``rdf:type/rdfs:subClassOf*`` in the data, as pyshacl reads it), subjects or objects of a
property, nodes, and SPARQL targets; paths (IRIs, inverse, sequence, alternative, zero/one or
more); ``minCount``, ``maxCount``, ``class``, ``datatype`` (ill-typed literals as rdflib sees
them), ``nodeKind``, ``in``, ``hasValue``, ``pattern``, ``minLength``, ``maxLength``,
``languageIn``, ``uniqueLang``, the four value ranges, ``equals``, ``disjoint``, ``or``, ``and``,
``xone``, ``not``, ``node`` inside those, ``qualifiedValueShape`` with
``qualifiedMin/MaxCount``, and SPARQL constraints whose query starts from ``$this``. Anything
else (``sh:closed``, ``sh:lessThan``, ``sh:flags``, a message template, a shape without a
message, ...) raises :class:`NotCompiledError` for its top-level shape, which the caller then
leaves to pyshacl: nothing is skipped silently.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from kg.pipeline.shacl.node_tests import (
    Combo,
    Expr,
    NotCompiledError,
    Py,
    datatype_check,
    fold,
    leaves,
    pattern_check,
    range_check,
    safe,
)

SH = Namespace("http://www.w3.org/ns/shacl#")

#: Where a check's query takes its focus nodes from: replaced at run time by a group pattern
#: that binds ``?this`` (SPARQL targets are selected first, then given as ``VALUES``).
TARGETS = "%%TARGETS%%"

_TARGET_PREDICATES = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_IGNORED = {
    SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group, SH.defaultValue,
    SH.path, SH.property, SH.deactivated, SH.target, *_TARGET_PREDICATES,
}  # fmt: skip
_VALUE_LEVEL = {
    SH["class"], SH.datatype, SH.nodeKind, SH["in"], SH.languageIn, SH.minLength, SH.maxLength,
    SH.pattern, SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH["or"],
    SH["and"], SH.xone, SH["not"], SH.node,
}  # fmt: skip
_FOCUS_LEVEL = {
    SH.minCount, SH.maxCount, SH.hasValue, SH.uniqueLang, SH.qualifiedValueShape,
    SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint, SH.equals,
    SH.disjoint, SH.sparql,
}  # fmt: skip
_COMPONENT = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
}


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One constraint component of one shape, as a query over every focus node at once.

    ``query`` selects ``?this`` (and ``?v``, ``?path``, ``?value`` when the result names them)
    with :data:`TARGETS` standing for the shape's focus nodes. Rows are candidate results;
    ``test``, when set, is the conformance test of ``?v`` that Python finishes (a row is a
    result when it fails). ``value`` says what the result reports as ``sh:value``: ``v``,
    ``this``, ``sparql`` (the query's ``?value``, else the focus for a node shape) or none.
    """

    root: object  # the top-level shape whose targets give the focus nodes
    shape: object  # the shape that holds the constraint (sh:sourceShape)
    component: URIRef
    severity: URIRef
    message: str
    path: object | None
    query: str
    value: str = "v"
    test: object | None = None


@dataclass
class Plan:
    checks: list[Check] = field(default_factory=list)
    #: Each top-level shape's focus nodes as a group pattern (with %%SPARQL_TARGET_n%% marks).
    targets: dict[object, str] = field(default_factory=dict)
    #: SPARQL target queries, by mark, to run first.
    sparql_targets: dict[str, str] = field(default_factory=dict)
    #: Top-level shapes left to pyshacl, with the reason.
    unsupported: dict[object, str] = field(default_factory=dict)


def top_level_shapes(shapes: Graph) -> list[object]:
    """Every shape with a target (explicit, or an implicit class target, which we refuse)."""
    found = {s for p in (*_TARGET_PREDICATES, SH.target) for s in shapes.subjects(p, None)}
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, kind):
            if (shape, RDF.type, RDFS.Class) in shapes or (
                shape,
                RDF.type,
                URIRef("http://www.w3.org/2002/07/owl#Class"),
            ) in shapes:
                found.add(shape)
    return sorted(found, key=str)


def compile_shapes(shapes: Graph) -> Plan:
    plan = Plan()
    for shape in top_level_shapes(shapes):
        if _deactivated(shapes, shape):
            continue
        compiler = _Compiler(shapes, shape, plan)
        try:
            plan.targets[shape] = compiler.targets()
            checks = list(compiler.shape_checks(shape))
        except NotCompiledError as err:
            plan.targets.pop(shape, None)
            plan.unsupported[shape] = str(err)
            continue
        plan.checks += checks
    return plan


def _deactivated(shapes: Graph, shape: object) -> bool:
    return any(
        isinstance(d, Literal) and d.value is True for d in shapes.objects(shape, SH.deactivated)
    )


def _one(shapes: Graph, node: object, predicate: URIRef) -> object:
    values = list(shapes.objects(node, predicate))
    if len(values) != 1:
        raise NotCompiledError(f"{predicate} must have exactly one value on {node}")
    return values[0]


def _term(node: object) -> str:
    """A constant of a query: an IRI or a literal (blank nodes cannot be named in a query)."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        if node.language:
            raise NotCompiledError(f"language-tagged constant {node.n3()}")
        return node.n3()
    raise NotCompiledError(f"blank node {node} as a constant")


class _Compiler:
    def __init__(self, shapes: Graph, root: object, plan: Plan) -> None:
        self.g = shapes
        self.root = root
        self.plan = plan
        self.names = itertools.count()

    def var(self) -> str:
        return f"?_{next(self.names)}"

    # -- targets --------------------------------------------------------------------------

    def targets(self) -> str:
        g, shape = self.g, self.root
        if shape in top_level_implicit(g):
            raise NotCompiledError(f"{shape} is also a class (implicit class target)")
        parts = []
        for cls in g.objects(shape, SH.targetClass):
            parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {_term(cls)} .")
        for prop in g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {_term(prop)} {self.var()} .")
        for prop in g.objects(shape, SH.targetObjectsOf):
            parts.append(f"{self.var()} {_term(prop)} ?this .")
        nodes = [_term(n) for n in g.objects(shape, SH.targetNode)]
        if nodes:
            parts.append(f"VALUES ?this {{ {' '.join(nodes)} }}")
        for target in g.objects(shape, SH.target):
            mark = f"%%SPARQL_TARGET_{len(self.plan.sparql_targets)}%%"
            self.plan.sparql_targets[mark] = self.sparql_target(target)
            parts.append(mark)
        union = " UNION ".join(f"{{ {p} }}" for p in parts) or "FILTER(false)"
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    def sparql_target(self, target: object) -> str:
        g = self.g
        if set(g.objects(target, RDF.type)) != {SH.SPARQLTarget}:
            raise NotCompiledError(f"target {target} is not a plain sh:SPARQLTarget")
        known = {SH.select, SH.prefixes, RDF.type}
        if any(p not in known for p in g.predicates(target)):
            raise NotCompiledError(f"SPARQL target {target} has parameters")
        select = str(_one(g, target, SH.select))
        if re.search(r"[$?](currentShape|shapesGraph)\b", select):
            raise NotCompiledError("SPARQL target uses a pre-bound variable")
        return self.prologue(target) + select

    def prologue(self, node: object) -> str:
        g = self.g
        return "".join(
            f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
            for holder in g.objects(node, SH.prefixes)
            for d in g.objects(holder, SH.declare)
        )

    # -- paths ----------------------------------------------------------------------------

    def path(self, node: object) -> str:
        g = self.g
        if isinstance(node, URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in g:
            members = [self.path(m) for m in Collection(g, node)]
            return "(" + "/".join(members) + ")"
        kinds = {
            SH.inversePath: "^({})",
            SH.zeroOrMorePath: "({})*",
            SH.oneOrMorePath: "({})+",
            SH.zeroOrOnePath: "({})?",
        }
        for predicate, form in kinds.items():
            inner = g.value(node, predicate)
            if inner is not None:
                return form.format(self.path(inner))
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(m) for m in Collection(g, alternatives)) + ")"
        raise NotCompiledError(f"path {node}")

    # -- shapes ---------------------------------------------------------------------------

    def known(self, shape: object) -> None:
        for predicate in set(self.g.predicates(shape)):
            if str(predicate).startswith(str(SH)) and predicate not in (
                _IGNORED | _VALUE_LEVEL | _FOCUS_LEVEL
            ):
                raise NotCompiledError(f"{predicate} on {shape}")
        if (shape, SH.qualifiedValueShapesDisjoint, Literal(True)) in self.g:
            raise NotCompiledError(f"sh:qualifiedValueShapesDisjoint on {shape}")

    def message(self, shape: object) -> str:
        messages = list(self.g.objects(shape, SH.message))
        if len(messages) != 1:
            raise NotCompiledError(
                f"{shape} has {len(messages)} sh:message values (pyshacl's texts are not copied)"
            )
        text = str(messages[0])
        if re.search(r"\{[$?]\w+\}", text):
            raise NotCompiledError(f"message template in {shape}")
        return text

    def severity(self, shape: object) -> URIRef:
        found = list(self.g.objects(shape, SH.severity))
        return found[0] if len(found) == 1 else SH.Violation  # type: ignore[return-value]

    def shape_checks(self, shape: object):
        """The checks of ``shape`` and of its property shapes, over the root's focus nodes."""
        g = self.g
        self.known(shape)
        if _deactivated(g, shape):
            if shape != self.root:
                raise NotCompiledError(f"deactivated nested shape {shape}")
            return
        path_node = g.value(shape, SH.path)
        if path_node is not None:
            path = self.path(path_node)
            rows = f"{TARGETS} ?this {path} ?v ."
        else:
            path = None
            rows = f"{TARGETS} BIND(?this AS ?v)"
        predicates = set(g.predicates(shape))
        if SH.node in predicates:  # pyshacl adds the nested shape's results as sh:detail
            raise NotCompiledError(f"sh:node on {shape} (its nested results are not reproduced)")
        for predicate in sorted(predicates & _VALUE_LEVEL, key=str):
            for parameter in g.objects(shape, predicate):
                test = self.value_test(predicate, parameter, shape, "?v", row=True)
                value = "v"
                yield self.value_check(shape, predicate, rows, path_node, test, value)
        if path is None:
            for parameter in g.objects(shape, SH.hasValue):
                test = safe(f"sameTerm(?v, {_term(parameter)})")
                yield self.value_check(shape, SH.hasValue, rows, None, test, "none")
            if predicates & (_FOCUS_LEVEL - {SH.hasValue, SH.sparql}):
                raise NotCompiledError(f"a property constraint on node shape {shape}")
        else:
            yield from self.focus_checks(shape, path, path_node)
        for holder in g.objects(shape, SH.sparql):
            yield self.sparql_check(shape, holder, path_node)
        for prop in g.objects(shape, SH.property):
            if g.value(prop, SH.path) is None:
                raise NotCompiledError(f"property shape {prop} without sh:path")
            yield from self.shape_checks(prop)

    def value_check(self, shape, predicate, rows, path_node, test, value) -> Check:
        component = _COMPONENT[predicate]
        folded = fold(test)
        if folded is not None:
            query = f"SELECT DISTINCT ?this ?v WHERE {{ {rows} FILTER(!{folded}) }}"
            test = None
        else:
            binds = " ".join(f"BIND({leaf.text} AS ?c{n})" for n, leaf in enumerate(leaves(test)))
            columns = " ".join(f"?c{n}" for n in range(len(leaves(test))))
            query = f"SELECT DISTINCT ?this ?v {columns} WHERE {{ {rows} {binds} }}"
        return Check(
            self.root, shape, component, self.severity(shape), self.message(shape), path_node,
            query, value, test,
        )  # fmt: skip

    def focus_checks(self, shape: object, path: str, path_node: object):
        g = self.g

        def check(component: URIRef, query: str, value: str = "none") -> Check:
            return Check(
                self.root, shape, component, self.severity(shape), self.message(shape),
                path_node, query, value,
            )  # fmt: skip

        for n in g.objects(shape, SH.minCount):
            n = int(n)
            if n == 1:
                yield check(
                    SH.MinCountConstraintComponent,
                    f"SELECT ?this WHERE {{ {TARGETS} FILTER NOT EXISTS {{ ?this {path} ?v }} }}",
                )
            elif n > 1:
                yield check(
                    SH.MinCountConstraintComponent,
                    f"SELECT ?this WHERE {{ {TARGETS} OPTIONAL {{ ?this {path} ?v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})",
                )
        for n in g.objects(shape, SH.maxCount):
            yield check(
                SH.MaxCountConstraintComponent,
                f"SELECT ?this WHERE {{ {TARGETS} ?this {path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {int(n)})",
            )
        for value in g.objects(shape, SH.hasValue):
            yield check(
                SH.HasValueConstraintComponent,
                f"SELECT ?this WHERE {{ {TARGETS} FILTER NOT EXISTS {{ ?this {path} ?v "
                f"FILTER(sameTerm(?v, {_term(value)})) }} }}",
            )
        for unique in g.objects(shape, SH.uniqueLang):
            if isinstance(unique, Literal) and unique.value is True:
                yield check(
                    SH.UniqueLangConstraintComponent,
                    f"SELECT DISTINCT ?this ?lang WHERE {{ {TARGETS} ?this {path} ?a . "
                    f"?this {path} ?b FILTER(isLiteral(?a) && isLiteral(?b) && !sameTerm(?a, ?b) "
                    '&& LANG(?a) != "" && LCASE(LANG(?a)) = LCASE(LANG(?b))) '
                    "BIND(LCASE(LANG(?a)) AS ?lang) }",
                )
        for qualified in g.objects(shape, SH.qualifiedValueShape):
            test = fold(self.shape_test(qualified, "?v", row=False))
            assert test is not None
            for n in g.objects(shape, SH.qualifiedMinCount):
                yield check(
                    SH.QualifiedMinCountConstraintComponent,
                    f"SELECT ?this WHERE {{ {TARGETS} OPTIONAL {{ ?this {path} ?v "
                    f"FILTER({test}) }} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {int(n)})",
                )
            for n in g.objects(shape, SH.qualifiedMaxCount):
                yield check(
                    SH.QualifiedMaxCountConstraintComponent,
                    f"SELECT ?this WHERE {{ {TARGETS} ?this {path} ?v FILTER({test}) }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {int(n)})",
                )
        for other in g.objects(shape, SH.equals):
            o = _term(other)
            yield check(
                SH.EqualsConstraintComponent,
                f"SELECT DISTINCT ?this ?v WHERE {{ {{ {TARGETS} ?this {path} ?v "
                f"FILTER NOT EXISTS {{ ?this {o} ?v }} }} UNION {{ {TARGETS} ?this {o} ?v "
                f"FILTER NOT EXISTS {{ ?this {path} ?v }} }} }}",
                "v",
            )
        for other in g.objects(shape, SH.disjoint):
            yield check(
                SH.DisjointConstraintComponent,
                f"SELECT DISTINCT ?this ?v WHERE {{ {TARGETS} ?this {path} ?v . "
                f"?this {_term(other)} ?v }}",
                "v",
            )

    def sparql_check(self, shape: object, holder: object, path_node: object) -> Check:
        g = self.g
        if path_node is not None:
            raise NotCompiledError(f"SPARQL constraint on property shape {shape}")
        types = set(g.objects(holder, RDF.type))
        if types - {SH.SPARQLConstraint}:
            raise NotCompiledError(f"SPARQL constraint {holder} of another type")
        if _deactivated(g, holder):
            raise NotCompiledError(f"deactivated SPARQL constraint {holder}")
        known = {SH.select, SH.prefixes, SH.message, RDF.type}
        if any(p not in known for p in g.predicates(holder)):
            raise NotCompiledError(f"SPARQL constraint {holder} has other parameters")
        if list(g.objects(shape, SH.message)):
            raise NotCompiledError(f"{shape} has a message besides its SPARQL constraint's")
        select = str(_one(g, holder, SH.select))
        if re.search(r"\b(PREFIX|BASE)\b", select, re.IGNORECASE) or re.search(
            r"[$?](currentShape|shapesGraph|failure)\b", select
        ):
            raise NotCompiledError(f"SPARQL constraint {holder}: prologue or pre-bound variables")
        # The query is joined with the focus nodes instead of run once per focus node with
        # $this pre-bound; the two agree when $this is bound by the first triple pattern.
        if not re.match(r"\s*SELECT\s+(DISTINCT\s+)?[$]this\b[^{]*WHERE\s*\{\s*[$]this\s", select):
            raise NotCompiledError(f"SPARQL constraint {holder} does not start from $this")
        inner = select.replace("$this", "?this")
        query = self.prologue(holder) + f"SELECT DISTINCT * WHERE {{ {TARGETS} {{ {inner} }} }}"
        return Check(
            self.root, shape, SH.SPARQLConstraintComponent, self.severity(shape),
            self.message(holder), None, query, "sparql",
        )  # fmt: skip

    # -- conformance of one node ----------------------------------------------------------

    def value_test(self, predicate: URIRef, parameter: object, shape, x: str, row: bool):
        """The test that a value node ``x`` passes one value-level constraint."""
        g = self.g
        if predicate == SH["class"]:
            return safe(f"EXISTS {{ {x} <{RDF.type}>/<{RDFS.subClassOf}>* {_term(parameter)} }}")
        if predicate == SH.nodeKind:
            kinds = {
                SH.IRI: "isIRI({x})",
                SH.BlankNode: "isBlank({x})",
                SH.Literal: "isLiteral({x})",
                SH.BlankNodeOrIRI: "!isLiteral({x})",
                SH.IRIOrLiteral: "!isBlank({x})",
                SH.BlankNodeOrLiteral: "!isIRI({x})",
            }
            if parameter not in kinds:
                raise NotCompiledError(f"sh:nodeKind {parameter}")
            return safe(kinds[parameter].format(x=x))
        if predicate == SH["in"]:
            members = [f"sameTerm({x}, {_term(m)})" for m in Collection(g, parameter)]
            return safe(" || ".join(members) or "false")
        if predicate == SH.languageIn:
            wanted = [str(m).lower() for m in Collection(g, parameter)]
            if any(not isinstance(m, Literal) for m in Collection(g, parameter)):
                raise NotCompiledError("sh:languageIn with a non-literal")
            if "*" in wanted:
                return safe(f'isLiteral({x}) && LANG({x}) != ""')
            if any(not re.fullmatch(r"[a-z0-9-]+", w) for w in wanted):
                raise NotCompiledError(f"sh:languageIn {wanted}")
            quoted = ", ".join(f'"{w}"' for w in wanted)
            tag = f"LCASE(LANG({x}))"
            return safe(
                f'isLiteral({x}) && LANG({x}) != "" && ({tag} IN ({quoted}) || '
                f'STRBEFORE(CONCAT({tag}, "-"), "-") IN ({quoted}))'
            )
        if predicate in (SH.minLength, SH.maxLength):
            n = int(parameter)
            if predicate == SH.minLength and n == 0:
                return Expr("true")
            op = ">=" if predicate == SH.minLength else "<="
            return safe(f"!isBlank({x}) && STRLEN(STR({x})) {op} {n}")
        if predicate in (SH["or"], SH["and"], SH.xone):
            op = {SH["or"]: "any", SH["and"]: "all", SH.xone: "one"}[predicate]
            return Combo(op, tuple(self.shape_test(m, x, row) for m in Collection(g, parameter)))
        if predicate == SH["not"]:
            return Combo("not", (self.shape_test(parameter, x, row),))
        if predicate == SH.node:
            return self.shape_test(parameter, x, row)
        # Python-only: rdflib decides what a well-typed literal is and how literals compare.
        if not row:
            raise NotCompiledError(f"{predicate} inside a nested property shape")
        if predicate == SH.datatype:
            return Py(datatype_check(parameter))
        if predicate == SH.pattern:
            return Py(pattern_check(str(parameter)))
        return Py(range_check(predicate, parameter))

    def shape_test(self, shape: object, x: str, row: bool):
        """The test that node ``x`` conforms to ``shape`` (every constraint of it passes)."""
        g = self.g
        self.known(shape)
        if _deactivated(g, shape) or list(g.objects(shape, SH.sparql)):
            raise NotCompiledError(f"nested shape {shape} is deactivated or has SPARQL constraints")
        path_node = g.value(shape, SH.path)
        parts: list[object] = []
        if path_node is None:
            for predicate in sorted(set(g.predicates(shape)) & _VALUE_LEVEL, key=str):
                for parameter in g.objects(shape, predicate):
                    parts.append(self.value_test(predicate, parameter, shape, x, row))
            for value in g.objects(shape, SH.hasValue):
                parts.append(safe(f"sameTerm({x}, {_term(value)})"))
            if set(g.predicates(shape)) & (_FOCUS_LEVEL - {SH.hasValue}):
                raise NotCompiledError(f"a property constraint on nested node shape {shape}")
            for prop in g.objects(shape, SH.property):
                parts.append(self.property_test(prop, self.path(_one(g, prop, SH.path)), x))
        else:  # a property shape as a member: its own sh:property apply to its values
            parts.append(self.property_test(shape, self.path(path_node), x))
        return Combo("all", tuple(parts))

    def property_test(self, shape: object, path: str, x: str) -> Expr:
        """The test that ``x`` conforms to a property shape: one SPARQL expression over its
        values (a part that needs Python is refused here)."""
        g = self.g
        self.known(shape)
        if list(g.objects(shape, SH.sparql)) or _deactivated(g, shape):
            raise NotCompiledError(f"nested property shape {shape} with SPARQL or deactivated")
        parts = []
        for n in g.objects(shape, SH.minCount):
            if int(n) > 1:
                raise NotCompiledError(f"nested sh:minCount {n}")
            if int(n) == 1:
                parts.append(f"EXISTS {{ {x} {path} {self.var()} }}")
        for n in g.objects(shape, SH.maxCount):
            a, b = self.var(), self.var()
            if int(n) == 0:
                parts.append(f"NOT EXISTS {{ {x} {path} {a} }}")
            elif int(n) == 1:
                parts.append(
                    f"NOT EXISTS {{ {x} {path} {a} . {x} {path} {b} FILTER(!sameTerm({a}, {b})) }}"
                )
            else:
                raise NotCompiledError(f"nested sh:maxCount {n}")
        for value in g.objects(shape, SH.hasValue):
            v = self.var()
            parts.append(f"EXISTS {{ {x} {path} {v} FILTER(sameTerm({v}, {_term(value)})) }}")
        others = set(g.predicates(shape)) & (_FOCUS_LEVEL - {SH.minCount, SH.maxCount, SH.hasValue})
        if others:
            raise NotCompiledError(f"nested {sorted(others)}")
        for predicate in sorted(set(g.predicates(shape)) & _VALUE_LEVEL, key=str):
            for parameter in g.objects(shape, predicate):
                v = self.var()
                inner = fold(self.value_test(predicate, parameter, shape, v, row=False))
                assert inner is not None
                parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER(!{inner}) }}")
        for prop in g.objects(shape, SH.property):
            v = self.var()
            inner = self.property_test(prop, self.path(_one(g, prop, SH.path)), v).text
            parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER(!{inner}) }}")
        return safe(" && ".join(f"({p})" for p in parts) or "true")


def top_level_implicit(shapes: Graph) -> set[object]:
    owl_class = URIRef("http://www.w3.org/2002/07/owl#Class")
    return {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, owl_class) in shapes
    }
