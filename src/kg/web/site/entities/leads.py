"""The lead sentence of an entity page: what the thing is, in one or two sentences in the page
language, written from the graph ("Lidingö är en kommun i Stockholms län som vann Sveriges
DigitaliseringsKommun 2019.").

Each kind of thing (``/id/{kind}/…``) has a writer here: a small query for the facts a reader
needs first, and the sentence built from them in Swedish and English. Every name in it links to
its page. A kind without a writer gets the general sentence: its most specific class and the
texts it comes from. Nothing here is written by hand about one thing: every word that is not
grammar comes from the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from kg.store import Term
from kg.web.site.entities.values import format_literal, language_code, language_name
from kg.web.site.entities.vocabulary_names import term_name
from kg.web.site.rendering import DK, href, iri_ref, labels, select

Row = dict[str, Term]


@dataclass
class Writer:
    """The words one lead needs: the page language and names (with links) for IRIs."""

    lang: str
    names: dict[str, str]

    @property
    def sv(self) -> bool:
        return self.lang == "sv"

    def link(self, iri: str) -> Markup:
        name = escape(self.names.get(iri, iri))
        target = href(iri, self.lang)
        return Markup('<a href="{}">{}</a>').format(target, name) if target else name

    def t(self, sv: str, en: str) -> Markup:
        """Words of the sentence in the page language (escaped: they are text, not markup)."""
        return escape(sv if self.sv else en)

    def text(self, literal: Term) -> Markup:
        """A literal in its own language: a Swedish title on an English page is marked so."""
        if literal.lang and literal.lang != self.lang:
            return Markup('<span lang="{}">{}</span>').format(literal.lang, literal.value)
        return escape(literal.value)

    def value(self, term: Term) -> Markup:
        if term.kind == "uri":
            code = language_code(term.value)
            if code:
                return escape(language_name(code, self.lang) or code)
            return self.link(term.value)
        return escape(format_literal(term.value, term.datatype, self.lang))

    def listing(self, parts: list[Markup]) -> Markup:
        """ "a, b och c" / "a, b and c"."""
        parts = list(dict.fromkeys(parts))
        if len(parts) < 2:
            return parts[0] if parts else Markup("")
        word = " och " if self.sv else " and "
        return Markup(", ").join(parts[:-1]) + escape(word) + parts[-1]


def _rows(sparql: str, iri: str) -> list[Row]:
    return select(sparql.replace("$this", iri_ref(iri)))


def _values(rows: list[Row], name: str) -> list[Term]:
    seen: list[Term] = []
    for row in rows:
        if name in row and row[name] not in seen:
            seen.append(row[name])
    return seen


def _iris(rows: list[Row]) -> set[str]:
    return {t.value for row in rows for t in row.values() if t.kind == "uri"}


def municipality(iri: str, w: Writer, rows: list[Row]) -> Markup:
    county = _values(rows, "county")
    won = [r for r in rows if r.get("stage") and r["stage"].value == DK + "Winner"]
    won_editions = [w.value(e) for e in _values(won, "edition")]
    other = [
        w.value(e)
        for e in _values([r for r in rows if "edition" in r], "edition")
        if w.value(e) not in won_editions
    ]
    text = w.link(iri) + w.t(" är en kommun", " is a municipality")
    if county:
        text += w.t(" i ", " in ") + w.value(county[0])
    clauses = []
    if won_editions:
        clauses.append(w.t("vann ", "won ") + w.listing(won_editions))
    if other:
        verb = "nominerades till " if w.sv else "was nominated for "
        clauses.append(escape(verb) + w.listing(other))
    if clauses:
        text += w.t(" som ", " that ") + w.listing(clauses)
    return text + Markup(".")


MUNICIPALITY = """SELECT ?county ?edition ?stage ?year WHERE {
  OPTIONAL { $this dk:inCounty ?county }
  OPTIONAL { ?n dk:nominee $this ; dk:forEdition ?edition ; dk:stage ?stage .
             ?edition dk:year ?year }
} ORDER BY ?year"""


def county(iri: str, w: Writer, rows: list[Row]) -> Markup:
    members = [w.value(m) for m in _values(rows, "municipality")]
    text = w.link(iri) + w.t(" är ett län i Sverige", " is a county of Sweden")
    if members:
        text += w.t(". Grafen har ", ". The graph holds ")
        text += escape(f"{len(members)} ")
        text += w.t("av dess kommuner: ", "of its municipalities: ")
        text += w.listing(members)
    return text + Markup(".")


COUNTY = """SELECT ?municipality ?name WHERE {
  OPTIONAL { ?municipality dk:inCounty $this . ?municipality skos:prefLabel ?name
             FILTER (lang(?name) = "sv") }
} ORDER BY ?name"""


def edition(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = w.link(iri)
    if "year" in row and "award" in row:
        year = w.value(row["year"])
        award = w.value(row["award"])
        text += (
            Markup(" var omgången ") + year + Markup(" av ") + award
            if w.sv
            else Markup(" was the ") + year + Markup(" round of ") + award
        )
    winners = [w.value(v) for v in _values(rows, "winner")]
    count = len(_values(rows, "nominee"))
    if count:
        text += w.t(f", med {count} nominerade", f", with {count} nominees")
    text += Markup(".")
    if winners:
        text += w.t(" Vinnare blev ", " The winner was ") + w.listing(winners)
        if "ceremony" in row:
            text += w.t(", utsedd vid ", ", named at ") + w.value(row["ceremony"])
            if "date" in row:
                text += _on(w, row["date"])
            if "place" in row:
                text += w.t(" i ", " in ") + w.value(row["place"])
        text += Markup(".")
    return text


EDITION = """SELECT ?year ?award ?winner ?nominee ?ceremony ?date ?place WHERE {
  OPTIONAL { $this dk:year ?year }
  OPTIONAL { $this dk:editionOf ?award }
  OPTIONAL { ?n dk:forEdition $this ; dk:nominee ?nominee }
  OPTIONAL { ?won dk:forEdition $this ; dk:stage dk:Winner ; dk:nominee ?winner }
  OPTIONAL { $this dk:ceremony ?ceremony OPTIONAL { ?ceremony dk:startDate ?date }
             OPTIONAL { ?ceremony dk:partOfEvent?/dk:location ?place } }
}"""


def _on(w: Writer, date: Term) -> Markup:
    """ " den 12 november 2019" for a day, " i maj 2022" for a month or a year."""
    day = (date.datatype or "").endswith(("#date", "#dateTime"))
    return (w.t(" den ", " on ") if day else w.t(" i ", " in ")) + w.value(date)


def nomination(iri: str, w: Writer, rows: list[Row]) -> Markup:
    nominees = [w.value(n) for n in _values(rows, "nominee")]
    stages = {t.value for t in _values(rows, "stage")}
    editions = _values(rows, "edition")
    if not nominees or not editions:
        return general(iri, w, [])
    where = w.value(editions[0])
    if DK + "Winner" in stages:
        verb = " vann " if w.sv else " won "
    elif DK + "Finalist" in stages:
        verb = " var finalist i " if w.sv else " was a finalist in "
    else:
        verb = " nominerades till " if w.sv else " was nominated for "
    return w.listing(nominees) + escape(verb) + where + Markup(".")


NOMINATION = """SELECT ?nominee ?stage ?edition WHERE {
  OPTIONAL { $this dk:nominee ?nominee }
  OPTIONAL { $this dk:stage ?stage }
  OPTIONAL { $this dk:forEdition ?edition }
}"""


def _posts(w: Writer, rows: list[Row]) -> list[Markup]:
    """One clause per post (title and organisation), its attestation dates together: two texts
    that attest the same post make one clause, not two."""
    grouped: dict[tuple[Markup, str], list[Markup]] = {}
    for row in rows:
        if "title" not in row and "organisation" not in row:
            continue
        title = w.text(row["title"]) if "title" in row else Markup("")
        org = row["organisation"].value if "organisation" in row else ""
        dates = grouped.setdefault((title, org), [])
        if "date" in row and w.value(row["date"]) not in dates:
            dates.append(w.value(row["date"]))
    out = []
    for (title, org), dates in grouped.items():
        part = title
        if org:
            part += w.t(" i ", " at ") + w.link(org)
        if dates:
            part += Markup(" (") + w.listing(dates) + Markup(")")
        out.append(part)
    return out


def person(iri: str, w: Writer, rows: list[Row]) -> Markup:
    posts = _posts(w, rows)
    text = w.link(iri)
    if posts:
        text += w.t(" var ", " was ") + w.listing(posts)
    else:
        text += w.t(" är en person som källtexterna nämner", " is a person the texts name")
    text += Markup(".")
    quotes = int(rows[0]["quotes"].value) if rows and "quotes" in rows[0] else 0
    if quotes:
        text += (
            escape(f" Grafen har {quotes} citat av {w.names.get(iri, '')}.")
            if w.sv
            else escape(f" The graph holds {quotes} quote{'s' if quotes > 1 else ''} by them.")
        )
    return text


PERSON = """SELECT ?title ?organisation ?date ?quotes WHERE {
  { SELECT (COUNT(DISTINCT ?s) AS ?quotes)
    WHERE { OPTIONAL { ?s dk:speaker $this ; dk:quote ?q } } }
  OPTIONAL { ?post dk:heldBy $this .
    OPTIONAL { ?post dk:postTitle ?title } OPTIONAL { ?post dk:postIn ?organisation }
    OPTIONAL { ?post dk:attestedOn ?date } }
} ORDER BY ?date"""


def post(iri: str, w: Writer, rows: list[Row]) -> Markup:
    holders = [w.value(p) for p in _values(rows, "person")]
    posts = _posts(w, rows)
    if not holders or not posts:
        return general(iri, w, [])
    return w.listing(holders) + w.t(" var ", " was ") + posts[0] + Markup(".")


POST = """SELECT ?person ?title ?organisation ?date WHERE {
  OPTIONAL { $this dk:heldBy ?person }
  OPTIONAL { $this dk:postTitle ?title } OPTIONAL { $this dk:postIn ?organisation }
  OPTIONAL { $this dk:attestedOn ?date }
}"""


def jury(iri: str, w: Writer, rows: list[Row]) -> Markup:
    text = w.link(iri)
    editions = [w.value(e) for e in _values(rows, "edition")]
    if editions:
        text += w.t(" valde vinnaren av ", " chose the winner of ")
        text += w.listing(editions)
    else:
        text += w.t(" är en jury", " is a jury")
    text += Markup(".")
    chairs = [w.value(r["person"]) for r in rows if "person" in r and r.get("chair")]
    members = [w.value(r["person"]) for r in rows if "person" in r and not r.get("chair")]
    if chairs:
        text += w.t(" Ordförande var ", " Its chair was ") + w.listing(chairs)
        text += Markup(".")
    if members:
        text += w.t(" Ledamöter: ", " Members: ") + w.listing(members)
        text += Markup(".")
    if not chairs and not members:
        text += w.t(
            " Källtexterna namnger inte dess ledamöter.", " The texts do not name its members."
        )
    return text


JURY = """SELECT ?edition ?person ?chair WHERE {
  { ?edition dk:jury $this }
  UNION { ?post dk:postIn $this ; dk:heldBy ?person .
          OPTIONAL { ?post dk:postTitle ?t FILTER (CONTAINS(LCASE(STR(?t)), "ordförande")
                                                 || CONTAINS(LCASE(STR(?t)), "chair")) }
          BIND (BOUND(?t) AS ?chair) }
}"""


def organisation(iri: str, w: Writer, rows: list[Row]) -> Markup:
    text = w.link(iri) + w.t(" är en organisation", " is an organisation")
    parents = [w.value(p) for p in _values(rows, "parent")]
    if parents:
        text += w.t(" inom ", " within ") + w.listing(parents)
    people = len(_values(rows, "person"))
    if people:
        text += w.t(
            f"; grafen känner {people} {'person' if people == 1 else 'personer'} med "
            "befattningar där",
            f"; the graph knows {people} {'person' if people == 1 else 'people'} with posts there",
        )
    return text + Markup(".")


ORGANISATION = """SELECT ?parent ?person WHERE {
  OPTIONAL { $this dk:subOrganisationOf ?parent }
  OPTIONAL { ?post dk:postIn $this ; dk:heldBy ?person }
}"""

#: Swedish gender of each kind of initiative, for its article ("en tjänst", "ett projekt").
NEUTER = {DK + "ProjectKind", DK + "ProgrammeKind"}


def initiative(iri: str, w: Writer, rows: list[Row]) -> Markup:
    kinds = _values(rows, "kind")
    text = w.link(iri)
    if kinds:
        noun = escape(w.names.get(kinds[0].value, ""))
        if w.sv:
            text += escape(" är ett " if kinds[0].value in NEUTER else " är en ") + noun
        else:
            text += escape(" is an " if noun[:1] in "aeiou" else " is a ") + noun
    else:
        text += w.t(" är en satsning", " is an initiative")
    owners = [w.value(o) for o in _values(rows, "of")]
    if owners:
        text += w.t(" av ", " of ") + w.listing(owners)
    since = _values(rows, "since")
    if since:
        text += w.t(" sedan ", " since ") + w.value(since[0])
    sources = [w.value(s) for s in _values(rows, "source")]
    if sources:
        text += w.t(", enligt ", ", according to ") + w.listing(sources)
    return text + Markup(".")


INITIATIVE = """SELECT ?kind ?of ?since ?source WHERE {
  OPTIONAL { $this dk:initiativeKind ?kind }
  OPTIONAL { $this dk:initiativeOf ?of }
  OPTIONAL { $this dk:startYear ?since }
  OPTIONAL { $this prov:wasDerivedFrom ?source . ?source a dk:SourceDocument }
}"""


def statement(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = w.t("Ett citat", "A quote")
    if "speaker" in row:
        text += w.t(" av ", " by ") + w.value(row["speaker"])
    if "speaksFor" in row and row["speaksFor"] != row.get("speaker"):
        text += w.t(" för ", " for ") + w.value(row["speaksFor"])
    if "statedAt" in row:
        text += w.t(" vid ", " at ") + w.value(row["statedAt"])
    if "source" in row:
        text += w.t(", ur ", ", from ") + w.value(row["source"])
    return text + Markup(".")


STATEMENT = """SELECT ?speaker ?speaksFor ?statedAt ?source WHERE {
  OPTIONAL { $this dk:speaker ?speaker } OPTIONAL { $this dk:speaksFor ?speaksFor }
  OPTIONAL { $this dk:statedAt ?statedAt } OPTIONAL { $this dk:quotedFrom ?source }
} LIMIT 1"""


def source(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = w.link(iri)
    if "genre" in row:
        genre = w.names.get(row["genre"].value, "")
        text += w.t(" är en ", " is an " if genre[:1] in "aeiou" else " is a ") + escape(genre)
    else:
        text += w.t(" är en text", " is a text")
    if "publisher" in row:
        text += w.t(" publicerad av ", " published by ") + w.value(row["publisher"])
    if "issued" in row:
        text += _on(w, row["issued"])
    if "language" in row:
        text += w.t(", på ", ", in ") + w.value(row["language"])
    return text + Markup(".")


SOURCE = """SELECT ?genre ?publisher ?issued ?language WHERE {
  OPTIONAL { $this dk:genre ?genre } OPTIONAL { $this dcterms:publisher ?publisher }
  OPTIONAL { $this dcterms:issued ?issued } OPTIONAL { $this dcterms:language ?language }
} LIMIT 1"""


def award(iri: str, w: Writer, rows: list[Row]) -> Markup:
    years = [r["year"] for r in rows if "year" in r]
    text = w.link(iri) + w.t(" är en utmärkelse", " is an award")
    if years:
        first, last = w.value(years[0]), w.value(years[-1])
        text += w.t(
            f"; grafen har {len(years)} omgångar från ",
            f"; the graph holds {len(years)} editions from ",
        )
        text += first + w.t(" till ", " to ") + last
    return text + Markup(".")


AWARD = """SELECT ?year WHERE { ?e dk:editionOf $this ; dk:year ?year } ORDER BY ?year"""


def award_name(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = w.link(iri) + w.t(" är ett namn på ", " is a name of ")
    text += w.value(row["award"]) if "award" in row else w.t("utmärkelsen", "the award")
    if "start" in row:
        text += w.t(" från ", " from ") + w.value(row["start"])
    if "end" in row:
        text += w.t(" till ", " until ") + w.value(row["end"])
    return text + Markup(".")


AWARD_NAME = """SELECT ?award ?start ?end WHERE {
  OPTIONAL { ?award dk:awardName $this } OPTIONAL { $this dk:validFrom ?start }
  OPTIONAL { $this dk:validUntil ?end }
} LIMIT 1"""


def event(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = w.link(iri)
    text += w.t(" ägde rum", " took place")
    if "date" in row:
        text += _on(w, row["date"])
    if "place" in row:
        text += w.t(" på ", " at ") + w.value(row["place"])
    if "partOf" in row:
        text += w.t(" som del av ", " as part of ") + w.value(row["partOf"])
    if "organiser" in row:
        text += w.t(", arrangerat av ", ", organised by ") + w.value(row["organiser"])
    if not any(k in row for k in ("date", "place", "partOf")):
        return general(iri, w, [])
    return text + Markup(".")


EVENT = """SELECT ?date ?place ?partOf ?organiser WHERE {
  OPTIONAL { $this dk:startDate ?date } OPTIONAL { $this dk:location ?place }
  OPTIONAL { $this dk:partOfEvent ?partOf } OPTIONAL { $this dk:organiser ?organiser }
} LIMIT 1"""


def place(iri: str, w: Writer, rows: list[Row]) -> Markup:
    events = [w.value(e) for e in _values(rows, "event")]
    text = w.link(iri) + w.t(" är en plats", " is a place")
    if events:
        text += w.t(" där ", " where ") + w.listing(events)
        text += w.t(" hölls", " took place")
    return text + Markup(".")


PLACE = """SELECT ?event WHERE { OPTIONAL { ?event dk:location $this } }"""


def question(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = (
        escape("Frågan ”") + w.link(iri) + escape("” ställs")
        if w.sv
        else (Markup("The question “") + w.link(iri) + Markup("” is asked"))
    )
    if "source" in row:
        text += w.t(" i ", " in ") + w.value(row["source"])
    answers = len(_values(rows, "answer"))
    if answers:
        text += w.t(f"; {answers} svar finns i grafen", f"; the graph holds {answers} answers")
    return text + Markup(".")


QUESTION = """SELECT ?source ?answer WHERE {
  OPTIONAL { $this dk:quotedFrom ?source } OPTIONAL { ?answer dk:answers $this }
}"""


def quantity(iri: str, w: Writer, rows: list[Row]) -> Markup:
    row = rows[0] if rows else {}
    text = w.t("Antalet ", "The number ") + w.link(iri)
    if "source" in row:
        text += w.t(" anges i ", " is stated in ") + w.value(row["source"])
    if "value" in row:
        about = (
            w.t(" omkring ", " about ")
            if row.get("approx") and row["approx"].value == "true"
            else Markup(" ")
        )
        text += escape(":") + about + w.value(row["value"])
    return text + Markup(".")


QUANTITY = """SELECT ?value ?approx ?source WHERE {
  OPTIONAL { $this dk:quantityValue ?value } OPTIONAL { $this dk:approximate ?approx }
  OPTIONAL { $this prov:wasDerivedFrom ?source . ?source a dk:SourceDocument }
} LIMIT 1"""


def record(iri: str, w: Writer, rows: list[Row]) -> Markup:
    """A reified link to another dataset: what it says and which pages state it."""
    row = rows[0] if rows else {}
    if not {"subject", "predicate", "object"} <= set(row):
        return general(iri, w, [])
    predicate = row["predicate"].value
    name = term_name(predicate, w.lang) or w.names.get(predicate, predicate)
    text = w.t("En uppgift om ", "A record about ") + w.value(row["subject"])
    text += escape(f": {name} ") + w.value(row["object"])
    sources = [w.value(s) for s in _values(rows, "source")]
    if sources:
        text += w.t(", enligt ", ", according to ") + w.listing(sources)
    return text + Markup(".")


RECORD = """SELECT ?subject ?predicate ?object ?source WHERE {
  $this rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object .
  OPTIONAL { $this prov:wasDerivedFrom ?source }
}"""


def selector(iri: str, w: Writer, rows: list[Row]) -> Markup:
    """Where a quote stands in its source text."""
    row = rows[0] if rows else {}
    if "exact" not in row:
        return general(iri, w, [])
    words = row["exact"].value
    short = words if len(words) <= 80 else words[:77].rstrip() + "…"
    text = w.t("En markering av texten ”", "A selection of the text “")
    text += Markup('<span lang="sv">{}</span>').format(short) + w.t("”", "”")
    if "thing" in row:
        text += w.t(", citerad i ", ", quoted in ") + w.value(row["thing"])
    return text + Markup(".")


SELECTOR = """SELECT ?exact ?thing WHERE {
  $this oa:exact ?exact . OPTIONAL { ?thing dk:textSelector $this }
} LIMIT 1"""


def general(iri: str, w: Writer, rows: list[Row]) -> Markup:
    """Any thing: its most specific class in our ontology and the texts it comes from."""
    rows = rows or _rows(GENERAL, iri)
    w.names.update(labels(_iris(rows), w.lang))
    classes = [w.value(c) for c in _values(rows, "class")][:1]
    sources = [w.value(s) for s in _values(rows, "source")]
    text = w.link(iri)
    if classes:
        text += Markup(" – ") + classes[0]
    if sources:
        text += w.t(", enligt ", ", according to ") + w.listing(sources)
    return text + Markup(".")


GENERAL = """SELECT ?class ?source WHERE {
  OPTIONAL { $this a ?class FILTER (STRSTARTS(STR(?class), STR(dk:)))
             FILTER NOT EXISTS { $this a ?sub .
                                 ?sub rdfs:subClassOf ?class FILTER (?sub != ?class) } }
  OPTIONAL { $this prov:wasDerivedFrom ?source }
}"""

WRITERS: dict[str, tuple[str, Callable[[str, Writer, list[Row]], Markup]]] = {
    "municipality": (MUNICIPALITY, municipality),
    "county": (COUNTY, county),
    "edition": (EDITION, edition),
    "nomination": (NOMINATION, nomination),
    "person": (PERSON, person),
    "post": (POST, post),
    "jury": (JURY, jury),
    "organisation": (ORGANISATION, organisation),
    "initiative": (INITIATIVE, initiative),
    "statement": (STATEMENT, statement),
    "source": (SOURCE, source),
    "award": (AWARD, award),
    "award-name": (AWARD_NAME, award_name),
    "event": (EVENT, event),
    "place": (PLACE, place),
    "question": (QUESTION, question),
    "quantity": (QUANTITY, quantity),
    "record": (RECORD, record),
    "selector": (SELECTOR, selector),
}


def lead(kind: str, iri: str, lang: str) -> Markup:
    """The lead sentence of the page about ``iri`` in ``lang``, names linked."""
    sparql, write = WRITERS.get(kind, (GENERAL, general))
    rows = _rows(sparql, iri)
    writer = Writer(lang, labels(_iris(rows) | {iri}, lang))
    return write(iri, writer, rows)
