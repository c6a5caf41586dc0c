"""Values as a person reads them, in the page language: dates ("9 maj 2019"), years, numbers with
the locale's decimal separator, language codes as names ("svenska"), and IRIs as the names of
the things they stand for. The datatypes and language tags that RDF carries are for machines; a
reader sees a value, and at most a small note when a text is in the other language.

Formatting follows CLDR through ``babel``, so Swedish and English dates and numbers look as the
locales expect, without a hand-written month table.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from kg.store import Term
from kg.web.site.rendering import href

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {
    XSD + t
    for t in (
        "decimal",
        "integer",
        "int",
        "long",
        "double",
        "float",
        "nonNegativeInteger",
        "positiveInteger",
    )
}
LANGUAGE_IRI = re.compile(
    r"^https?://id\.loc\.gov/vocabulary/iso639-[12]/([a-z]{2,3})$"
    r"|^http://publications\.europa\.eu/resource/authority/language/([A-Z]{3})$"
)
#: The three-letter codes the EU authority list uses for the languages our data names.
EU_LANGUAGES = {"SWE": "sv", "ENG": "en", "FIN": "fi", "NOR": "nb", "DAN": "da"}


@dataclass(frozen=True)
class Shown:
    """A value ready for a page: its text, a link, and its language when that is not the
    page's (so the template marks it with ``lang`` and a small label)."""

    text: str
    link: str | None = None
    lang: str | None = None
    title: str | None = None


def language_name(code: str, lang: str) -> str | None:
    """``sv`` → "svenska" on a Swedish page, "Swedish" on an English one."""
    try:
        return Locale.parse(code).get_display_name(lang)
    except (UnknownLocaleError, ValueError):
        return None


def language_code(iri: str) -> str | None:
    """The ISO 639 code a language IRI (Library of Congress, EU authority) stands for."""
    match = LANGUAGE_IRI.match(iri)
    if not match:
        return None
    return match.group(1) or EU_LANGUAGES.get(match.group(2) or "")


def locale_of(lang: str) -> str:
    """The CLDR locale for a page language: British English, as the site's English is."""
    return "en_GB" if lang == "en" else lang


def format_literal(value: str, datatype: str | None, lang: str) -> str:
    """A typed literal as a person writes it in ``lang``; the lexical form when it does not
    parse (a value is never hidden because it is malformed)."""
    lang = locale_of(lang)
    kind = (datatype or "").removeprefix(XSD)
    try:
        if kind == "date":
            return format_date(datetime.date.fromisoformat(value[:10]), "long", locale=lang)
        if kind == "dateTime":
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            day = format_date(moment.date(), "long", locale=lang)
            return f"{day} {moment:%H:%M}"
        if kind == "gYear":
            return str(int(value[:5] if value.startswith("-") else value[:4]))
        if kind == "gYearMonth":
            year, month = value[:7].split("-")
            return format_skeleton("yMMMM", datetime.date(int(year), int(month), 1), locale=lang)
        if datatype in NUMERIC:
            return format_decimal(Decimal(value), locale=lang, group_separator=False)
    except (ValueError, InvalidOperation):
        return value
    return value


def shown(term: Term, names: dict[str, str], lang: str) -> Shown:
    """One RDF term for a reader of a page in ``lang``."""
    if term.kind == "uri":
        code = language_code(term.value)
        if code:
            return Shown(language_name(code, lang) or code, term.value, title=term.value)
        return Shown(names.get(term.value, term.value), href(term.value, lang), title=term.value)
    if term.kind == "literal":
        if term.lang:
            other = term.lang.split("-")[0].lower()
            return Shown(term.value, lang=None if other == lang else other)
        return Shown(format_literal(term.value, term.datatype, lang))
    return Shown(term.value)
