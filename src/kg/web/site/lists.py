"""A page per kind of thing: ``/id/municipality/`` lists every municipality with its key facts.

Each kind's query lives in ``list_queries/{kind}.rq`` (``kg.web.site.query_files``), whose header
names the class, the columns in Swedish and English, and whose first column ``?thing`` is the
thing itself. The list sorts on the server (``?sort=code``, ``?sort=-wins`` for descending), so
sorting works without a script and every sort is a link a keyboard or a screen reader can follow.
The same rows come as CSV and JSON, by ``Accept`` or by ``/id/municipality.csv`` and
``?format=json``, for people who work in spreadsheets.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from kg.store import Term
from kg.web.site.query_files import QueryFile, read_query_file
from kg.web.site.rendering import (
    HTML,
    current_lang,
    href,
    labels,
    not_found,
    page,
    preferred,
    select,
)

lists = Blueprint("lists", __name__)

FOLDER = Path(__file__).parent / "list_queries"
CSV = "text/csv"
JSON = "application/json"
FORMATS = {"html": HTML, "csv": CSV, "json": JSON}
NUMERIC = ("integer", "decimal", "double", "float", "int", "long")


@cache
def list_files() -> dict[str, QueryFile]:
    """Every kind that has a list, by the kind's name in its IRIs (``/id/{kind}/…``)."""
    return {p.stem: read_query_file(p) for p in sorted(FOLDER.glob("*.rq"))}


def list_for_class(class_iri: str) -> str | None:
    """The list page of a class (``dk:Municipality`` → ``/id/municipality/``), if it has one."""
    for kind, spec in list_files().items():
        if spec.cls.startswith("dk:") and class_iri.endswith("#" + spec.cls[3:]):
            return f"/id/{kind}/"
    return None


@dataclass
class Cell:
    """One value: what a person reads, where it links, and what a program gets."""

    text: str
    link: str | None = None
    iri: str | None = None
    number: float | None = None
    lang: str | None = None

    def key(self) -> tuple:
        return (0, self.number, "") if self.number is not None else (1, 0, self.text.casefold())


def _cell(term: Term, names: dict[str, str], lang: str) -> Cell:
    if term.kind == "uri":
        return Cell(names.get(term.value, term.value), href(term.value, lang), term.value)
    number = None
    if term.datatype and term.datatype.rsplit("#", 1)[-1] in NUMERIC:
        number = float(term.value)
    return Cell(term.value, None, None, number, term.lang)


def rows_of(spec: QueryFile, lang: str) -> list[dict[str, list[Cell]]]:
    """One row per thing: answers that repeat a thing (a joint nomination names two nominees)
    are merged, each column keeping its distinct values."""
    answers = select(spec.sparql(lang))
    iris = {t.value for row in answers for t in row.values() if t.kind == "uri"}
    names = labels(iris, lang) if iris else {}
    columns = [name for name, _ in spec.columns]
    merged: dict[str, dict[str, list[Cell]]] = {}
    for answer in answers:
        row = merged.setdefault(answer["thing"].value, {c: [] for c in columns})
        for c in columns:
            if c in answer:
                cell = _cell(answer[c], names, lang)
                if cell not in row[c]:
                    row[c].append(cell)
    return list(merged.values())


def sorted_rows(rows: list[dict[str, list[Cell]]], column: str, descending: bool) -> list:
    """Rows ordered by one column (its first value), empty cells last either way, then by the
    thing's name."""
    filled = [r for r in rows if r[column]]
    empty = [r for r in rows if not r[column]]
    filled.sort(key=lambda r: r["thing"][0].key())
    filled.sort(key=lambda r: r[column][0].key(), reverse=descending)
    empty.sort(key=lambda r: r["thing"][0].key())
    return filled + empty


_SORT = re.compile(r"^#\s*sort:\s*(-?\w+)\s*$", re.M)


def default_sort(spec: QueryFile) -> str:
    """The order a list opens in: its file's ``# sort: column`` line (editions by year), or
    by name."""
    found = _SORT.search(spec.query)
    return found.group(1) if found else "thing"


def bad_request(reason: str) -> Response:
    return Response(reason + "\n", status=400, mimetype="text/plain")


@lists.get("/id/<kind>/")
@lists.get("/id/<kind>.<suffix>")
def kind_list(kind: str, suffix: str | None = None) -> Response:
    spec = list_files().get(kind)
    if spec is None or (suffix is not None and suffix not in ("csv", "json")):
        return not_found()
    asked = suffix or request.args.get("format")
    if asked is not None and asked not in FORMATS:
        return bad_request(f"Unknown format {asked!r}: use one of {', '.join(FORMATS)}.")
    columns = [name for name, _ in spec.columns]
    sort = request.args.get("sort", default_sort(spec))
    descending = sort.startswith("-")
    column = sort.removeprefix("-")
    if column not in columns:
        return bad_request(f"Cannot sort by {column!r}: use one of {', '.join(columns)}.")
    media = FORMATS[asked] if asked else preferred([HTML, CSV, JSON])
    if media is None:
        return Response("Not acceptable: ask for text/html, text/csv or JSON.\n", 406)
    lang = current_lang()
    rows = sorted_rows(rows_of(spec, lang), column, descending)
    if media == CSV:
        headings = {name: heading[lang] for name, heading in spec.columns}
        response = Response(as_csv(columns, rows, headings, lang), mimetype=CSV)
        response.mimetype_params["charset"] = "utf-8"
        response.headers["Content-Disposition"] = f'inline; filename="{kind}.csv"'
    elif media == JSON:
        response = Response(as_json(kind, spec, lang, columns, rows), mimetype=JSON)
    else:
        response = page(
            "list.html",
            lang=lang,
            kind=kind,
            title=spec.titles[lang],
            headings=[(name, heading[lang]) for name, heading in spec.columns],
            rows=rows,
            sort_column=column,
            descending=descending,
            sort_link=lambda name: _sort_link(name, column, descending, lang),
            data_links=[
                (f, f"/id/{kind}.{f}?{urlencode({'lang': lang, 'sort': sort})}")
                for f in ("csv", "json")
            ],
        )
    if not suffix and "format" not in request.args:
        response.vary.add("Accept")
    return response


def _sort_link(name: str, current: str, descending: bool, lang: str) -> str:
    """Sorting by a column ascending; a second click on the sorted column reverses it."""
    flip = name == current and not descending
    return "?" + urlencode({"sort": ("-" if flip else "") + name, "lang": lang})


def _flat(columns: list[str], row: dict[str, list[Cell]]) -> dict:
    """A row for programs: each column's text (several values joined by "; "), a number as a
    number, and ``column_iri`` beside every column that holds things."""
    out: dict = {}
    for c in columns:
        cells = row[c]
        value: str | int | float = "; ".join(cell.text for cell in cells)
        if len(cells) == 1 and cells[0].number is not None:
            number = cells[0].number
            value = int(number) if number.is_integer() else number
        out[c] = value
        if c == "thing" or any(cell.iri for cell in cells):
            out[f"{c}_iri"] = "; ".join(cell.iri or "" for cell in cells)
    return out


#: The byte order mark that tells a spreadsheet the file is UTF-8 (Excel reads "Lidingö"
#: as "LidingÃ¶" without it; LibreOffice, Google Sheets and Python's csv take it in stride).
BOM = "\ufeff"


def as_csv(
    columns: list[str],
    rows: list[dict[str, list[Cell]]],
    headings: dict[str, str] | None = None,
    lang: str = "sv",
) -> str:
    """A spreadsheet's table: the columns' headings in the page's language ("Kommun",
    "Kommun (IRI)"), every text quoted and numbers bare (so a code such as 0186 is text
    that keeps its zero: spreadsheets read quoted fields as text when asked to), UTF-8 with
    a byte order mark."""
    buffer = io.StringIO()
    flat = [_flat(columns, r) for r in rows]
    keys = list(
        dict.fromkeys(
            k for c in columns for k in (c, f"{c}_iri") if any(k in f for f in flat) or k == c
        )
    )
    headings = headings or {}

    def heading(key: str) -> str:
        if key.endswith("_iri") and key.removesuffix("_iri") in columns:
            return f"{headings.get(key.removesuffix('_iri'), key.removesuffix('_iri'))} (IRI)"
        return headings.get(key, key)

    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([heading(k) for k in keys])
    for row in flat:
        writer.writerow([row.get(k, "") for k in keys])
    return BOM + buffer.getvalue()


def csv_table(kind: str, lang: str) -> str:
    """The list of ``kind`` as its CSV file, in its default order (the downloads page's
    tables are these files)."""
    spec = list_files()[kind]
    columns = [name for name, _ in spec.columns]
    rows = sorted_rows(rows_of(spec, lang), *_order(default_sort(spec)))
    headings = {name: heading[lang] for name, heading in spec.columns}
    return as_csv(columns, rows, headings, lang)


def _order(sort: str) -> tuple[str, bool]:
    return sort.removeprefix("-"), sort.startswith("-")


def as_json(kind: str, spec: QueryFile, lang: str, columns: list[str], rows: list) -> str:
    body = {
        "kind": kind,
        "title": spec.titles[lang],
        "columns": {name: heading[lang] for name, heading in spec.columns},
        "items": [_flat(columns, r) for r in rows],
    }
    return json.dumps(body, ensure_ascii=False, indent=1)
