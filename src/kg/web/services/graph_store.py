"""A read-only SPARQL 1.1 Graph Store HTTP Protocol endpoint at ``/store``.

Graph Store clients (``curl``, rdflib, Jena's ``RDFConnection``, ``kg publish`` in reverse)
fetch one graph by indirect identification: ``GET /store?graph=IRI`` or ``GET /store?default``
(the default graph, the union of all graphs). The store is an immutable build, so the writing
operations of the protocol (PUT, POST, DELETE, PATCH) are answered ``405`` with the methods
that are allowed. As the protocol says, a graph the store does not hold is ``404``; it is
never fetched. The answers are the documents ``/graph/{name}`` serves (:mod:`kg.web.site.graphs`).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from kg.web.endpoint import page_http
from kg.web.endpoint.negotiate import negotiate
from kg.web.site.graphs import MEDIA_TYPES, document, held, not_acceptable, suffix_for

graph_store = Blueprint("graph_store", __name__)

ALLOWED = "GET, HEAD, OPTIONS"
WRITES = ["PUT", "POST", "DELETE", "PATCH"]


def _plain(status: int, reason: str) -> Response:
    response = Response(reason + "\n", status=status, mimetype="text/plain")
    return page_http.add_cors(response)


@graph_store.route("/store", methods=["GET", "HEAD"])
def fetch() -> Response:
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if default and graphs:
        return _plain(400, "Give either ?graph=IRI or ?default, not both.")
    if not default and not graphs:
        return _plain(400, "Name a graph: /store?graph=IRI, or /store?default for the union.")
    if len(graphs) > 1:
        return _plain(400, "Give one ?graph parameter.")
    iri = None if default else graphs[0]
    if iri is not None and not held(iri):
        return _plain(404, f"This store holds no graph <{iri}>; see /graph/ for the list.")
    wanted = negotiate(request.headers.get("Accept"), MEDIA_TYPES)
    if wanted is None:
        return not_acceptable(MEDIA_TYPES)
    return document(iri, suffix_for(wanted), negotiated=True)


@graph_store.route("/store", methods=WRITES)
def refuse_write() -> Response:
    response = _plain(405, "This Graph Store is read-only: the data change only with a new build.")
    response.headers["Allow"] = ALLOWED
    return response


@graph_store.route("/store", methods=["OPTIONS"])
def options() -> Response:
    response = page_http.preflight()
    response.headers["Allow"] = ALLOWED
    response.headers["Access-Control-Allow-Methods"] = ALLOWED
    return response
