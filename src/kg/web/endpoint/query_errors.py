"""Syntax errors of SPARQL queries in words, with the line, the column and a caret.

Oxigraph's parser reports where it gave up and what its grammar would have accepted there
("error at 3:11: expected OPTIONAL", or six hundred characters of Unicode ranges after an
unknown prefix). That is true but useless to a person: the parser often gives up one token
after the real mistake. :func:`explain` looks at the query text around that spot and says
what is most likely wrong, in Swedish or English:

- a prefix that is neither declared nor one of the server's predefined prefixes;
- a string or an IRI that is not closed, or an IRI with a space in it;
- a missing ``.`` between two triples (the usual cause of "expected OPTIONAL");
- a ``{`` or ``(`` that is never closed;
- a misspelt query form (``SELEC``);

and otherwise the few tokens the grammar expected, when they are few, never a grammar dump.
:func:`explain_lexical` does the same for what the query gate (:mod:`kg.lexer`) refuses before
any parser runs: a word that is no keyword (with the nearest keyword), a string that never
closes, a character that starts no term.
The answer is a sentence, a blank line, and the query's line with a caret under the spot, so
that a terminal, the workbench and a log all show it the same way.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from kg.lexer import KEYWORDS
from kg.namespaces import PREFIXES

_POSITION = re.compile(r"error at (\d+):(\d+)")
_EXPECTED = re.compile(r"expected (?:one of )?(.*)", re.S)
_DECLARED = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:", re.I)
_USED = re.compile(r"(?<![\w<?$\"'])([A-Za-z][\w.-]*)?:(?=[\w%\\]|\s|$)")
_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
#: Most tokens worth naming; a longer list of alternatives is the grammar talking.
MAX_NAMED = 3

WORDS = {
    "sv": {
        "prefix": "Prefixet `{p}:` är inte deklarerat. Lägg till `PREFIX {p}: <…>` överst, "
        "eller använd ett av de fördefinierade: {known}.",
        "string": "Texten inom citattecken som börjar på rad {line} avslutas aldrig.",
        "iri": "IRI:n `<{iri}>` på rad {line} är inte giltig: mellanslag och tecken som "
        '`"`, `{{`, `}}`, `|`, `^`, `` ` `` och `\\` får inte stå inom `< >`.',
        "iri_open": "IRI:n som börjar med `<` på rad {line} avslutas aldrig med `>`.",
        "dot": "Det saknas `.` eller `}}` efter trippeln på rad {line}.",
        "close": "`{open}` på rad {line} stängs aldrig med `{close}`.",
        "form": "Frågan ska börja med SELECT, CONSTRUCT, ASK eller DESCRIBE "
        "(efter eventuella PREFIX-rader), inte med `{word}`.",
        "expected": "Frågan kan inte läsas här: här väntades {tokens}.",
        "expression": "Här saknas ett uttryck: en variabel, ett värde eller en funktion "
        "som STR(…).",
        "unreadable": "Frågan kan inte läsas här (vid `{near}`).",
        "keyword": "`{word}` är inget nyckelord i SPARQL 1.1.",
        "open_string": "`{word}` inleder en text som aldrig avslutas.",
        "no_term": "`{word}` inleder ingen term i SPARQL 1.1.",
        "meant": " Menade du `{word}`?",
        "or": "eller",
        "where": "rad {line}, kolumn {column}",
        "title": "Felaktig fråga",
    },
    "en": {
        "prefix": "The prefix `{p}:` is not declared. Add `PREFIX {p}: <…>` at the top, "
        "or use one of the predefined ones: {known}.",
        "string": "The text in quotes that starts on line {line} is never closed.",
        "iri": "The IRI `<{iri}>` on line {line} is not valid: spaces and characters such as "
        '`"`, `{{`, `}}`, `|`, `^`, `` ` `` and `\\` are not allowed inside `< >`.',
        "iri_open": "The IRI that starts with `<` on line {line} is never closed with `>`.",
        "dot": "Expected `.` or `}}` after the triple on line {line}.",
        "close": "The `{open}` on line {line} is never closed with `{close}`.",
        "form": "A query starts with SELECT, CONSTRUCT, ASK or DESCRIBE "
        "(after any PREFIX lines), not with `{word}`.",
        "expected": "The query cannot be read here: expected {tokens}.",
        "expression": "An expression is missing here: a variable, a value or a function "
        "such as STR(…).",
        "unreadable": "The query cannot be read here (at `{near}`).",
        "keyword": "`{word}` is not a SPARQL 1.1 keyword.",
        "open_string": "`{word}` opens a string that is never closed.",
        "no_term": "`{word}` starts no SPARQL 1.1 term.",
        "meant": " Did you mean `{word}`?",
        "or": "or",
        "where": "line {line}, column {column}",
        "title": "Malformed query",
    },
}


@dataclass
class Explained:
    """One syntax error in words: where it is (1-based) and the sentence that says what."""

    line: int
    column: int
    sentence: str
    excerpt: str
    lang: str

    @property
    def text(self) -> str:
        """The whole answer: title, place and sentence, a blank line, the line and a caret."""
        words = WORDS[self.lang]
        where = words["where"].format(line=self.line, column=self.column)
        return f"{words['title']} ({where}): {self.sentence}\n\n{self.excerpt}\n"


def language(accept_language: str | None) -> str:
    """``sv`` when the client prefers Swedish to English (the workbench sends the page's
    language), else ``en``: the endpoint's other errors are in English too."""
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower()[:2]
        if code not in WORDS:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = code, q
    return best


def _excerpt(lines: list[str], line: int, column: int) -> str:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    text = text.expandtabs(1)
    return f"{line:>4} | {text}\n     | {' ' * (column - 1)}^"


def _place(query: str, offset: int) -> tuple[int, int]:
    before = query[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(text) + 1 for text in lines[: line - 1]) + column - 1


def _strip_strings_and_iris(query: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length, same lines)."""

    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    pattern = (
        r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
        r'|<[^<>\s"{}|^`\\]*>|#[^\n]*'
    )
    return re.sub(pattern, blank, query)


def _undeclared_prefix(query: str, predefined: dict[str, str]) -> tuple[str, int] | None:
    plain = _strip_strings_and_iris(query)
    declared = {m.group(1) or "" for m in _DECLARED.finditer(plain)}
    for match in _USED.finditer(plain):
        prefix = match.group(1) or ""
        before = plain[: match.start()].rstrip()
        if before.upper().endswith("PREFIX"):
            continue
        if prefix not in declared and prefix not in predefined:
            return prefix, match.start()
    return None


def _unclosed(query: str) -> tuple[str, int] | None:
    """An opening bracket never closed (the innermost one), outside strings and IRIs."""
    plain = _strip_strings_and_iris(query)
    stack: list[tuple[str, int]] = []
    pairs = {"}": "{", ")": "(", "]": "["}
    for i, c in enumerate(plain):
        if c in "{([":
            stack.append((c, i))
        elif c in pairs and stack and stack[-1][0] == pairs[c]:
            stack.pop()
    return stack[-1] if stack else None


def _unclosed_string(query: str) -> int | None:
    plain = re.sub(r"<[^<>\s\"]*>|#[^\n]*", lambda m: " " * len(m.group(0)), query)
    i = 0
    while i < len(plain):
        c = plain[i]
        if c in "\"'":
            triple = plain[i : i + 3] == c * 3
            end = plain.find(c * 3, i + 3) if triple else -1
            if not triple:
                j = i + 1
                while j < len(plain) and plain[j] not in (c, "\n"):
                    j += 2 if plain[j] == "\\" else 1
                end = j if j < len(plain) and plain[j] == c else -1
            if end < 0:
                return i
            i = end + (3 if triple else 1)
        else:
            i += 1
    return None


_TERM_END = re.compile(r"(\?\w+|\$\w+|>|\"|'|[\w.-]*:[\w.-]*|\d|\]|\)|\btrue|\bfalse)\s*$")
_TERM_START = re.compile(r"^\s*(\?|\$|<|[A-Za-z][\w.-]*:|:|_:|\[)")


def _missing_dot(query: str, before: int) -> int | None:
    """The end of a line that ends a triple, followed by a line that starts one with no
    ``.``, ``;`` or ``,`` between them, at or before the parser's stop: the offset just after
    the triple's last term."""
    plain = _strip_strings_and_iris(query)
    lines = plain.split("\n")
    offset = 0
    found = None
    for number, text in enumerate(lines[:-1]):
        end = offset + len(text.rstrip())
        following = lines[number + 1]
        if (
            end <= before
            and text.strip()
            and not text.strip().upper().startswith(("PREFIX", "BASE", "SELECT", "FILTER"))
            and not text.rstrip().endswith((".", ";", ",", "{", "(", "["))
            and _TERM_END.search(query[offset : offset + len(text)].rstrip())
            and _TERM_START.match(following)
            and _unclosed(plain[:end])  # inside a group
        ):
            found = end
        offset += len(text) + 1
    return found


def _named(expected: str) -> list[str] | None:
    """The tokens Oxigraph expected, when they are few words; None for a grammar dump."""
    if "..=" in expected or "\\u{" in expected or "[" in expected:
        return None
    tokens = [t.strip().strip('"') for t in re.split(r",\s*", expected.strip()) if t.strip()]
    if not tokens or len(tokens) > MAX_NAMED:
        return None
    return tokens


def explain(query: str, message: str, lang: str = "en", predefined: dict | None = None):
    """The parser's ``message`` about ``query`` in words (see the module docstring)."""
    words = WORDS.get(lang, WORDS["en"])
    known = predefined if predefined is not None else PREFIXES
    lines = query.split("\n")
    position = _POSITION.search(message)
    line, column = (int(position.group(1)), int(position.group(2))) if position else (1, 1)
    line = min(max(line, 1), len(lines))
    column = max(1, min(column, len(lines[line - 1]) + 1))
    stop = _offset(lines, line, column)
    expected_match = _EXPECTED.search(message)
    expected = expected_match.group(1) if expected_match else ""

    def answer(sentence: str, at: int | None = None) -> Explained:
        where_line, where_column = _place(query, at) if at is not None else (line, column)
        return Explained(
            where_line, where_column, sentence, _excerpt(lines, where_line, where_column), lang
        )

    string_at = _unclosed_string(query)
    if string_at is not None and string_at <= stop:
        return answer(words["string"].format(line=_place(query, string_at)[0]), string_at)
    undeclared = _undeclared_prefix(query, known)
    if undeclared is not None and ("Prefix not found" in message or undeclared[1] <= stop):
        names = ", ".join(f"{p}:" for p in sorted(known)[:12])
        return answer(words["prefix"].format(p=undeclared[0], known=names), undeclared[1])
    if "IRI parsing failed" in message or "IRI" in expected:
        iri = re.search(r"<([^<>\n]*)>", query[max(0, stop - 200) : stop + 200])
        start = query.rfind("<", 0, stop + 1)
        if iri and start >= 0:
            return answer(
                words["iri"].format(iri=iri.group(1), line=_place(query, start)[0]), start
            )
        if start >= 0:
            return answer(words["iri_open"].format(line=_place(query, start)[0]), start)
    first = re.match(r"\s*(?:(?:PREFIX|BASE)[^\n]*\n\s*)*([A-Za-z]+)", query, re.I)
    if first and first.group(1).upper() not in (*_FORMS, "PREFIX", "BASE"):
        return answer(words["form"].format(word=first.group(1)), first.start(1))
    dot = _missing_dot(query, stop)
    if dot is not None:
        return answer(words["dot"].format(line=_place(query, dot)[0]), dot)
    unclosed = _unclosed(query)  # a bracket never closed, wherever the parser stopped
    if unclosed is not None:
        opening, at = unclosed
        closing = {"{": "}", "(": ")", "[": "]"}[opening]
        said = words["close"].format(open=opening, close=closing, line=_place(query, at)[0])
        return answer(said, at)
    if re.search(r"\bSTRSTARTS\b|\bisLITERAL\b", expected):
        return answer(words["expression"])
    named = _named(expected)
    if named:
        listed = f" {words['or']} ".join(f"`{t}`" for t in named)
        return answer(words["expected"].format(tokens=listed))
    near = query[stop : stop + 20].split("\n")[0].strip() or query[max(0, stop - 20) : stop].strip()
    return answer(words["unreadable"].format(near=near or "…"))


#: The gate's error (kg.lexer._where): the text, its place, and what is wrong with it.
_LEXICAL = re.compile(
    r"^(?P<word>.*?) at line (?P<line>\d+), column (?P<column>\d+) (?P<what>is not a SPARQL 1\.1 "
    r"keyword|opens a string that does not close on its terms|starts no SPARQL 1\.1 term)",
    re.S,
)
_LEXICAL_KEYS = {"is": "keyword", "opens": "open_string", "starts": "no_term"}


def explain_lexical(query: str, error: str, lang: str = "en") -> Explained | None:
    """The query gate's lexical ``error`` about ``query`` (kg.lexer's "SELET at line 2,
    column 15 is not a SPARQL 1.1 keyword") in words, with the closest keyword when a word is
    misspelt; None for a gate error that names no place in the text (too many terms)."""
    found = _LEXICAL.match(error)
    if found is None:
        return None
    words = WORDS.get(lang, WORDS["en"])
    lines = query.split("\n")
    line = min(max(int(found.group("line")), 1), len(lines))
    column = max(1, min(int(found.group("column")), len(lines[line - 1]) + 1))
    word = found.group("word")
    key = _LEXICAL_KEYS[found.group("what").split()[0]]
    sentence = words[key].format(word=word)
    if key == "keyword":
        close = difflib.get_close_matches(word.upper(), sorted(KEYWORDS), n=1, cutoff=0.75)
        if close:
            sentence += words["meant"].format(word=close[0])
    return Explained(line, column, sentence, _excerpt(lines, line, column), lang)
