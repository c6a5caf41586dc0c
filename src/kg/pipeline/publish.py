"""Publish a build to any SPARQL 1.1 Graph Store Protocol endpoint, one named graph at a time.

When the graph outgrows one machine, the same artifact goes to a real triple store (Oxigraph
server, Fuseki, GraphDB, Virtuoso, QLever). Each graph is sent with ``PUT ?graph=<iri>``, which
*replaces* that graph, so publishing the same build twice leaves the store as it was
(idempotent), and a newer build replaces every graph it contains. Graphs the store holds that
the build does not name are left alone. Afterwards every graph is counted back with a SPARQL
query; a store that silently dropped triples fails the publish instead of serving half a graph.

The store's default graph is replaced by the set union of the named graphs (``PUT ?default``),
because that is our default graph: Oxigraph's ``--union-default-graph`` would return a triple
once per graph that states it, so counts would differ from the embedded engine's. A store whose
default graph is not a graph of its own (Virtuoso: its default dataset is every graph, a triple
repeated once per graph that states it) gets the union in a named graph of its own instead
(``union_graph``, ``KG_STORE_UNION_GRAPH``), which ``KG_STORE=sparql+…`` then asks as the
default graph.

A store that asks for credentials (Virtuoso's ``/sparql-graph-crud-auth``: digest) gets them
from ``KG_PUBLISH_USER`` and ``KG_PUBLISH_PASSWORD``: never from the command line, where every
user of the machine could read them, and never from a ``user:password@`` URL.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
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
    Fuseki ``/ds/data`` → ``/ds/sparql``, Virtuoso ``/sparql-graph-crud-auth`` → ``/sparql``;
    otherwise the same URL (GraphDB)."""
    for gsp, query in (
        ("/store", "/query"),
        ("/data", "/sparql"),
        ("/sparql-graph-crud-auth", "/sparql"),  # Virtuoso
        ("/sparql-graph-crud", "/sparql"),
    ):
        if store_url.rstrip("/").endswith(gsp):
            return store_url.rstrip("/")[: -len(gsp)] + query
    return store_url


@dataclass(frozen=True)
class Credentials:
    """A Graph Store user; the password never appears in a message or a repr."""

    user: str
    password: str = field(repr=False)

    def authorization(self, url: str, method: str, timeout: float) -> str:
        """The ``Authorization`` header for ``method url``, asked for before the body is sent.

        A store that answers a challenge by closing the connection (Virtuoso) would break the
        pipe of a large PUT sent first without credentials, so the challenge is fetched with a
        bodiless GET of the same URL, and the answer computed with urllib's own digest code."""
        probe = urllib.request.Request(url, method="GET")  # noqa: S310 - the operator's store
        try:
            with urllib.request.urlopen(probe, timeout=timeout) as response:  # noqa: S310
                response.read(0)
                return self._basic()  # no challenge: send basic credentials, as curl -u would
        except urllib.error.HTTPError as err:
            challenge = err.headers.get("WWW-Authenticate", "")
            err.close()
            if err.code != 401 or not challenge.lower().startswith("digest "):
                return self._basic()
        except OSError as err:
            raise PublishError(f"{url}: {err}") from None
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, self.user, self.password)
        handler = urllib.request.HTTPDigestAuthHandler(passwords)
        fields_ = urllib.request.parse_keqv_list(
            urllib.request.parse_http_list(challenge.split(" ", 1)[1])
        )
        request = urllib.request.Request(url, method=method)  # noqa: S310 - not opened
        digest = handler.get_authorization(request, fields_)
        if not digest:
            raise PublishError(f"{url} asks for a digest this client cannot compute")
        return "Digest " + digest

    def _basic(self) -> str:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return "Basic " + token


def put_graph(
    store_url: str,
    graph: str | None,
    triples: list[ox.Triple],
    timeout: float,
    credentials: Credentials | None = None,
) -> None:
    """Replace one graph (``None``: the default graph) with ``triples``."""
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    separator = "&" if "?" in store_url else "?"
    target = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
    url = f"{store_url}{separator}{target}"
    request = urllib.request.Request(  # noqa: S310 - the operator's own store URL, http(s) only
        url, data=body, method="PUT", headers={"Content-Type": "application/n-triples"}
    )
    if credentials is not None:
        request.add_header("Authorization", credentials.authorization(url, "PUT", timeout))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as err:
        detail = err.read()[:300].decode("utf-8", "replace")
        raise PublishError(f"{url} refused graph <{graph}>: {err.code} {detail}") from None
    except OSError as err:
        raise PublishError(f"{url}: {err}") from None


def count_graphs(
    query_url: str, graphs: list[str], timeout: float, union_graph: str = ""
) -> dict[str, int]:
    """Triples per graph as the store answers them (``""``: the default graph, or
    ``union_graph`` where the store keeps our default graph in a graph of its own)."""
    from kg.store.remote import RemoteEndpointError, RemoteEngine

    engine = RemoteEngine(query_url, timeout=timeout)
    counts = {}
    try:
        for graph in graphs:
            name = graph or union_graph
            pattern = f"GRAPH <{name}> {{ ?s ?p ?o }}" if name else "?s ?p ?o"  # "": default
            result = engine.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
            counts[graph] = int(result.rows[0]["n"].value)  # type: ignore[union-attr]
    except RemoteEndpointError as err:
        raise PublishError(str(err)) from None
    return counts


def publish(
    artifact: Path,
    store_url: str,
    query_url: str | None = None,
    timeout: float = 60.0,
    *,
    user: str = "",
    password: str = "",
    union_graph: str = "",
) -> dict[str, int]:
    """Replace every named graph of ``artifact`` and the default graph (their union, key ``""``;
    kept in ``union_graph`` when given) in the store; return the counts read back."""
    parts = urllib.parse.urlsplit(store_url)
    if parts.scheme not in ("http", "https"):
        raise PublishError(f"{store_url!r} is not an http(s) Graph Store Protocol URL")
    if parts.username or parts.password:
        raise PublishError(
            "credentials do not belong in the URL (the command line is readable by every user "
            "of the machine); set KG_PUBLISH_USER and KG_PUBLISH_PASSWORD instead"
        )
    graphs: dict[str, list[ox.Triple]] = dict(graphs_of(artifact))
    if union_graph in graphs:
        raise PublishError(f"the union graph <{union_graph}> is one of the build's own graphs")
    credentials = Credentials(user, password) if user else None
    for graph, triples in graphs.items():
        put_graph(store_url, graph, triples, timeout, credentials)
    graphs[""] = sorted(set().union(*graphs.values()), key=str)
    put_graph(store_url, union_graph or None, graphs[""], timeout, credentials)
    counts = count_graphs(query_url or query_url_for(store_url), list(graphs), timeout, union_graph)
    wrong = {g: (len(t), counts[g]) for g, t in graphs.items() if counts[g] != len(t)}
    if wrong:
        raise PublishError(
            "the store does not hold what was sent: "
            + "; ".join(f"<{g}> sent {sent}, found {found}" for g, (sent, found) in wrong.items())
        )
    return counts
