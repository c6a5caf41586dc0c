"""SPARQL 1.1's lexical grammar, complete: the one reading every safety check is decided from.

The endpoint must know, before any engine sees a text, whether it holds ``SERVICE``, ``FROM``,
``LOAD`` or another update keyword, which query form it has and how deeply it nests brackets.
Words may sit in strings, IRIs, comments, prefixed names and variables, so the text is cut into
the terminals of the SPARQL 1.1 grammar (section 19.8): the four string forms with their
escapes, IRIs (which may contain ``#``), comments, prefixed names with ``PN_LOCAL`` escapes,
``:`` and ``.``, blank-node labels, variables, language tags, numbers, punctuation and
keywords (case-insensitive, except ``a``). A text that is not a sequence of these terminals is
a lexical error, and the checks refuse it: nothing that cannot be read is ever judged safe.

Two engines read code-point escapes differently, and the text is read both ways:

- SPARQL 1.1 (section 19.2) and rdflib apply ``\\uXXXX``/``\\UXXXXXXXX`` to the whole text
  before parsing, so ``\\u0053ERVICE`` is ``SERVICE`` and ``\\u0022`` can end a string;
- Oxigraph (measured, 0.5) reads them only inside strings and IRIs, as Turtle does.

The verdict is the union of both readings: a keyword seen in either counts, and a lexical
error in either refuses the text. Where the two agree (no backslash in the text) one pass does.

Two things no context-free lexer can settle alone are made explicit, so a caller sends the
text through the full parser instead of trusting the tokens (:attr:`Shape.needs_parse`):

- Oxigraph matches keywords without a word boundary (measured: ``SERVICE:x`` and
  ``SERVICEfoo:x`` call ``:x`` and ``foo:x``; ``trueSERVICE`` is ``true SERVICE``). A bare
  word must therefore be exactly one keyword, and the prefix of a prefixed name that contains
  a risky keyword marks the text;
- ``<`` is an IRI or the less-than operator depending on the grammar around it. Inside
  parentheses an engine may read the operator and treat the "IRI" as code
  (``FILTER(?a<?b)SERVICE?e#>``, ``FILTER(EXISTS{}<?x)SERVICE:f#>``, after a triple term
  ``<<( … )>>``). Rather than list what may end an operand (a list that missed ``}`` and ``>``,
  issue 23), such an IRI marks the text unless the token before it can only be followed by an
  operand (``(``, ``,``, an operator, ``^^``, ``IN``): the whole class, not its known members.

A keyword glued to a prefixed name (``SERVICE:x``) is counted with the keywords
(:meth:`Shape.count`), so that a caller comparing the lexer's count with another parser's
compares what an engine may really call. Comments end at a line feed or a lone carriage return
here, as in Oxigraph; a parser that ends them only at a line feed must be given the text with
carriage returns made line feeds (:func:`for_line_feed_parsers`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

#: Words that only a SPARQL Update request contains; a query never needs them.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING"}
)
QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
#: Keywords whose presence must be judged by the full parser (which resolves the IRIs they
#: name) or refused: they reach out (``SERVICE``, ``FROM``) or change data (the updates).
RISKY_KEYWORDS = frozenset({"SERVICE", "FROM"}) | UPDATE_KEYWORDS

#: Every keyword of the SPARQL 1.1 grammar (section 19.8), upper case; ``a`` is apart because
#: it alone is case-sensitive.
KEYWORDS = frozenset(
    [
    "BASE", "PREFIX", "SELECT", "DISTINCT", "REDUCED", "AS", "CONSTRUCT", "WHERE", "DESCRIBE",
    "ASK", "FROM", "NAMED", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET",
    "VALUES", "LOAD", "SILENT", "INTO", "CLEAR", "DROP", "CREATE", "ADD", "TO", "MOVE", "COPY",
    "INSERT", "DATA", "DELETE", "WITH", "USING", "DEFAULT", "GRAPH", "ALL", "OPTIONAL", "SERVICE",
    "BIND", "UNDEF", "MINUS", "UNION", "FILTER", "IN", "NOT", "STR", "LANG", "LANGMATCHES",
    "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT",
    "STRLEN", "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE",
    "STRAFTER", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ", "NOW",
    "UUID", "STRUUID", "MD5", "SHA1", "SHA256", "SHA384", "SHA512", "COALESCE", "IF", "STRLANG",
    "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX", "SUBSTR",
    "REPLACE", "EXISTS", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT",
    "SEPARATOR", "TRUE", "FALSE",
    ]
)  # fmt: skip
TYPE_KEYWORD = "a"

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# The character classes of section 19.8.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
#: Prefix names and bare words are read possessively, to the end of their run of name
#: characters: were a new token tried at every letter of ``a.a.a…``, each try would scan to the
#: end of the run (quadratic time on a hostile text). So ``true.false`` is one word, not a
#: keyword, and refused; a keyword needs white space or punctuation after it.
_PN_PREFIX = f"[{_PN_CHARS_BASE}][{_PN_CHARS}.]*+(?<!\\.)"
_WORD = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}]|\\.+(?=[{_PN_CHARS}]))*+"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_ECHAR = r"\\[tbnrf\\\"']"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_EXPONENT = "[eE][+-]?[0-9]+"


def _token_pattern(escape: str, iri_escape: str) -> re.Pattern[str]:
    """The terminals, tried in this order at each position (longest forms first where two
    share a start). ``escape`` is what may follow a backslash in a string, ``iri_escape`` what
    an IRI may hold besides its plain characters."""
    iri = '[^<>"{}|^`\\\\\\x00-\\x20]' + (f"|{iri_escape}" if iri_escape else "")
    return re.compile(
        rf"""
          (?P<ws>[\ \t\r\n]+)
        | (?P<comment>\#[^\r\n]*)
        | (?P<string>
              '''(?:(?:'|'')?(?:[^'\\]|{escape}))*'''
            | \"\"\"(?:(?:"|"")?(?:[^"\\]|{escape}))*\"\"\"
            | '(?:[^'\\\n\r]|{escape})*'
            | "(?:[^"\\\n\r]|{escape})*" )
        | (?P<iri><(?:{iri})*>)
        | (?P<pname>(?P<prefix>{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
        | (?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
        | (?P<var>[?$]{_VARNAME})
        | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
        | (?P<number>[0-9]+\.[0-9]*{_EXPONENT}|\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}
            |[0-9]*\.[0-9]+|[0-9]+)
        | (?P<word>{_WORD})
        | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{{}}()\[\];,.=<>!+\-*/^|?])
        | (?P<error>.)
        """,
        re.VERBOSE | re.DOTALL,
    )


#: The two readings: SPARQL's (escapes applied to the whole text first, so strings know only
#: ECHAR) and Oxigraph's (escapes only inside strings and IRIs).
_SPEC_TOKENS = _token_pattern(_ECHAR, "")
_ENGINE_TOKENS = _token_pattern(f"(?:{_ECHAR}|{_UCHAR})", _UCHAR)

_OPEN = "({["
_CLOSE = ")}]"
#: Tokens after which ``<`` inside parentheses can only open an IRI (or a triple term): an
#: operand must follow them. After any other token (an operand's end, such as ``?x``, ``)``,
#: ``}`` of ``EXISTS{}``, ``>`` of ``<<( … )>>``, or anything unforeseen) it may be less-than.
_OPERAND_NEXT = frozenset(
    {"(", ",", "=", "!=", "<", "<=", ">=", "&&", "||", "+", "-", "*", "/", "!", "^^", "^", "|",
     "IN", "AS", "SEPARATOR"}
)  # fmt: skip
#: Terminals read at most (white space and comments count): reading costs a few microseconds
#: per terminal in the web worker, so a megabyte of one-character terms would cost seconds. A
#: megabyte ``VALUES`` block of IRIs has about 35,000.
MAX_TERMS = 250_000
#: Reasons kept per text: enough to tell the user, and positions are found by counting lines.
MAX_REASONS = 8
#: The reason given for an IRI that an engine may read as the less-than operator.
AMBIGUOUS_IRI = "an IRI that may be the operator '<'"
#: The reason given when the readings with and without escapes see different risky keywords.
READINGS_DIFFER = "keywords that \\u escapes change"
#: Keywords after which an engine expects an IRI, so a prefixed name there is one.
_IRI_NEXT = frozenset({"FROM", "NAMED", "SERVICE", "SILENT"})
_RISKY_IN_NAME = re.compile("|".join(sorted(RISKY_KEYWORDS)), re.IGNORECASE)
#: A prefix an engine reads as keywords followed by ``SERVICE`` or ``FROM`` (measured with
#: Oxigraph 0.5: ``SERVICE:x`` and ``SERVICEfoo:x`` call out; ``fooSERVICE:x`` is an error and
#: ``fromage:x`` in a pattern a name: FROM counts only outside brackets, where a dataset
#: clause may stand). Keywords glued before it (``trueSERVICE``) are allowed for.
_GLUED_REACH = re.compile(
    "(?:" + "|".join(sorted(KEYWORDS | {TYPE_KEYWORD}, key=len, reverse=True)) + ")*?"
    "(SERVICE|FROM)",
    re.IGNORECASE,
)


def unescape_codepoints(text: str) -> str:
    r"""Apply ``\uXXXX`` and ``\UXXXXXXXX`` escapes, as SPARQL does before parsing anything.

    Without this, ``\u0053ERVICE`` would pass a check that looks for ``SERVICE``.
    """
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)

    return _ESCAPE.sub(replace, text)


@dataclass(frozen=True)
class Shape:
    """What the checks read from a query text.

    ``words`` are its keyword tokens (upper case, ``a`` as is) in order, as Oxigraph reads them
    (plus any the other reading adds); ``depth`` its deepest
    bracket nesting; ``error`` says where the text stops being SPARQL 1.1 terminals (None if it
    never does); ``risky`` names what only the full parser may judge (a risky keyword, one
    hidden in a prefixed name, or an IRI that may be a ``<`` operator); ``prefixes`` are the
    names the prologue declares; ``glued`` the ``SERVICE`` and ``FROM`` keywords an engine
    reads at the front of a prefixed name (``SERVICE:x``), which :meth:`count` adds to the words.
    """

    words: tuple[str, ...]
    depth: int
    error: str | None = None
    risky: tuple[str, ...] = ()
    prefixes: frozenset[str] = frozenset()
    glued: tuple[str, ...] = ()

    def count(self, keyword: str) -> int:
        """How often an engine may read ``keyword`` (``SERVICE`` or ``FROM``) as code: as a
        word, or glued to the front of a prefixed name (``glued``)."""
        return self.words.count(keyword) + self.glued.count(keyword)

    @property
    def operation(self) -> str:
        """``update`` if the text is (or contains) a SPARQL update, else ``query``.

        Queries never use the update keywords, so one of them anywhere as a keyword marks an
        update, even after a query (``SELECT … ; INSERT DATA …``).
        """
        return "update" if UPDATE_KEYWORDS.intersection(self.words) else "query"

    @property
    def form(self) -> str | None:
        """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``: the first query-form keyword."""
        return next((word for word in self.words if word in QUERY_FORMS), None)

    @property
    def mentions_service(self) -> bool:
        """Whether an engine may read ``SERVICE`` in the text (as a keyword, or glued to a
        prefixed name)."""
        return any("SERVICE" in reason or AMBIGUOUS_IRI in reason for reason in self.risky)

    @property
    def needs_parse(self) -> bool:
        """False only when the tokens prove that no risky keyword can be code in the text."""
        return bool(self.risky)


#: Texts up to this many characters are remembered by :func:`shape` (1,024 of them at most).
REMEMBERED_LENGTH = 1 << 16


def shape(text: str) -> Shape:
    """Read ``text`` (as the client sent it) both ways; never fails, whatever the input.

    Remembered per text (a pure function, and clients repeat their queries), for texts up to
    :data:`REMEMBERED_LENGTH`: 1,024 texts of a megabyte each would hold a gigabyte."""
    return _remembered(text) if len(text) <= REMEMBERED_LENGTH else _read(text)


@lru_cache(maxsize=1024)
def _remembered(text: str) -> Shape:
    return _read(text)


def _read(text: str) -> Shape:
    engine = walk(text, _ENGINE_TOKENS)
    if "\\" not in text:
        return engine
    spec = walk(unescape_codepoints(text), _SPEC_TOKENS)
    differ = any(engine.words.count(k) != spec.words.count(k) for k in RISKY_KEYWORDS) or any(
        engine.count(k) != spec.count(k) for k in ("SERVICE", "FROM")
    )
    return Shape(
        words=engine.words + tuple(w for w in spec.words if w not in engine.words),
        depth=max(engine.depth, spec.depth),
        error=engine.error or (spec.error and f"{spec.error} (with its \\u escapes applied)"),
        risky=tuple(dict.fromkeys(engine.risky + spec.risky + ((READINGS_DIFFER,) * differ))),
        prefixes=engine.prefixes,
        glued=engine.glued if engine.glued == spec.glued else engine.glued + spec.glued,
    )


def for_line_feed_parsers(text: str) -> str:
    """``text`` with each carriage return a line feed, for a parser (rdflib) whose comments end
    only at a line feed: Oxigraph ends them at a lone carriage return too (``#\rSERVICE``,
    issue 23). Nothing else changes its reading: a carriage return may stand only in white
    space, comments and long strings (whose value no check reads)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_key(text: str) -> tuple[str, str]:
    """What a cache keys a query text by: the text itself when short, else its SHA-256, so
    that a cache of 1,024 entries never holds 1,024 one-megabyte texts. Tagged, so that no
    text is the key of another: the text ``sha256:<hex>`` once got the answer of the long
    query of that hash (issue 23)."""
    if len(text) <= REMEMBERED_LENGTH:
        return ("text", text)
    return ("sha256", hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def declared_prefixes(text: str) -> frozenset[str]:
    """The prefix names the text's prologue declares (``PREFIX dk: <…>`` gives ``dk``)."""
    return shape(text).prefixes


def walk(text: str, tokens: re.Pattern[str] = _ENGINE_TOKENS) -> Shape:
    """One reading of ``text``: its terminals, token by token, until the first lexical error."""
    words: list[str] = []
    risky: list[str] = []
    glued: list[str] = []
    prefixes: set[str] = set()
    stack: list[str] = []  # one tag per open bracket: "(", "[", "{" or "values" (a data block)
    deepest = 0
    previous = ""  # the kind of the last token that was not white space or a comment
    in_prologue = True
    values_pending = False
    for count, match in enumerate(tokens.finditer(text)):
        if count == MAX_TERMS:
            error = f"the text has more than {MAX_TERMS} terms, at {_position(text, match.start())}"
            return Shape(tuple(words), deepest, error, tuple(risky), glued=tuple(glued))
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = match.group(kind)  # type: ignore[arg-type]
        if kind == "error" or (kind == "word" and not _is_keyword(value)):
            where = _where(text, match.start(), value)
            return Shape(tuple(words), deepest, where, tuple(risky), glued=tuple(glued))
        if kind == "word":
            word = value if value == TYPE_KEYWORD else value.upper()
            words.append(word)
            if word in RISKY_KEYWORDS and len(risky) < MAX_REASONS:
                risky.append(f"{word} at {_position(text, match.start())}")
            in_prologue = in_prologue and word in ("PREFIX", "BASE")
            values_pending = values_pending or word == "VALUES"
            kind = word
        elif kind == "pname":
            prefix = match.group("prefix") or ""
            hidden = _RISKY_IN_NAME.search(prefix)
            if hidden and len(risky) < MAX_REASONS:
                risky.append(
                    f"{hidden.group(0).upper()} in the prefixed name {value!r} at "
                    f"{_position(text, match.start())}"
                )
            if in_prologue and previous == "PREFIX":
                prefixes.add(prefix)
            elif (
                (reach := _GLUED_REACH.match(prefix))
                and previous not in _IRI_NEXT
                and (reach.group(1).upper() == "SERVICE" or not stack)  # FROM before the body
            ):
                glued.append(reach.group(1).upper())
        elif kind == "iri":
            ambiguous = previous not in _OPERAND_NEXT and stack and stack[-1] == "("
            if ambiguous and len(risky) < MAX_REASONS:
                risky.append(f"{AMBIGUOUS_IRI} at {_position(text, match.start())}")
        elif kind == "punct":
            kind = value
            if value in _OPEN:
                if value == "{" and values_pending:
                    stack.append("values")
                    values_pending = False
                elif value == "(" and stack and stack[-1] == "values":
                    stack.append("row")
                else:
                    stack.append(value)
                deepest = max(deepest, len(stack))
            elif value in _CLOSE and stack:
                stack.pop()
        if kind not in ("PREFIX", "BASE", "pname", "iri"):
            in_prologue = False
        previous = kind
    return Shape(tuple(words), deepest, None, tuple(risky), frozenset(prefixes), tuple(glued))


def _is_keyword(word: str) -> bool:
    return word == TYPE_KEYWORD or word.upper() in KEYWORDS


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _where(text: str, offset: int, value: str) -> str:
    shown = value if len(value) <= 40 else value[:40] + "…"
    if value[:1].isalpha():
        what = "is not a SPARQL 1.1 keyword"
    elif value in "'\"":
        what = "opens a string that does not close on its terms"
    else:
        what = "starts no SPARQL 1.1 term"
    return f"{shown} at {_position(text, offset)} {what}"
