"""An engine and an app over the real build plus the made-up outward links of
``tests/fixtures/links/links-fixture.trig``, for tests that must not wait for real links (the
build's own ``graph/links-*`` graphs are left out, so only the fixture's links are counted)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.settings import Settings
from kg.store.embedded import EmbeddedEngine
from tests.conftest import for_answers

LINKS_FIXTURE = Path(__file__).parent / "fixtures" / "links" / "links-fixture.trig"


#: The real build's outward-link graphs, left out beside the fixture so that the fixture's
#: hand counts stay exact however many real links data/ttl/links/ gains.
REAL_LINK_GRAPHS = """
DELETE { GRAPH ?g { ?s ?p ?o } } WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (STRSTARTS(STR(?g), "https://w3id.org/digikommun/graph/links-"))
}"""


def linked_engine(built: Settings) -> EmbeddedEngine:
    """The built artifact without its own link graphs, plus the fixture's graphs, with the set
    union as the default graph (as ``EmbeddedEngine.from_artifact`` makes it)."""
    store = ox.Store()
    store.bulk_load(path=str(built.artifact), format=ox.RdfFormat.N_QUADS)
    store.update(REAL_LINK_GRAPHS)
    store.bulk_load(path=str(LINKS_FIXTURE), format=ox.RdfFormat.TRIG)
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    return EmbeddedEngine(store, "linkedfixture0000")


def linked_app(built: Settings):
    """An app whose engine is :func:`linked_engine` (no answer cache, so nothing is shared)."""
    from kg import create_app

    app = create_app(for_answers(built, cache_entries=0), engine=linked_engine(built))
    app.config["TESTING"] = True
    return app
