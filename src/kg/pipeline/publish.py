"""Publish a build to any SPARQL 1.1 Graph Store Protocol endpoint, one named graph at a time.

When the graph outgrows one machine, the same artifact goes to a real triple store (Oxigraph
server, Fuseki, GraphDB, Virtuoso, QLever). Each graph is sent with ``PUT ?graph=<iri>``, which
*replaces* that graph, so publishing the same build twice leaves the store as it was
(idempotent), and a newer build replaces every graph it contains. Graphs the store holds that
the build does not name are left alone. Afterwards every graph is counted back with a SPARQL
query; a store that silently dropped triples fails the publish instead of serving half a graph.

The store's default graph is replaced by the set union of the named graphs (``PUT ?default``),
because that is our default graph: Oxigraph's ``--union-default-graph`` would return a triple
once per graph that states it, so counts would differ from the embedded engine's.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox

from kg.pipeline.errors import PipelineError


class PublishError(PipelineError):
    """The store refused a graph, or holds a different number of triples than the build."""


def graphs_of(artifact: Path) -> dict[str, list[ox.Triple]]:
    """The build's named graphs, each as its triples, in the artifact's (sorted) order."""
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(path=str(artifact), format=ox.RdfFormat.N_QUADS):
        name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        graphs.setdefault(name, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    if "" in graphs:
        raise PublishError(f"{artifact} has triples outside any named graph; rebuild it")
    return graphs


def query_url_for(store_url: str) -> str:
    """The query endpoint next to a Graph Store endpoint: Oxigraph ``/store`` → ``/query``,
    Fuseki ``/ds/data`` → ``/ds/sparql``; otherwise the same URL (GraphDB, Virtuoso)."""
    for gsp, query in (("/store", "/query"), ("/data", "/sparql")):
        if store_url.rstrip("/").endswith(gsp):
            return store_url.rstrip("/")[: -len(gsp)] + query
    return store_url


def put_graph(store_url: str, graph: str | None, triples: list[ox.Triple], timeout: float) -> None:
    """Replace one graph (``None``: the default graph) with ``triples``."""
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    separator = "&" if "?" in store_url else "?"
    target = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
    url = f"{store_url}{separator}{target}"
    request = urllib.request.Request(  # noqa: S310 - the operator's own store URL, http(s) only
        url, data=body, method="PUT", headers={"Content-Type": "application/n-triples"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as err:
        detail = err.read()[:300].decode("utf-8", "replace")
        raise PublishError(f"{url} refused graph <{graph}>: {err.code} {detail}") from None
    except OSError as err:
        raise PublishError(f"{url}: {err}") from None


def count_graphs(query_url: str, graphs: list[str], timeout: float) -> dict[str, int]:
    from kg.store.remote import RemoteEndpointError, RemoteEngine

    engine = RemoteEngine(query_url, timeout=timeout)
    counts = {}
    try:
        for graph in graphs:
            pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"  # "": default
            result = engine.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
            counts[graph] = int(result.rows[0]["n"].value)  # type: ignore[union-attr]
    except RemoteEndpointError as err:
        raise PublishError(str(err)) from None
    return counts


def publish(
    artifact: Path, store_url: str, query_url: str | None = None, timeout: float = 60.0
) -> dict[str, int]:
    """Replace every named graph of ``artifact`` and the default graph (their union, key ``""``)
    in the store; return the counts read back."""
    if urllib.parse.urlsplit(store_url).scheme not in ("http", "https"):
        raise PublishError(f"{store_url!r} is not an http(s) Graph Store Protocol URL")
    graphs: dict[str, list[ox.Triple]] = dict(graphs_of(artifact))
    for graph, triples in graphs.items():
        put_graph(store_url, graph, triples, timeout)
    graphs[""] = sorted(set().union(*graphs.values()), key=str)
    put_graph(store_url, None, graphs[""], timeout)
    counts = count_graphs(query_url or query_url_for(store_url), list(graphs), timeout)
    wrong = {g: (len(t), counts[g]) for g, t in graphs.items() if counts[g] != len(t)}
    if wrong:
        raise PublishError(
            "the store does not hold what was sent: "
            + "; ".join(f"<{g}> sent {sent}, found {found}" for g, (sent, found) in wrong.items())
        )
    return counts
