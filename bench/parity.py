"""Before servers are timed against each other, check that they give each query the same answer.

A ratio between two servers means something only when both did the same work: a server that
refuses a query, or finds fewer rows (a dialect difference, a different dataset), is fast for
the wrong reason. So every query of the mix is asked once of every server and each answer
reduced to its size (rows for SELECT, the boolean for ASK, triples for CONSTRUCT and DESCRIBE);
a query that some server cannot run, or answers with another size than the reference server
(our endpoint), leaves the mix of every server, and the benchmark prints why.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox


@dataclass(frozen=True)
class Endpoint:
    """A server under test; ``path`` may carry parameters of its own (a dataset to ask)."""

    name: str
    port: int
    path: str


class Answer(NamedTuple):
    ok: bool
    size: str  # "12 rows", "ASK true", "57 triples", or why there is no answer


def request_url(path: str, query: str) -> str:
    """``path`` with the query added, after any parameters ``path`` already has."""
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urllib.parse.urlencode({'query': query})}"


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def size_of(status: int, content_type: str, body: bytes) -> Answer:
    """What the comparison looks at in one response: its status and the size of its answer."""
    if status != 200:
        first = body.decode("utf-8", "replace").strip().splitlines()[:1]
        return Answer(False, f"HTTP {status}: {first[0][:160] if first else ''}".rstrip(": "))
    media = content_type.split(";")[0].strip().lower()
    try:
        if media == "application/sparql-results+json":
            document = json.loads(body)
            if "boolean" in document:
                return Answer(True, f"ASK {str(bool(document['boolean'])).lower()}")
            return Answer(True, counted(len(document["results"]["bindings"]), "row"))
        rdf = ox.RdfFormat.from_media_type(media)
        if rdf is None:
            return Answer(False, f"an unexpected {content_type!r}")
        return Answer(True, counted(sum(1 for _ in ox.parse(body, format=rdf)), "triple"))
    except (ValueError, KeyError, SyntaxError) as err:  # pyoxigraph raises SyntaxError
        return Answer(False, f"an unreadable {media} answer ({err})")


def ask(endpoint: Endpoint, query: str, accept: str, timeout: float = 120) -> Answer:
    """One request, as the load generator sends it (GET, the same Accept)."""
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=timeout)
    try:
        conn.request("GET", request_url(endpoint.path, query), headers={"Accept": accept})
        response = conn.getresponse()
        return size_of(response.status, response.getheader("Content-Type", ""), response.read())
    except (OSError, http.client.HTTPException) as err:
        return Answer(False, f"no answer ({err})")
    finally:
        conn.close()


def differences(reference: str, answers: dict[str, list[Answer]], names: list[str]) -> dict:
    """``{query name: reason}`` for every query that a server cannot run or answers with
    another size than ``reference``; ``answers`` holds each server's answers in ``names``'
    order."""
    expected = answers[reference]
    reasons = {}
    for i, name in enumerate(names):
        why = [
            f"{server}: {mine[i].size}"
            + ("" if mine[i].ok else " (cannot run it)")
            + ("" if server == reference else f", {reference}: {expected[i].size}")
            for server, mine in answers.items()
            if not mine[i].ok or mine[i].size != expected[i].size
        ]
        if why:
            reasons[name] = "; ".join(why)
    return reasons


def common_mix(
    endpoints: list[Endpoint], names: list[str], queries: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The queries every endpoint answers as the first one does, and why each other query was
    left out."""
    answers = {e.name: [ask(e, text, accept) for text, accept in queries] for e in endpoints}
    left_out = differences(endpoints[0].name, answers, names)
    kept = [q for name, q in zip(names, queries, strict=True) if name not in left_out]
    return kept, left_out
