"""Find the file and line where a node is written, so a report can point an editor at it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from kg.pipeline.load import InputFile

_PREFIX = re.compile(r"@prefix\s+([\w-]*):\s*<([^>]*)>", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class Locator:
    """Index of the Turtle inputs by the spellings of each IRI they use (full or prefixed)."""

    def __init__(self, files: list[InputFile]) -> None:
        self._files = [(f.relative, f.path.read_text(encoding="utf-8").splitlines()) for f in files]
        self._prefixes = [
            (rel, {m.group(1): m.group(2) for m in _PREFIX.finditer("\n".join(lines))})
            for rel, lines in self._files
        ]

    def find(self, node: object, graph: Graph | None = None) -> Location | None:
        """The first line that starts a description of ``node``, else the first mention."""
        if not isinstance(node, URIRef):
            return None
        iri = str(node)
        mention: Location | None = None
        for (rel, lines), (_, prefixes) in zip(self._files, self._prefixes, strict=True):
            spellings = [f"<{iri}>"] + [
                f"{p}:{iri[len(ns) :]}" for p, ns in prefixes.items() if iri.startswith(ns)
            ]
            pattern = re.compile("|".join(re.escape(s) + r"(?=[\s;,.)\]]|$)" for s in spellings))
            for number, text in enumerate(lines, start=1):
                if text.lstrip().startswith("#"):
                    continue
                match = pattern.search(text)
                if not match:
                    continue
                if match.start() == len(text) - len(text.lstrip()):
                    return Location(rel, number)
                mention = mention or Location(rel, number)
        return mention


class LazyLocator:
    """A :class:`Locator` read only when a problem has to be located: it holds every input
    file's text, which at ten million triples is gigabytes that a clean build never needs."""

    def __init__(self, files: list[InputFile]) -> None:
        self._files = files
        self._locator: Locator | None = None

    def find(self, node: object, graph: Graph | None = None) -> Location | None:
        if self._locator is None:
            self._locator = Locator(self._files)
        return self._locator.find(node, graph)


def relative_to(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()
