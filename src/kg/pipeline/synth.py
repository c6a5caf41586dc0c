"""Write a deterministic synthetic project in our own ontology, for benchmarks at any size.

The real graph is small, so questions about scale (build time, start-up, query speed at a
million triples) need data of the same shape, only more of it: many awards with many editions,
the municipalities and counties, nominations at every stage, and statements quoted from
synthetic source texts with Web Annotation selectors. The output is a project root (the real
ontology and shapes are copied next to the data) that ``kg build`` accepts as it is, so a
benchmark measures the very pipeline users run. Same ``triples`` and ``seed`` → same bytes.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

BASE = "https://w3id.org/digikommun/"
DK = BASE + "ontology#"
ID = BASE + "id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
PREF_LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
XSD = "http://www.w3.org/2001/XMLSchema#"
OA = "http://www.w3.org/ns/oa#"
PROV_DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
TITLE = "<http://purl.org/dc/terms/title>"
ISSUED = "http://purl.org/dc/terms/issued"
STAGES = ("Nominated", "Nominated", "Finalist", "Winner")
#: Triples per file (one named graph each), so graphs stay the size of a real source's.
TRIPLES_PER_FILE = 20000
MUNICIPALITIES = 290
COUNTIES = 21
WORDS = [
    "digitalisering",
    "e-tjänster",
    "invånare",
    "skola",
    "vård",
    "omsorg",
    "bredband",
    "öppna",
    "data",
    "samverkan",
    "innovation",
    "ledning",
    "förvaltning",
    "medborgare",
    "tillgänglighet",
    "automatisering",
    "kommun",
]


@dataclass
class SynthResult:
    root: Path
    triples: int
    files: int


def _iri(path: str) -> str:
    return f"<{ID}{path}>"


def _dk(term: str) -> str:
    return f"<{DK}{term}>"


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


class _Writer:
    """Collects triples and rolls over to a new file (a new named graph) when one is full."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lines: list[str] = []
        self.files = 0
        self.total = 0

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .\n")
        self.total += 1

    def flush(self, force: bool = False) -> None:
        if self.lines and (force or len(self.lines) >= TRIPLES_PER_FILE):
            self.files += 1
            path = self.directory / f"synth-{self.files:04d}.ttl"
            path.write_text("".join(self.lines), encoding="utf-8", newline="\n")
            self.lines = []


def synthesise(
    target: Path, triples: int, seed: int = 1, project_root: Path | None = None
) -> SynthResult:
    """Write about ``triples`` asserted triples (±1 %) as a project under ``target``."""
    from kg.settings import PROJECT_ROOT

    source_root = project_root or PROJECT_ROOT
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    target.mkdir(parents=True, exist_ok=True)
    for name in ("ontology", "shapes"):
        shutil.rmtree(target / name, ignore_errors=True)
        shutil.copytree(source_root / name, target / name)
    data = target / "data" / "ttl" / "synth"
    sources = target / "data" / "sources"
    for directory in (data, sources):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    out = _Writer(data)

    for c in range(COUNTIES):
        county = _iri(f"county/synth-{c:02d}")
        out.add(county, RDF_TYPE, _dk("County"))
        out.add(county, LABEL, _lit(f"Syntetiska län {c}", "sv"))
        out.add(county, LABEL, _lit(f"Synthetic County {c}", "en"))
    for m in range(MUNICIPALITIES):
        mun = _iri(f"municipality/synth-{m:03d}")
        out.add(mun, RDF_TYPE, _dk("Municipality"))
        out.add(mun, LABEL, _lit(f"Syntetköping {m}", "sv"))
        out.add(mun, LABEL, _lit(f"Synthköping {m} Municipality", "en"))
        out.add(mun, _dk("municipalityCode"), _lit(f"{9000 + m:04d}"))
        out.add(mun, _dk("inCounty"), _iri(f"county/synth-{m % COUNTIES:02d}"))

    # One edition unit is about 68 triples: the edition, four nominations, two statements.
    editions = max(1, (triples - out.total) // 68)
    persons = max(10, min(editions // 4, 50 * (editions // 200 + 1)))
    for p in range(persons):
        person = _iri(f"person/synth-{p:05d}")
        out.add(person, RDF_TYPE, _dk("Person"))
        out.add(person, LABEL, _lit(f"Person {p}", "sv"))
        out.add(person, LABEL, _lit(f"Person {p}", "en"))
        out.add(person, PROV_DERIVED, _iri(f"source/synth-{p // 50:04d}"))
    out.flush()

    text_lines: list[str] = []
    document = ""
    for e in range(editions):
        if e % 200 == 0:  # a new synthetic source text every 200 editions
            document = _open_document(out, sources, e // 200, text_lines)
        award = _iri(f"award/synth-{e // 50:05d}")
        if e % 50 == 0:
            out.add(award, RDF_TYPE, _dk("Award"))
            out.add(award, LABEL, _lit(f"Syntetpriset {e // 50}", "sv"))
            out.add(award, LABEL, _lit(f"Synthetic Prize {e // 50}", "en"))
        year = 1900 + (e % 50) * 2
        edition = _iri(f"edition/synth-{e:06d}")
        out.add(edition, RDF_TYPE, _dk("AwardEdition"))
        out.add(edition, _dk("editionOf"), award)
        out.add(edition, _dk("year"), _lit(str(year), datatype=XSD + "gYear"))
        out.add(edition, LABEL, _lit(f"Syntetpriset {e // 50}, {year}", "sv"))
        out.add(edition, LABEL, _lit(f"Synthetic Prize {e // 50}, {year}", "en"))
        out.add(edition, PROV_DERIVED, document)
        for n, stage in enumerate(STAGES):
            nomination = _iri(f"nomination/synth-{e:06d}-{n}")
            mun = _iri(f"municipality/synth-{rng.randrange(MUNICIPALITIES):03d}")
            out.add(nomination, RDF_TYPE, _dk("Nomination"))
            out.add(nomination, _dk("forEdition"), edition)
            out.add(nomination, _dk("nominee"), mun)
            out.add(nomination, _dk("stage"), _dk(stage))
            for text, lang in ((f"Nominering {e}-{n}", "sv"), (f"Nomination {e}-{n}", "en")):
                # a nomination's preferred label repeats its label, as in the real data
                # (the lint rule nomination-preflabel; without it every one is reported)
                out.add(nomination, LABEL, _lit(text, lang))
                out.add(nomination, PREF_LABEL, _lit(text, lang))
            out.add(nomination, PROV_DERIVED, document)
        for s in range(2):
            words = " ".join(rng.choice(WORDS) for _ in range(6))
            quote = f"Citat {e}-{s}: vi satsar på {words}."
            statement = _iri(f"statement/synth-{e:06d}-{s}")
            selector = _iri(f"selector/synth-{e:06d}-{s}")
            out.add(statement, RDF_TYPE, _dk("Statement"))
            out.add(statement, LABEL, _lit(f"Uttalande {e}-{s}", "sv"))
            out.add(statement, LABEL, _lit(f"Statement {e}-{s}", "en"))
            out.add(statement, _dk("quote"), _lit(quote, "sv"))
            out.add(statement, _dk("translation"), _lit(f"Quote {e}-{s}: we invest in it.", "en"))
            out.add(statement, _dk("speaker"), _iri(f"person/synth-{rng.randrange(persons):05d}"))
            out.add(statement, _dk("quotedFrom"), document)
            out.add(statement, _dk("textSelector"), selector)
            out.add(statement, PROV_DERIVED, document)
            out.add(selector, RDF_TYPE, f"<{OA}TextQuoteSelector>")
            out.add(selector, f"<{OA}exact>", _lit(quote))
            out.add(selector, f"<{OA}prefix>", _lit("\n"))
            text_lines.append(quote)
        out.flush()
    _close_document(sources, text_lines)
    out.flush(force=True)
    return SynthResult(target, out.total, out.files)


def _open_document(out: _Writer, sources: Path, number: int, text_lines: list[str]) -> str:
    _close_document(sources, text_lines)
    document = _iri(f"source/synth-{number:04d}")
    out.add(document, RDF_TYPE, _dk("SourceDocument"))
    out.add(document, TITLE, _lit(f"Syntetisk källtext {number}", "sv"))
    out.add(document, _dk("sourceFile"), _lit(f"data/sources/synth-{number:04d}.txt"))
    out.add(document, _dk("genre"), _dk("NewsArticle"))
    out.add(document, f"<{ISSUED}>", _lit(f"{2000 + number % 25}-01-01", datatype=XSD + "date"))
    out.add(document, LABEL, _lit(f"Syntetisk källtext {number}", "sv"))
    out.add(document, LABEL, _lit(f"Synthetic source text {number}", "en"))
    text_lines.append(f"# synth-{number:04d}")
    return document


def _close_document(sources: Path, text_lines: list[str]) -> None:
    if len(text_lines) > 1:
        name = text_lines[0].removeprefix("# ")
        (sources / f"{name}.txt").write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    text_lines.clear()
