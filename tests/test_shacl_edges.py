"""Compiled SHACL features our own shapes do not use, at their edges (issue 22's review).

``tests/test_shacl_store.py`` proves the store validator reports what pyshacl reports on our
shapes and a few extra ones; a breakage of a feature none of those reach (an exclusive bound
made inclusive, ``?`` paths read as ``*``, a language range's sub-tags) stayed green. Each test
here compares the two validators on data that sits on the edge, and names the results expected,
so that agreeing on nothing cannot pass.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from kg.pipeline.shacl.over_store import validate_store
from kg.pipeline.shacl.plan import compile_shapes
from tests.test_shacl_store import assert_parity, store_of

PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
EX = "http://example.org/"
SH = "http://www.w3.org/ns/shacl#"


def _results(shapes: str, data: str) -> set[tuple[str, str]]:
    """(focus local name, constraint component local name) of each result, after checking
    that both validators agree on every result."""
    found = assert_parity(
        Graph().parse(data=PREFIXES + data, format="turtle"),
        Graph().parse(data=PREFIXES + shapes, format="turtle"),
    )
    return {(k[0].removeprefix(EX), k[2].removeprefix(SH)) for k in found}


def test_value_ranges_at_their_bounds() -> None:
    """Each bound's own value: accepted by an inclusive bound, refused by an exclusive one; a
    string is never in a numeric range."""
    shapes = """
    ex:Low a sh:NodeShape ; sh:targetClass ex:T ;
      sh:property [ sh:path ex:above ; sh:minExclusive 5 ; sh:message "above 5" ] ,
                  [ sh:path ex:atMost ; sh:maxInclusive 10 ; sh:message "at most 10" ] ,
                  [ sh:path ex:atLeast ; sh:minInclusive 5 ; sh:message "at least 5" ] ,
                  [ sh:path ex:below ; sh:maxExclusive 10 ; sh:message "below 10" ] .
    """
    data = """
    ex:edge a ex:T ; ex:above 5 ; ex:atMost 10 ; ex:atLeast 5 ; ex:below 10 .
    ex:inside a ex:T ; ex:above 6 ; ex:atMost 9 ; ex:atLeast 6 ; ex:below 9 .
    ex:text a ex:T ; ex:above "7" ; ex:atMost "7" .
    """
    assert _results(shapes, data) == {
        ("edge", "MinExclusiveConstraintComponent"),
        ("edge", "MaxExclusiveConstraintComponent"),
        ("text", "MinExclusiveConstraintComponent"),
        ("text", "MaxInclusiveConstraintComponent"),
    }


def test_a_pattern_matches_anywhere_in_the_value() -> None:
    """``sh:pattern`` is a search, not a match from the start (SHACL's ``regex``)."""
    shapes = (
        "ex:S a sh:NodeShape ; sh:targetClass ex:T ; "
        'sh:property [ sh:path ex:name ; sh:pattern "b" ; sh:message "b" ] .'
    )
    data = 'ex:middle a ex:T ; ex:name "abc" . ex:none a ex:T ; ex:name "xyz" .'
    assert _results(shapes, data) == {("none", "PatternConstraintComponent")}


def test_xone_of_python_checks_refuses_a_value_passing_both() -> None:
    """``sh:xone`` whose members only Python can decide (a datatype, a pattern): exactly one."""
    shapes = """
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
      sh:property [ sh:path ex:name ; sh:message "one of" ;
        sh:xone ( [ sh:datatype xsd:string ] [ sh:pattern "^a" ] ) ] .
    """
    data = (
        'ex:both a ex:T ; ex:name "abc" . ex:one a ex:T ; ex:name "xyz" . '
        "ex:neither a ex:T ; ex:name 7 ."
    )
    assert _results(shapes, data) == {
        ("both", "XoneConstraintComponent"),
        ("neither", "XoneConstraintComponent"),
    }


def test_zero_or_one_and_one_or_more_paths_count_their_own_nodes() -> None:
    """On a chain a → b → c → d: ``ex:next?`` from a reaches a and b; ``ex:next+`` reaches b, c
    and d (not a itself). Three values meet both a minimum and a maximum of three."""
    shapes = """
    ex:S a sh:NodeShape ; sh:targetNode ex:a ;
      sh:property [ sh:path [ sh:zeroOrOnePath ex:next ] ; sh:maxCount 2 ; sh:message "?" ] ,
                  [ sh:path [ sh:oneOrMorePath ex:next ] ; sh:minCount 3 ; sh:maxCount 3 ;
                    sh:message "+" ] ,
                  [ sh:path [ sh:oneOrMorePath ex:next ] ; sh:minCount 4 ; sh:message "+ min" ] .
    """
    data = "ex:a ex:next ex:b . ex:b ex:next ex:c . ex:c ex:next ex:d ."
    assert _results(shapes, data) == {("a", "MinCountConstraintComponent")}


def test_a_language_range_takes_its_sub_tags() -> None:
    """``sh:languageIn ("sv")`` accepts ``sv-SE`` (a basic language range), not ``en``."""
    shapes = """
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
      sh:property [ sh:path ex:label ; sh:languageIn ( "sv" ) ; sh:message "Swedish" ] .
    """
    data = 'ex:regional a ex:T ; ex:label "hej"@sv-SE . ex:english a ex:T ; ex:label "hi"@en .'
    assert _results(shapes, data) == {("english", "LanguageInConstraintComponent")}


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        (
            "sh:property [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:P ] ; "
            'sh:qualifiedMinCount 1 ; sh:qualifiedValueShapesDisjoint true ; sh:message "q" ]',
            "qualifiedValueShapesDisjoint",
        ),
        (
            'sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "{$this} has none" ]',
            "template",
        ),
        (
            "sh:target [ a sh:SPARQLTarget ; "
            'sh:select "SELECT ?this WHERE { ?this a $currentShape }" ]',
            "pre-bound",
        ),
    ],
    ids=["disjoint-qualified-shapes", "message-template", "pre-bound-target-variable"],
)
def test_features_whose_meaning_the_compiler_lacks_are_left_to_pyshacl(shape, reason) -> None:
    """Disjoint qualified shapes, message templates and pre-bound variables in a SPARQL target
    would be checked wrongly by the compiled queries: the shape is refused, with the reason."""
    shapes = Graph().parse(
        data=PREFIXES
        + f'ex:Shape a sh:NodeShape ; sh:targetClass ex:T ; sh:message "m" ; {shape} .',
        format="turtle",
    )
    plan = compile_shapes(shapes)
    assert list(plan.unsupported) == [URIRef(EX + "Shape")]
    assert reason in plan.unsupported[URIRef(EX + "Shape")]
    assert plan.checks == []


def test_a_sparql_target_selecting_blank_nodes_is_left_to_pyshacl() -> None:
    """Blank nodes cannot be named in a query's VALUES: the shape is left to pyshacl at run time,
    named with the reason, and nothing of it is reported by the store validator."""
    shapes = Graph().parse(
        data=PREFIXES + 'ex:Shape a sh:NodeShape ; sh:message "named" ; '
        "sh:target [ a sh:SPARQLTarget ; "
        'sh:select "SELECT ?this WHERE { ?this <http://example.org/p> ?o }" ] ; '
        'sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "a name" ] .',
        format="turtle",
    )
    data = Graph().parse(data=PREFIXES + "[] ex:p 1 . ex:named ex:p 2 .", format="turtle")
    problems, done = validate_store(store_of(data), shapes)
    assert problems == []
    assert list(done.unsupported) == [URIRef(EX + "Shape")]
    assert "blank node" in done.unsupported[URIRef(EX + "Shape")]


def test_an_ill_typed_literal_of_a_datatype_without_a_python_kind_is_refused() -> None:
    """``"abc"^^xsd:double`` and ``"zz"^^xsd:hexBinary``: rdflib marks them ill-typed (their
    datatypes have no Python kind the check could test instead), and pyshacl refuses them."""
    shapes = """
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
      sh:property [ sh:path ex:measure ; sh:datatype xsd:double ; sh:message "double" ] ,
                  [ sh:path ex:bytes ; sh:datatype xsd:hexBinary ; sh:message "hex" ] .
    """
    data = """
    ex:bad a ex:T ; ex:measure "abc"^^xsd:double ; ex:bytes "zz"^^xsd:hexBinary .
    ex:good a ex:T ; ex:measure "1.5E0"^^xsd:double ; ex:bytes "0FB7"^^xsd:hexBinary .
    """
    found = assert_parity(
        Graph().parse(data=PREFIXES + data, format="turtle"),
        Graph().parse(data=PREFIXES + shapes, format="turtle"),
    )
    assert sorted((k[0].removeprefix(EX), k[4]) for k in found) == [
        ("bad", "double"),
        ("bad", "hex"),
    ]


@pytest.mark.xfail(
    strict=True,
    reason="pyoxigraph 0.5 stores every xsd:integer-derived literal (xsd:byte, "
    "xsd:nonNegativeInteger, xsd:positiveInteger, ...) as xsd:integer, so the store cannot "
    "tell that a value has the derived datatype a shape asks for (issue 22's review); remove "
    "this mark when the store keeps the datatype or the compiler leaves such shapes to pyshacl "
    "over the parsed files",
)
def test_a_valid_literal_of_a_derived_integer_datatype_conforms_in_both() -> None:
    shapes = """
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
      sh:property [ sh:path ex:count ; sh:datatype xsd:nonNegativeInteger ; sh:message "n" ] .
    """
    data = 'ex:good a ex:T ; ex:count "5"^^xsd:nonNegativeInteger .'
    assert _results(shapes, data) == set()


def test_a_class_target_takes_instances_of_sub_classes() -> None:
    """``sh:targetClass ex:T`` selects instances of ``ex:T``'s sub-classes at any depth, as
    pyshacl reads ``rdfs:subClassOf`` in the data graph."""
    shapes = """
    ex:S a sh:NodeShape ; sh:targetClass ex:T ;
      sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "named" ] .
    """
    data = """
    ex:Sub rdfs:subClassOf ex:T . ex:SubSub rdfs:subClassOf ex:Sub .
    ex:direct a ex:T . ex:child a ex:Sub . ex:grandchild a ex:SubSub . ex:other a ex:U .
    """
    assert _results(
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + shapes,
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + data,
    ) == {
        ("direct", "MinCountConstraintComponent"),
        ("child", "MinCountConstraintComponent"),
        ("grandchild", "MinCountConstraintComponent"),
    }


def test_the_store_validators_lines_come_in_the_in_memory_order() -> None:
    """Several problems on several nodes: the same lines in the same order as ``validate``
    (file, line, focus, path, message), whatever order the queries found them in."""
    from kg.pipeline.validate import validate

    shapes = Graph().parse(
        data=PREFIXES
        + """
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
          sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "named" ] ,
                      [ sh:path ex:age ; sh:datatype xsd:integer ; sh:message "age" ] ,
                      [ sh:path ex:name ; sh:maxLength 3 ; sh:message "short" ] .
        """,
        format="turtle",
    )
    data = Graph()  # without the text's prefixes, as the builds' union (paths read <…>)
    data += Graph().parse(
        data=PREFIXES
        + """
        ex:c a ex:T ; ex:age "old" ; ex:name "a long name" .
        ex:a a ex:T ; ex:age "young" .
        ex:b a ex:T ; ex:name "far too long" .
        ex:d a ex:T ; ex:age 3 .
        """,
        format="turtle",
    )
    problems, _ = validate_store(store_of(data), shapes)
    assert [(p.focus.removeprefix(EX), p.message) for p in problems] == [
        ("a", "age"),
        ("a", "named"),
        ("b", "short"),
        ("c", "age"),
        ("c", "short"),
        ("d", "named"),
    ]
    assert problems == list(validate(data, shapes).problems)
