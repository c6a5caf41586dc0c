"""The store validator (kg.pipeline.shacl.over_store) reports what pyshacl reports (issue 27).

Parity is the proof that the compiled SPARQL checks are the shapes: on the real project, on
every broken-data fixture of the shapes tests, on the real project with one mutation of each
kind applied, and on extra shapes that use compiled features our own shapes do not (yet) use.
Each comparison is of the sets of (focus, path, constraint component, severity, message), and
then of the report lines themselves.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

from kg.pipeline.load import discover, load_shapes, load_union
from kg.pipeline.locate import Locator
from kg.pipeline.shacl.over_store import run_plan, validate_store
from kg.pipeline.shacl.plan import compile_shapes
from kg.pipeline.validate import SH, pyshacl_results, validate
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = sorted((FIXTURES / "shapes" / "invalid").glob("*.ttl")) + sorted(
    (FIXTURES / "validate").glob("*.ttl")
)
SHAPES = load_shapes(ROOT)
DK = Namespace("https://w3id.org/digikommun/ontology#")
ID = Namespace("https://w3id.org/digikommun/id/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OA = Namespace("http://www.w3.org/ns/oa#")


def store_of(graph: Graph) -> ox.Store:
    """The graph as the default graph of a store, through N-Triples as the builds load it."""
    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def assert_parity(data: Graph, shapes: Graph = SHAPES) -> set[tuple]:
    """The two validators' results agree; returns them (as keys)."""
    plan = compile_shapes(shapes)
    assert plan.unsupported == {}, plan.unsupported
    mine = run_plan(plan, store_of(data))
    reference = pyshacl_results(data, shapes)
    assert plan.unsupported == {}, plan.unsupported
    ours, theirs = {r.key() for r in mine}, {r.key() for r in reference}
    assert ours == theirs, {"only store": ours - theirs, "only pyshacl": theirs - ours}
    values = {(r.key(), _shown(r.value)) for r in mine}
    assert values == {(r.key(), _shown(r.value)) for r in reference}
    return ours


def _shown(term: object) -> str:
    return "_:" if isinstance(term, BNode) else str(term)


def _ontology() -> Graph:
    graph = Graph()
    for part in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(part)
    return graph


def test_fixture_count() -> None:
    """Every broken-data fixture of the shapes tests is compared (a lost folder fails here)."""
    assert len(BROKEN) == 35


def test_every_project_shape_is_compiled() -> None:
    """None of our shapes is left to pyshacl, so the streaming build never needs it for them."""
    plan = compile_shapes(SHAPES)
    assert plan.unsupported == {}
    assert {c.root for c in plan.checks} >= set(SHAPES.subjects(RDF.type, SH.NodeShape)) - {
        s for s in SHAPES.subjects(RDF.type, SH.NodeShape) if not list(SHAPES.predicates(s))
    }


def test_the_real_project_conforms_in_both() -> None:
    union, _ = load_union(discover(ROOT))
    assert assert_parity(union) == set()


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_fixture_gives_the_same_results(path: Path) -> None:
    data = _ontology().parse(path)
    assert assert_parity(data), "a broken fixture must have results"


def test_report_lines_are_the_same(tmp_path: Path) -> None:
    """Not only the results: the lines an editor reads (file, line, label, value, hint)."""
    path = FIXTURES / "shapes" / "invalid" / "nomination-with-unknown-stage.ttl"
    data = Graph()  # without the files' prefixes, as the builds' union (values read dk:…)
    data += _ontology().parse(path)
    problems, done = validate_store(store_of(data), SHAPES)
    assert done.unsupported == {}
    assert problems == list(validate(data, SHAPES).problems)
    assert problems and all(p.hint for p in problems if "stage" in p.message)


def _mutate(union: Graph) -> dict[str, tuple[object, URIRef]]:
    """One mutation of each kind on the real data; returns name → (focus, component)."""
    expected: dict[str, tuple[object, URIRef]] = {}

    def first(predicate: URIRef, obj: object = None) -> object:
        return sorted(union.subjects(predicate, obj), key=str)[0]

    nomination = first(RDF.type, DK.Nomination)
    union.remove((nomination, DK.forEdition, None))
    expected["drop a required triple"] = (nomination, SH.MinCountConstraintComponent)
    edition = first(RDF.type, DK.AwardEdition)
    union.set((edition, DK.year, Literal("2019", datatype=XSD.string)))
    expected["wrong datatype"] = (edition, SH.DatatypeConstraintComponent)
    seat = first(URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat"))
    lat = URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat")
    union.set((seat, lat, Literal("59,3", datatype=XSD.decimal)))  # ill-typed: a comma
    expected["ill-typed literal"] = (seat, SH.DatatypeConstraintComponent)
    other = sorted(union.subjects(RDF.type, DK.Nomination), key=str)[1]
    union.set((other, DK.forEdition, first(RDF.type, DK.Municipality)))
    expected["wrong class"] = (other, SH.ClassConstraintComponent)
    statement = first(RDF.type, DK.Statement)
    quote = union.value(statement, DK.quote)
    union.set((statement, DK.quote, Literal(str(quote), lang="EN")))
    expected["bad language tag"] = (statement, SH.LanguageInConstraintComponent)
    union.add((statement, DK.speakerNotStated, Literal(True)))
    expected["speaker and none stated"] = (statement, SH.XoneConstraintComponent)
    speaking = sorted(union.subjects(DK.speaker, None), key=str)[1]
    union.set((speaking, DK.speaker, Literal("Anna")))
    expected["literal speaker"] = (speaking, SH.OrConstraintComponent)
    labelled = first(RDF.type, DK.Municipality)
    union.add((labelled, RDFS.label, Literal("Ett andra namn", lang="sv")))
    expected["two Swedish labels"] = (labelled, SH.UniqueLangConstraintComponent)
    english_only = first(RDF.type, DK.County)
    union.remove((english_only, RDFS.label, Literal(str(union.value(english_only, RDFS.label)))))
    for label in list(union.objects(english_only, RDFS.label)):
        if label.language == "sv":
            union.remove((english_only, RDFS.label, label))
    expected["no Swedish label"] = (english_only, SH.QualifiedMinCountConstraintComponent)
    preferred = first(SKOS.prefLabel)
    union.add((preferred, SKOS.prefLabel, Literal("Ett annat namn", lang="en")))
    expected["prefLabel differs"] = (preferred, SH.EqualsConstraintComponent)
    alt = first(RDF.type, DK.Municipality)
    union.add((alt, SKOS.altLabel, union.value(alt, SKOS.prefLabel) or Literal("x")))
    union.add((alt, SKOS.prefLabel, union.value(alt, SKOS.altLabel)))
    expected["altLabel repeats prefLabel"] = (alt, SH.DisjointConstraintComponent)
    union.add((nomination, DK.stage, DK.Winnner))
    expected["value not in list"] = (nomination, SH.InConstraintComponent)
    expected["misspelt term"] = (DK.Winnner, SH.HasValueConstraintComponent)
    coded = first(DK.municipalityCode)
    union.set((coded, DK.municipalityCode, Literal("12345")))
    expected["pattern"] = (coded, SH.PatternConstraintComponent)
    selector = first(RDF.type, OA.TextQuoteSelector)
    union.set((selector, OA.exact, Literal("")))
    expected["empty string"] = (selector, SH.MinLengthConstraintComponent)
    union.add((selector, OA.prefix, Literal("ett andra prefix")))
    expected["two values"] = (selector, SH.MaxCountConstraintComponent)
    linked = first(RDF.type, DK.Municipality)
    union.add((linked, SKOS.exactMatch, URIRef("http://www.wikidata.org/entity/Q1")))
    expected["link without record"] = (linked, SH.SPARQLConstraintComponent)
    record = first(RDF.type, RDF.Statement)
    union.set((record, RDF.object, Literal("no such value")))
    expected["record of no triple"] = (record, SH.SPARQLConstraintComponent)
    return expected


def test_mutations_of_the_real_project_give_the_same_results() -> None:
    union, _ = load_union(discover(ROOT))
    expected = _mutate(union)
    found = assert_parity(union)
    for name, (focus, component) in expected.items():
        assert any(k[0] == str(focus) and k[2] == str(component) for k in found), name


EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:PathShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ( ex:part ex:name ) ; sh:minCount 2 ; sh:maxLength 5 ;
                sh:message "sequence" ] ,
              [ sh:path [ sh:inversePath ex:part ] ; sh:maxCount 2 ; sh:nodeKind sh:IRI ;
                sh:message "inverse" ] ,
              [ sh:path [ sh:alternativePath ( ex:a ex:b ) ] ; sh:minInclusive 1 ;
                sh:maxExclusive 10 ; sh:message "alternative" ] ,
              [ sh:path [ sh:zeroOrMorePath ex:part ] ; sh:not [ sh:class ex:Bad ] ;
                sh:message "closure" ] ,
              [ sh:path ex:part ; sh:or ( [ sh:node ex:PartShape ] [ sh:class ex:Bad ] ) ;
                sh:qualifiedValueShape [ sh:class ex:Part ] ;
                sh:qualifiedMaxCount 1 ; sh:message "node" ] ,
              [ sh:path ex:name ; sh:and ( [ sh:datatype xsd:string ] [ sh:minLength 2 ] ) ;
                sh:severity sh:Info ; sh:message "and" ] .
ex:PartShape a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:ObjectsShape a sh:NodeShape ; sh:targetObjectsOf ex:part ; sh:targetNode ex:lonely ;
  sh:hasValue ex:p1 ; sh:message "objects" .
"""

EXTRA_DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:t1 a ex:Thing ; ex:part ex:p1 , ex:p2 , ex:p3 ; ex:a 0 ; ex:b 5 , "x" ; ex:name "t" .
ex:p1 a ex:Part ; ex:name "ok" .
ex:p2 a ex:Part , ex:Bad ; ex:part ex:p3 .
ex:p3 ex:name "a much too long name" , 7 .
ex:t2 a ex:Thing ; ex:part ex:p1 .
ex:t3 a ex:Thing ; ex:part _:b .
_:b ex:name "bb" .
ex:other ex:part ex:t1 .
ex:y ex:part ex:t1 .
[] ex:part ex:t1 .
"""


def test_features_our_shapes_do_not_use_yet_agree_too() -> None:
    """Paths (sequence, inverse, alternative, closure), sh:not, sh:and, sh:node in sh:or, qualified
    maximum, minCount above 1, value ranges, targetObjectsOf and targetNode."""
    shapes = Graph().parse(data=EXTRA_SHAPES, format="turtle")
    data = Graph().parse(data=EXTRA_DATA, format="turtle")
    found = assert_parity(data, shapes)
    assert {k[4] for k in found} >= {"sequence", "inverse", "alternative", "closure", "node"}


@pytest.mark.parametrize(
    ("feature", "reason"),
    [
        ("sh:closed true", "closed"),
        ("sh:property [ sh:path ex:name ; sh:lessThan ex:other ]", "lessThan"),
        ('sh:property [ sh:path ex:name ; sh:pattern "a" ; sh:flags "i" ]', "flags"),
        ("sh:property [ sh:path ex:name ; sh:node ex:Other ]", "sh:node"),
        (
            'sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "a"@en, "b"@sv ]',
            "2 sh:message",
        ),
    ],
)
def test_a_feature_not_compiled_is_refused_not_skipped(feature: str, reason: str) -> None:
    """The shape is named as left to pyshacl, with the reason; none of its checks is run."""
    shapes = Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        f'ex:Shape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "m" ; {feature} ;'
        ' sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "named" ] .',
        format="turtle",
    )
    plan = compile_shapes(shapes)
    assert list(plan.unsupported) == [URIRef("http://example.org/Shape")]
    assert reason in plan.unsupported[URIRef("http://example.org/Shape")]
    assert plan.checks == []


def test_report_lines_name_file_and_line_with_a_locator() -> None:
    files = discover(ROOT)
    union, _ = load_union(files)
    nomination = sorted(union.subjects(RDF.type, DK.Nomination), key=str)[0]
    union.remove((nomination, DK.forEdition, None))
    locator = Locator(files)
    problems, _ = validate_store(store_of(union), SHAPES, locator)
    assert problems == list(validate(union, SHAPES, locator).problems)
    assert problems[0].file.startswith("data/ttl/") and problems[0].line > 0
