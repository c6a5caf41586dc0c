"""``kg source add``: register one more source text, with its Turtle file, in one step.

A new text needs three things that must agree: the verbatim copy under ``data/sources/``
(named ``NNN_<first 16 hex of its SHA-256>.txt``), a row in ``data/sources/README.md``, and
``data/ttl/sources/source-NNN.ttl`` with the prefix block and the source document (its own
named graph, ``graph/source-NNN``). :func:`add_source` checks every field first, then writes
the three as temporary files beside their targets and renames them at the end; if anything
fails, what was already renamed is undone, so the project is never left half-changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef

from kg.editing import RefusedError
from kg.editing.turtle import prefix_block, slug, turtle_string
from kg.namespaces import DK, PREFIXES
from kg.pipeline.suggest import closest_names

SOURCES = Path("data/sources")
TURTLE = Path("data/ttl/sources")
REGISTRY = SOURCES / "README.md"
#: ``sha256sum`` format; tests/test_docs.py checks every text against it.
SUMS = SOURCES / "SHA256SUMS"
ORGN = PREFIXES["orgn"]
_DATE_FORMS = (
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d", "xsd:date"),
    (r"\d{4}-\d{2}", "%Y-%m", "xsd:gYearMonth"),
    (r"\d{4}", "%Y", "xsd:gYear"),
)


@dataclass(frozen=True)
class SourceFields:
    """What ``kg source add`` asks for; every field but ``url`` is required."""

    title: str
    date: str
    publisher: str
    genre: str
    url: str = ""
    lang: str = "sv"


@dataclass(frozen=True)
class AddedSource:
    number: str
    text: Path
    turtle: Path
    sha256: str
    publisher: str  # the publisher's IRI in prefixed form
    new_publisher: bool


def add_source(root: Path, file: Path, fields: SourceFields) -> AddedSource:
    """Copy ``file`` byte for byte, register it, and write its Turtle file; refuse (raise
    :class:`RefusedError`, nothing written) a text already registered, a file that is not UTF-8 or
    is empty, a missing or malformed field."""
    data = _read(file)
    digest = hashlib.sha256(data).hexdigest()
    _refuse_registered(root, digest)
    _refuse_missing(fields)
    datatype = date_datatype(fields.date)
    genre = _genre(root, fields.genre)
    if not re.fullmatch(r"[a-z]{2}", fields.lang):
        raise RefusedError(f"--lang {fields.lang!r}: give a two-letter ISO 639-1 code (sv, en)")
    if fields.url and not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", fields.url):
        raise RefusedError(f"--url {fields.url!r}: give an absolute http(s) URL without spaces")
    publisher, new_publisher = resolve_publisher(root, fields.publisher)
    number = next_number(root)
    text = SOURCES / f"{number}_{digest[:16]}.txt"
    turtle = TURTLE / f"source-{number}.ttl"
    body = source_turtle(number, text, digest, fields, datatype, genre, publisher, new_publisher)
    registry = (root / REGISTRY).read_text(encoding="utf-8")
    row = registry_row(text.name, fields, publisher, digest)
    sums_path = root / SUMS
    sums = sums_path.read_text(encoding="ascii") if sums_path.is_file() else ""
    replace_together(
        root,
        {
            text: data,
            turtle: body.encode("utf-8"),
            REGISTRY: add_row(registry, row).encode(),
            SUMS: (sums + f"{digest}  {text.name}\n").encode("ascii"),
        },
    )
    return AddedSource(number, text, turtle, digest, publisher, new_publisher)


def _read(file: Path) -> bytes:
    try:
        data = file.read_bytes()
    except OSError as err:
        raise RefusedError(f"{file}: cannot read it ({err.strerror})") from None
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise RefusedError(
            f"{file}: not UTF-8 (byte 0x{data[err.start]:02x} at line {line}); "
            "save it as UTF-8 and try again"
        ) from None
    if not decoded.strip():
        raise RefusedError(f"{file}: the text is empty")
    return data


def _refuse_registered(root: Path, digest: str) -> None:
    for path in sorted((root / SOURCES).glob("*.txt")):
        if hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            raise RefusedError(
                f"this text is already registered as {SOURCES / path.name} "
                f"(same SHA-256 {digest[:16]}…); quote it with `kg quote {path.name[:3]} …`"
            )


def _refuse_missing(fields: SourceFields) -> None:
    for name in ("title", "date", "publisher", "genre"):
        if not getattr(fields, name).strip():
            raise RefusedError(f"--{name} is required and may not be empty")


def date_datatype(date: str) -> str:
    """The XSD datatype of a publication date: a day, a month or a year, as far as printed."""
    for pattern, form, datatype in _DATE_FORMS:
        if re.fullmatch(pattern, date):
            try:
                dt.datetime.strptime(date, form)
            except ValueError:
                break
            return datatype
    raise RefusedError(
        f"--date {date!r}: give the date as printed, as far as it goes: YYYY-MM-DD, YYYY-MM "
        "or YYYY (a real calendar date)"
    )


def genres(root: Path) -> list[str]:
    """The genres the ontology declares (instances of dk:Genre), as local names."""
    graph = Graph().parse(root / "ontology" / "ontology.ttl", format="turtle")
    return sorted(str(g)[len(DK) :] for g in graph.subjects(RDF.type, DK.Genre))


def _genre(root: Path, given: str) -> str:
    known = genres(root)
    name = given.removeprefix("dk:")
    if name in known:
        return name
    near = closest_names(name, known)
    hint = f"did you mean dk:{near[0]}? " if near else ""
    raise RefusedError(
        f"--genre {given!r} is not a genre of the ontology; {hint}allowed: "
        + ", ".join(f"dk:{g}" for g in known)
    )


def resolve_publisher(root: Path, given: str) -> tuple[str, bool]:
    """The publisher as ``orgn:slug``: an organisation the data already describe, named by
    its IRI (``orgn:kvalitet-och-fornyelse``) or by one of its labels; a name nothing matches
    becomes a new organisation (the second value is True), which the new file describes."""
    graph = Graph()
    for path in sorted((root / "data" / "ttl").glob("**/*.ttl")):
        graph.parse(path, format="turtle")
    organisations = {
        str(s)
        for cls in (DK.Organisation, DK.Municipality)
        for s in graph.subjects(RDF.type, cls)
        if str(s).startswith(ORGN) or str(s).startswith(PREFIXES["mun"])
    }
    if given.startswith(("orgn:", "mun:")):
        prefix, local = given.split(":", 1)
        iri = PREFIXES[prefix] + local
        if iri in organisations:
            return given, False
        names = sorted(_short(o) for o in organisations)
        near = closest_names(given, names)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise RefusedError(f"--publisher {given}: no organisation with this IRI in data/ttl{hint}")
    wanted = given.strip().casefold()
    matches = sorted(
        {
            str(s)
            for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
            for s, label in graph.subject_objects(p)
            if str(s) in organisations
            and isinstance(label, Literal)
            and str(label).casefold() == wanted
        }
    )
    if len(matches) == 1:
        return _short(matches[0]), False
    if len(matches) > 1:
        raise RefusedError(
            f"--publisher {given!r} names {len(matches)} organisations: "
            + ", ".join(_short(m) for m in matches)
            + "; give one of these IRIs instead"
        )
    new = slug(given)
    if not new:
        raise RefusedError(f"--publisher {given!r}: give the organisation's name or its orgn: IRI")
    if URIRef(ORGN + new) in set(graph.subjects()):
        raise RefusedError(
            f"--publisher {given!r}: orgn:{new} exists, named otherwise; give its IRI"
        )
    return f"orgn:{new}", True


def _short(iri: str) -> str:
    for prefix in ("orgn", "mun"):
        if iri.startswith(PREFIXES[prefix]):
            return f"{prefix}:{iri[len(PREFIXES[prefix]) :]}"
    return f"<{iri}>"


def next_number(root: Path) -> str:
    """One more than the highest number used by a text or a source Turtle file."""
    used = [int(p.name[:3]) for p in (root / SOURCES).glob("[0-9][0-9][0-9]_*.txt")]
    used += [int(p.stem[-3:]) for p in (root / TURTLE).glob("source-[0-9][0-9][0-9].ttl")]
    number = max(used, default=-1) + 1
    if number > 999:
        raise RefusedError("all source numbers 000–999 are used")
    return f"{number:03d}"


def source_turtle(
    number: str,
    text: Path,
    digest: str,
    fields: SourceFields,
    datatype: str,
    genre: str,
    publisher: str,
    new_publisher: bool,
) -> str:
    """The new graph: a header comment, the prefixes, the source document and, when new, its
    publisher. Everything else the editor adds (``kg quote --append`` for the quotes)."""
    title = turtle_string(fields.title)
    lines = [
        f"# Source {number}: {fields.title.splitlines()[0]}",
        f"# Registered with `kg source add`; the text is {text.as_posix()}.",
        "# Only what the text states; resolutions go into skos:editorialNote.",
        "",
        prefix_block().rstrip("\n"),
        "",
        "# " + "-" * 75,
        "# The source document",
        "# " + "-" * 75,
        "",
        f"source:{number} a dk:SourceDocument ;",
        f"    rdfs:label {turtle_string(f'Källtext {number}: {fields.title}')}@sv ,",
        f"        {turtle_string(f'Source {number}: {fields.title}')}@en ;",
        f"    dcterms:title {title}@{fields.lang} ;",
        f"    dcterms:publisher {publisher} ;",
        f'    dcterms:issued "{fields.date}"^^{datatype} ;',
        f"    dcterms:language <http://id.loc.gov/vocabulary/iso639-1/{fields.lang}> ;",
        f"    dk:genre dk:{genre} ;",
    ]
    if fields.url:
        lines.append(f"    schema:url <{fields.url}> ;")
    lines += [
        f'    dk:sourceFile "{text.as_posix()}" ;',
        f'    dk:sha256 "{digest}" ;',
        f"    prov:wasDerivedFrom source:{number} .",
        "",
    ]
    if new_publisher:
        lines += [
            f"{publisher} a dk:Organisation ;",
            f"    rdfs:label {turtle_string(fields.publisher.strip())}@sv ;",
            f"    prov:wasDerivedFrom source:{number} .",
            "",
        ]
    lines += [
        "# " + "-" * 75,
        '# Statements (kg quote NNN "…" --append adds them here)',
        "# " + "-" * 75,
        "",
    ]
    return "\n".join(lines)


def registry_row(name: str, fields: SourceFields, publisher: str, digest: str) -> str:
    cells = [
        f"`{name}`",
        fields.title.replace("|", "\\|"),
        f"{fields.publisher.strip()} (`{publisher}`)".replace("|", "\\|"),
        fields.date,
        fields.url or "not stated",
        f"`{digest[:8]}…{digest[-4:]}`",
    ]
    return "| " + " | ".join(cells) + " |"


def add_row(registry: str, row: str) -> str:
    """The registry with ``row`` after the last row of its table of texts."""
    lines = registry.splitlines(keepends=True)
    table = [i for i, line in enumerate(lines) if line.startswith("| `")]
    if not table:
        raise RefusedError(f"{REGISTRY}: no table of texts (rows starting '| `') to add to")
    lines.insert(table[-1] + 1, row + "\n")
    return "".join(lines)


def replace_together(root: Path, files: dict[Path, bytes], rename: Callable = os.replace) -> None:
    """Write every file, or none: each goes to a temporary file in its own folder first, and
    the renames come last; a failure undoes the renames already done. A file that exists is
    restored to its old content, a new one removed."""
    staged: list[tuple[Path, Path, bytes | None]] = []
    try:
        for relative, content in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            old = target.read_bytes() if target.exists() else None
            staged.append((Path(temp), target, old))
        done: list[tuple[Path, Path, bytes | None]] = []
        try:
            for temp, target, old in staged:
                rename(temp, target)
                done.append((temp, target, old))
        except BaseException:
            for _, target, old in reversed(done):
                if old is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(old)
            raise
    finally:
        for temp, _, _ in staged:
            temp.unlink(missing_ok=True)
