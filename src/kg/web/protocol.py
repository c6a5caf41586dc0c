"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (query operation only: it is read-only)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from kg.store import Bindings, Boolean, QuerySyntaxError
from kg.web.results import SPARQL_JSON, to_json

protocol = Blueprint("protocol", __name__)


def _bad_request(reason: str) -> Response:
    return Response(reason + "\n", status=400, mimetype="text/plain")


@protocol.get("/sparql")
def sparql_get() -> Response:
    # Browsers (Accept: text/html) get the query workbench; programs get results.
    if request.accept_mimetypes.best_match([SPARQL_JSON, "text/html"]) == "text/html":
        return current_app.view_functions["pages.workbench"]()
    query = request.args.get("query")
    if not query:
        return _bad_request("Missing the 'query' parameter.")
    engine = current_app.extensions["kg_engine"]
    settings = current_app.config["KG_SETTINGS"]
    try:
        result = engine.query(query, max_rows=settings.max_rows)
    except QuerySyntaxError as err:
        return _bad_request(f"Malformed query: {err}")
    if not isinstance(result, (Bindings, Boolean)):
        return Response(
            "Only SELECT and ASK are served in this version.\n", status=406, mimetype="text/plain"
        )
    return Response(to_json(result), mimetype=SPARQL_JSON)
