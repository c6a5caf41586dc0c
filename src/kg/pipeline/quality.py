"""The build's quality report: what was checked, what passed, and what is known to be missing.

A reader of the published graph should not have to trust that it conforms to its shapes: every
build writes, beside ``kg.nq``, a report that says so in RDF and in a form the website shows:

- the SHACL validation report (``sh:ValidationReport``, with every warning as a
  ``sh:ValidationResult``), and the house rules of ``kg lint`` with each problem they found;
- how many facts each data graph states, and how many of them carry a source in that same graph;
- the links into each outside dataset, and how many of them name the page they were read from;
- what is known to be missing: municipalities without a point, without a Swedish or English
  Wikipedia article, without a GeoNames id or a Wikidata item; counties without a Swedish
  article; organisations without any link to another dataset.

The numbers are W3C Data Quality Vocabulary measurements (``dqv:QualityMeasurement``) of metrics
defined here, so the catalogue and VoID can announce them (``dqv:hasQualityMeasurement``).

Why a file beside the artifact and not a named graph in it: the report describes the artifact
(its graphs and their counts), so inside it, it would describe itself, and every change to the
report's wording would change the data's hash. The same inputs give the same bytes: the RDF is
sorted N-Triples, nodes are named by the report's IRI and a counter over sorted results, and no
clock time is written (the dataset version, a hash of the inputs, says which build it is).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.linksets import LINK_PREDICATES, TARGETS, target_of
from kg.namespaces import BASE, PREFIXES

QUALITY_RDF = "quality.nt"
QUALITY_JSON = "quality.json"
QUALITY_FILES = (QUALITY_RDF, QUALITY_JSON)

#: The report as a whole, served at /quality; its parts are fragments of it.
QUALITY = BASE + "quality"
#: The dataset of the DCAT catalogue and of VoID, which the measurements are computed on.
DATASET = BASE + "catalog#dataset"
GRAPH = BASE + "graph/"
#: Graphs that hold the model, not facts: their triples are not counted as facts.
NOT_FACTS = ("inferred", "ontology", "alignments")

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
DQV = "http://www.w3.org/ns/dqv#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"

#: Metric slug → (dimension, English definition, Swedish definition).
METRICS: dict[str, tuple[str, str, str]] = {
    "shacl-violations": (
        "conformance",
        "SHACL results of severity Violation; a build with any is refused.",
        "SHACL-resultat med allvarlighetsgrad Violation; ett bygge med något sådant avvisas.",
    ),
    "shacl-warnings": (
        "conformance",
        "SHACL results of severity Warning (recommendations not met).",
        "SHACL-resultat med allvarlighetsgrad Warning (rekommendationer som inte följs).",
    ),
    "lint-problems": (
        "conformance",
        "Problems found by the house rules of kg lint (one SPARQL rule per file).",
        "Problem som husreglerna i kg lint hittar (en SPARQL-regel per fil).",
    ),
    "facts": (
        "verifiability",
        "Facts in a data graph: its triples about things under id/ (records of links and the "
        "provenance triples themselves not counted).",
        "Uppgifter i en datagraf: dess tripler om saker under id/ (källposter för länkar och "
        "själva proveniens-triplerna oräknade).",
    ),
    "facts-with-source": (
        "verifiability",
        "Facts with a source in their own graph: the thing (or the thing that holds it) has "
        "prov:wasDerivedFrom or dcterms:source there, or a record names the triple and its page.",
        "Uppgifter med källa i sin egen graf: saken (eller det som håller den) har "
        "prov:wasDerivedFrom eller dcterms:source där, eller en källpost anger trippeln och sidan.",
    ),
    "facts-without-source": (
        "verifiability",
        "Facts with no source in their own graph.",
        "Uppgifter utan källa i sin egen graf.",
    ),
    "links": (
        "interlinking",
        "Links from our things into one outside dataset (skos:exactMatch, schema:sameAs, "
        "foaf:isPrimaryTopicOf and the like).",
        "Länkar från våra saker in i en annan datamängd (skos:exactMatch, schema:sameAs, "
        "foaf:isPrimaryTopicOf med flera).",
    ),
    "links-with-source": (
        "interlinking",
        "Links whose record names the page that states them, with the day it was read.",
        "Länkar vars källpost anger sidan som säger dem, med dagen den lästes.",
    ),
    "missing": (
        "completeness",
        "Things of a kind that lack a kind of link or value that others of that kind have.",
        "Saker av ett slag som saknar en länk eller ett värde som andra av samma slag har.",
    ),
}
DIMENSIONS = {
    "conformance": (
        "Conformance to the shapes and house rules",
        "Överensstämmelse med former och husregler",
    ),
    "verifiability": ("Verifiability: facts traced to a source", "Spårbarhet: uppgifter med källa"),
    "interlinking": ("Interlinking with other datasets", "Länkning till andra datamängder"),
    "completeness": (
        "Completeness of the outward links and points",
        "Fullständighet för länkar och punkter",
    ),
}

#: What is known to be missing: key → (SPARQL WHERE over the default graph, sv, en).
MISSING: dict[str, tuple[str, str, str]] = {
    "municipalities-without-point": (
        f"?thing a <{BASE}ontology#Municipality> . "
        "FILTER NOT EXISTS { ?thing <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat }",
        "Kommuner utan punkt (syns inte på kartan)",
        "Municipalities without a point (not on the map)",
    ),
    "municipalities-without-swedish-article": (
        f"?thing a <{BASE}ontology#Municipality> . FILTER NOT EXISTS {{ "
        "?thing <http://xmlns.com/foaf/0.1/isPrimaryTopicOf> ?a "
        'FILTER(STRSTARTS(STR(?a), "https://sv.wikipedia.org/")) }',
        "Kommuner utan svensk Wikipediaartikel",
        "Municipalities without a Swedish Wikipedia article",
    ),
    "municipalities-without-english-article": (
        f"?thing a <{BASE}ontology#Municipality> . FILTER NOT EXISTS {{ "
        "?thing <http://xmlns.com/foaf/0.1/isPrimaryTopicOf> ?a "
        'FILTER(STRSTARTS(STR(?a), "https://en.wikipedia.org/")) }',
        "Kommuner utan engelsk Wikipediaartikel",
        "Municipalities without an English Wikipedia article",
    ),
    "municipalities-without-geonames": (
        f"?thing a <{BASE}ontology#Municipality> . FILTER NOT EXISTS {{ "
        f"?thing <{SKOS}exactMatch> ?g "
        'FILTER(CONTAINS(STR(?g), "geonames.org/")) }',
        "Kommuner utan GeoNames-id",
        "Municipalities without a GeoNames id",
    ),
    "municipalities-without-wikidata": (
        f"?thing a <{BASE}ontology#Municipality> . FILTER NOT EXISTS {{ "
        f"?thing <{SKOS}exactMatch> ?w "
        'FILTER(CONTAINS(STR(?w), "wikidata.org/")) }',
        "Kommuner utan Wikidata-objekt",
        "Municipalities without a Wikidata item",
    ),
    "counties-without-swedish-article": (
        f"?thing a <{BASE}ontology#County> . FILTER NOT EXISTS {{ "
        "?thing <http://xmlns.com/foaf/0.1/isPrimaryTopicOf> ?a "
        'FILTER(STRSTARTS(STR(?a), "https://sv.wikipedia.org/")) }',
        "Län utan svensk Wikipediaartikel",
        "Counties without a Swedish Wikipedia article",
    ),
    # Organisations have no single kind of link that all of them should have (an agency may
    # have an English article only, a newsletter none), so what is missing is any link at all:
    # a linking property of kg.linksets whose object is an IRI outside our base. Municipalities
    # and juries are organisations too (by inference), but municipalities have their own rows
    # above and a jury is the award's own body, which no other dataset describes.
    "organisations-without-link": (
        f"?thing a <{BASE}ontology#Organisation> . "
        f"FILTER NOT EXISTS {{ ?thing a <{BASE}ontology#Municipality> }} "
        f"FILTER NOT EXISTS {{ ?thing a <{BASE}ontology#Jury> }} "
        f"FILTER NOT EXISTS {{ VALUES ?p {{ {' '.join(f'<{p}>' for p in LINK_PREDICATES)} }} "
        f'?thing ?p ?o FILTER(isIRI(?o) && !STRSTARTS(STR(?o), "{BASE}")) }}',
        "Organisationer utan länk till någon annan datamängd",
        "Organisations without a link to any other dataset",
    ),
}


def _facts_query(graph: str | None = None) -> str:
    """Facts per graph, and how many have a source in that graph: the subject names one, or a
    node that points to it does, or a record (``rdf:Statement``) describes the triple.

    The sources are selected once per graph and subject (and per triple, for records) and
    joined to the facts; asked as three ``EXISTS`` per triple, the same query cost 110 s of
    CPU per million triples (``tests/test_quality_facts.py`` keeps that form as the oracle).
    With ``graph`` (an IRI) the query counts that one graph: the joins then hold one graph's
    sources, not every graph's (the build asks graph by graph, :func:`facts_by_graph`)."""
    skipped = ", ".join(f"<{GRAPH}{name}>" for name in NOT_FACTS)
    source = f"<{PROV}wasDerivedFrom>|<{DCTERMS}source>"
    g = f"<{graph}>" if graph is not None else "?g"
    key = "" if graph is not None else "?g"
    select = f"(<{graph}> AS ?g)" if graph is not None else "?g"
    group = "" if graph is not None else "GROUP BY ?g ORDER BY ?g"
    return f"""SELECT {select} (COUNT(*) AS ?facts)
      (SUM(IF(BOUND(?named) || BOUND(?recorded), 1, 0)) AS ?sourced_n) WHERE {{
      GRAPH {g} {{
        ?s ?p ?o .
        FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}id/"))
        FILTER(!STRSTARTS(STR(?s), "{BASE}id/record/"))
        FILTER(?p NOT IN (<{PROV}wasDerivedFrom>, <{DCTERMS}source>))
      }}
      FILTER(STRSTARTS(STR({g}), "{GRAPH}") && {g} NOT IN ({skipped}))
      OPTIONAL {{ SELECT DISTINCT {key} ?s (true AS ?named) WHERE {{ GRAPH {g} {{
        {{ ?s {source} ?src }} UNION {{ ?holder ?has ?s . ?holder {source} ?src2 }} }} }} }}
      OPTIONAL {{ SELECT DISTINCT {key} ?s ?p ?o (true AS ?recorded) WHERE {{ GRAPH {g} {{
        ?r <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o ;
          <{PROV}wasDerivedFrom> ?page }} }} }}
    }} {group}"""


def fact_graphs(store: ox.Store) -> list[str]:
    """The named graphs whose triples can be facts, sorted by IRI."""
    skipped = {f"{GRAPH}{name}" for name in NOT_FACTS}
    return sorted(
        g.value
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode) and g.value.startswith(GRAPH) and g.value not in skipped
    )


def _links_query() -> str:
    predicates = " ".join(f"<{p}>" for p in LINK_PREDICATES)
    return f"""SELECT ?s ?p ?o (SAMPLE(?page) AS ?a_page) (COUNT(DISTINCT ?page) AS ?pages)
      (GROUP_CONCAT(DISTINCT STR(?page); separator=" ") AS ?all_pages) WHERE {{
      VALUES ?p {{ {predicates} }}
      ?s ?p ?o .
      FILTER(isIRI(?s) && isIRI(?o) && STRSTARTS(STR(?s), "{BASE}"))
      FILTER(!STRSTARTS(STR(?o), "{BASE}"))
      OPTIONAL {{ ?r <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o ;
                   <{PROV}wasDerivedFrom> ?page . ?page <{BASE}ontology#dateRead> ?date }}
    }} GROUP BY ?s ?p ?o"""


def facts_by_graph(store: ox.Store) -> list[dict]:
    """Per data graph: its facts, and how many of them have a source in that graph. Asked one
    graph at a time, so that memory is bounded by the largest graph, not by the whole store
    (7.3 GiB at 10 M triples when one query grouped every graph)."""
    rows = []
    for graph in fact_graphs(store):
        row = next(iter(store.query(_facts_query(graph))))
        facts = int(row["facts"].value)
        if not facts:
            continue  # a graph without facts has no group in the all-graphs query
        sourced = int(row["sourced_n"].value)
        name = row["g"].value[len(GRAPH) :]
        rows.append(
            {
                "graph": name,
                "facts": facts,
                "with_source": sourced,
                "without_source": facts - sourced,
            }
        )
    return rows


def links_by_target(store: ox.Store) -> list[dict]:
    """Per outside dataset: the links into it, how many name a page read, and those pages' hosts."""
    found: dict[str, dict] = {}
    for row in store.query(_links_query()):
        target = target_of(row["o"].value)
        if target is None:
            continue
        entry = found.setdefault(
            target.slug,
            {
                "target": target.slug,
                "title": target.title,
                "links": 0,
                "with_source": 0,
                "pages": set(),
            },
        )
        entry["links"] += 1
        pages = row["all_pages"].value.split() if row["all_pages"] is not None else []
        if pages:
            entry["with_source"] += 1
            entry["pages"].update(pages)
    order = [t.slug for t in TARGETS]
    result = []
    for slug in sorted(found, key=order.index):
        entry = found[slug]
        pages = sorted(entry.pop("pages"))
        hosts = sorted({p.split("/")[2] for p in pages})
        result.append(
            {
                **entry,
                "without_source": entry["links"] - entry["with_source"],
                "pages": len(pages),
                "hosts": hosts,
            }
        )
    return result


def missing(store: ox.Store) -> dict[str, dict]:
    """Things known to lack a link or a point, each with its labels (sorted by IRI)."""
    result = {}
    for key, (where, sv, en) in MISSING.items():
        query = f"""SELECT ?thing (SAMPLE(?sv) AS ?label_sv) (SAMPLE(?en) AS ?label_en) WHERE {{
          {where}
          OPTIONAL {{ ?thing <{SKOS}prefLabel> ?sv FILTER(LANG(?sv) = "sv") }}
          OPTIONAL {{ ?thing <{SKOS}prefLabel> ?en FILTER(LANG(?en) = "en") }}
        }} GROUP BY ?thing ORDER BY ?thing"""
        things = [
            {
                "iri": row["thing"].value,
                "label_sv": row["label_sv"].value if row["label_sv"] else "",
                "label_en": row["label_en"].value if row["label_en"] else "",
            }
            for row in store.query(query)
        ]
        result[key] = {"title_sv": sv, "title_en": en, "things": things}
    return result


def report_data(
    store: ox.Store,
    version: str,
    shacl: Sequence[object],
    lint_problems: Sequence[object],
) -> dict:
    """Everything the report says, as plain data (the JSON file and the RDF come from it).

    ``store`` holds the build's named graphs and their union as its default graph;
    ``shacl`` are ``kg.pipeline.validate.Problem``s and ``lint_problems``
    ``kg.pipeline.lint.LintProblem``s.
    """
    results = [_shacl_dict(p) for p in shacl]
    facts = facts_by_graph(store)
    return {
        "version": version,
        "conforms": not any(r["severity"] == "Violation" for r in results),
        "shacl": {
            "violations": sum(r["severity"] == "Violation" for r in results),
            "warnings": sum(r["severity"] == "Warning" for r in results),
            "results": results,
        },
        "lint": {
            "problems": len(lint_problems),
            "results": [
                {
                    "rule": p.rule,
                    "message": p.message,
                    "focus": p.focus,
                    "detail": p.detail,
                    "file": p.file,
                    "line": p.line,
                }
                for p in lint_problems
            ],
        },
        "facts": facts,
        "facts_total": {
            key: sum(row[key] for row in facts)
            for key in ("facts", "with_source", "without_source")
        },
        "links": links_by_target(store),
        "missing": missing(store),
    }


def _shacl_dict(problem: object) -> dict:
    fields = ("severity", "focus", "label", "path", "message", "value", "shape", "file", "line")
    return {name: getattr(problem, name) for name in fields}


# ---------------------------------------------------------------------------------------------
# RDF: SHACL's own report vocabulary, and DQV measurements
# ---------------------------------------------------------------------------------------------


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(value: object, lang: str | None = None) -> str:
    if isinstance(value, bool):
        return f'"{str(value).lower()}"^^<{XSD}boolean>'
    if isinstance(value, int):
        return f'"{value}"^^<{XSD}integer>'
    text = str(ox.Literal(str(value)))  # N-Triples escaping
    return f"{text}@{lang}" if lang else text


def _expand(short: str) -> str | None:
    """``dk:stage`` → its IRI, for ``sh:resultPath``; None when it is not a known prefix."""
    prefix, _, local = short.partition(":")
    namespace = dict(PREFIXES).get(prefix)
    return f"{namespace}{local}" if namespace and local and " " not in short else None


def report_triples(data: dict) -> list[str]:
    """The report as N-Triples lines, sorted (the same data always gives the same bytes)."""
    out: list[tuple[str, str, str]] = []

    def add(s: str, p: str, o: str) -> None:
        out.append((s, p, o))

    q = _iri(QUALITY)
    add(q, _iri(RDF + "type"), _iri(DQV + "QualityMetadata"))
    add(q, _iri(DCTERMS + "title"), _lit("Kvalitetsrapport för kunskapsgrafen", "sv"))
    add(q, _iri(DCTERMS + "title"), _lit("Quality report of the knowledge graph", "en"))
    add(q, _iri(DCTERMS + "hasVersion"), _lit(data["version"]))
    add(q, _iri(DCTERMS + "subject"), _iri(DATASET))

    shacl = _iri(QUALITY + "#shacl")
    add(q, _iri(DCTERMS + "hasPart"), shacl)
    add(shacl, _iri(RDF + "type"), _iri(SH + "ValidationReport"))
    add(shacl, _iri(SH + "conforms"), _lit(bool(data["conforms"])))
    for n, result in enumerate(data["shacl"]["results"], 1):
        node = _iri(f"{QUALITY}#shacl-result-{n}")
        add(shacl, _iri(SH + "result"), node)
        add(node, _iri(RDF + "type"), _iri(SH + "ValidationResult"))
        add(node, _iri(SH + "focusNode"), _iri(result["focus"]))
        add(node, _iri(SH + "resultSeverity"), _iri(SH + result["severity"]))
        add(node, _iri(SH + "resultMessage"), _lit(result["message"], "en"))
        if result["shape"] and not result["shape"].startswith("_:") and "://" in result["shape"]:
            add(node, _iri(SH + "sourceShape"), _iri(result["shape"]))
        path = _expand(result["path"]) if result["path"] else None
        if path:
            add(node, _iri(SH + "resultPath"), _iri(path))
        if result["file"]:
            add(node, _iri(RDFS + "comment"), _lit(f"{result['file']}:{result['line']}"))

    for n, problem in enumerate(data["lint"]["results"], 1):
        node = _iri(f"{QUALITY}#lint-{n}")
        add(q, _iri(DCTERMS + "hasPart"), node)
        add(node, _iri(RDF + "type"), _iri(DQV + "QualityAnnotation"))
        add(node, _iri(OA + "motivatedBy"), _iri(DQV + "qualityAssessment"))
        body = f"[{problem['rule']}] {problem['focus']}: {problem['message']}"
        if problem["detail"]:
            body += f" ({problem['detail']})"
        add(node, _iri(OA + "bodyValue"), _lit(body, "en"))
        add(node, _iri(OA + "hasTarget"), _iri(DATASET))
        if problem["file"]:
            add(node, _iri(RDFS + "comment"), _lit(f"{problem['file']}:{problem['line']}"))

    for slug, (dimension, en, sv) in METRICS.items():
        metric = _iri(f"{QUALITY}#metric-{slug}")
        add(metric, _iri(RDF + "type"), _iri(DQV + "Metric"))
        add(metric, _iri(SKOS + "definition"), _lit(en, "en"))
        add(metric, _iri(SKOS + "definition"), _lit(sv, "sv"))
        add(metric, _iri(DQV + "expectedDataType"), _iri(XSD + "integer"))
        add(metric, _iri(DQV + "inDimension"), _iri(f"{QUALITY}#dimension-{dimension}"))
    for slug, (en, sv) in DIMENSIONS.items():
        dim = _iri(f"{QUALITY}#dimension-{slug}")
        add(dim, _iri(RDF + "type"), _iri(DQV + "Dimension"))
        add(dim, _iri(SKOS + "prefLabel"), _lit(en, "en"))
        add(dim, _iri(SKOS + "prefLabel"), _lit(sv, "sv"))

    def measure(name: str, metric: str, on: str, value: int, note: str | None = None) -> None:
        node = _iri(f"{QUALITY}#{name}")
        add(q, _iri(DQV + "hasQualityMeasurement"), node)
        add(node, _iri(RDF + "type"), _iri(DQV + "QualityMeasurement"))
        add(node, _iri(DQV + "isMeasurementOf"), _iri(f"{QUALITY}#metric-{metric}"))
        add(node, _iri(DQV + "computedOn"), _iri(on))
        add(node, _iri(DQV + "value"), _lit(int(value)))
        if note:
            add(node, _iri(RDFS + "label"), _lit(note, "en"))

    measure("shacl-violations", "shacl-violations", DATASET, data["shacl"]["violations"])
    measure("shacl-warnings", "shacl-warnings", DATASET, data["shacl"]["warnings"])
    measure("lint-problems", "lint-problems", DATASET, data["lint"]["problems"])
    for key, metric in (
        ("facts", "facts"),
        ("with_source", "facts-with-source"),
        ("without_source", "facts-without-source"),
    ):
        measure(metric, metric, DATASET, data["facts_total"][key])
        for row in data["facts"]:
            measure(f"{metric}-{row['graph']}", metric, GRAPH + row["graph"], row[key])
    for row in data["links"]:
        linkset = f"{BASE}void#linkset-{row['target']}"
        measure(f"links-{row['target']}", "links", linkset, row["links"])
        measure(
            f"links-with-source-{row['target']}", "links-with-source", linkset, row["with_source"]
        )
    for key, entry in data["missing"].items():
        measure(f"missing-{key}", "missing", DATASET, len(entry["things"]), entry["title_en"])
        for thing in entry["things"]:
            add(_iri(f"{QUALITY}#missing-{key}"), _iri(RDFS + "seeAlso"), _iri(thing["iri"]))
    return sorted({f"{s} {p} {o} .\n" for s, p, o in out})


def write_quality_report(
    store: ox.Store,
    folder: Path,
    version: str,
    shacl: Iterable[object],
    lint_problems: Iterable[object],
) -> dict[str, str]:
    """Write ``quality.nt`` and ``quality.json`` into ``folder``; returns name → SHA-256."""
    data = report_data(store, version, list(shacl), list(lint_problems))
    texts = {
        QUALITY_RDF: "".join(report_triples(data)),
        QUALITY_JSON: json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
    }
    hashes = {}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        hashes[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashes
