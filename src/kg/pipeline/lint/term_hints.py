"""What ``kg lint`` suggests for a term it does not know: the term the editor most likely meant.

``dk:forEditon`` is a letter from ``dk:forEdition``; ``rdf:comment`` is ``rdfs:comment`` in
the wrong namespace. The candidates are the ontology's declared terms for ``dk:``, and for a
standard vocabulary the terms of its vendored copy, plus the same local name in the other
vendored vocabularies (the commonest slip is the namespace, not the spelling).
"""

from __future__ import annotations

import difflib

import pyoxigraph as ox

from kg.namespaces import DK, graph_iri
from kg.pipeline.suggest import closest_iri, split_iri

_CATALOG = """SELECT ?vocab ?space ?fileSpace WHERE { GRAPH <urn:kg:catalog> {
    ?vocab <http://rdfs.org/ns/void#uriSpace> ?space
    OPTIONAL { ?vocab <urn:kg:fileUriSpace> ?fileSpace } } }"""


class TermIndex:
    """The terms each vocabulary defines, read from the lint store once, when first asked."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._terms: dict[str, list[str]] = {}
        self._spaces: list[tuple[str, str, str]] | None = None

    def terms(self, graph: str, space: str, file_space: str | None = None) -> list[str]:
        """Subjects of ``graph`` in ``space`` (spelt ``file_space`` in the vendored file)."""
        if graph not in self._terms:
            query = f"SELECT DISTINCT ?t WHERE {{ GRAPH <{graph}> {{ ?t ?p ?o }} }}"
            found = [
                r["t"].value for r in self.store.query(query) if isinstance(r["t"], ox.NamedNode)
            ]
            spelt = file_space or space
            self._terms[graph] = [space + t[len(spelt) :] for t in found if t.startswith(spelt)]
        return self._terms[graph]

    def spaces(self) -> list[tuple[str, str, str]]:
        if self._spaces is None:
            self._spaces = [
                (r["vocab"].value, r["space"].value, r["fileSpace"].value if r["fileSpace"] else "")
                for r in self.store.query(_CATALOG)
            ]
        return self._spaces

    def suggest(self, iri: str) -> str | None:
        """The term most likely meant by ``iri``, or None."""
        if iri.startswith(str(DK)):
            declared = self.terms(graph_iri("ontology"), str(DK))
            return closest_iri(iri, declared)
        namespace, local = split_iri(iri)
        elsewhere = [  # the same name in another vocabulary: the nearest namespace first
            space
            for vocab, space, file_space in self.spaces()
            if space != namespace and space + local in self.terms(vocab, space, file_space)
        ]
        if elsewhere:
            return (
                max(
                    sorted(elsewhere),
                    key=lambda space: difflib.SequenceMatcher(None, space, namespace).ratio(),
                )
                + local
            )
        for vocab, space, file_space in self.spaces():
            if iri.startswith(space):
                return closest_iri(iri, self.terms(vocab, space, file_space))
        return None
