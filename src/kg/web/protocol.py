"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (query operation only: it is read-only)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from kg.store import Bindings, Boolean, QuerySyntaxError
from kg.web.execution import pool_for
from kg.web.limits import QueryRejected
from kg.web.results import SPARQL_JSON, to_json
from kg.web.security import plain

protocol = Blueprint("protocol", __name__)


def _bad_request(reason: str) -> Response:
    return Response(reason + "\n", status=400, mimetype="text/plain")


@protocol.get("/sparql")
def sparql_get() -> Response:
    query = request.args.get("query")
    if not query:
        return _bad_request("Missing the 'query' parameter.")
    settings = current_app.config["KG_SETTINGS"]
    try:
        result = pool_for(current_app).query(query, via_url=True, max_rows=settings.max_rows)
    except QueryRejected as err:
        return plain(err.status, err.reason, err.headers)
    except QuerySyntaxError as err:
        return _bad_request(f"Malformed query: {err}")
    if not isinstance(result, (Bindings, Boolean)):
        return Response(
            "Only SELECT and ASK are served in this version.\n", status=406, mimetype="text/plain"
        )
    response = Response(to_json(result), mimetype=SPARQL_JSON)
    if isinstance(result, Bindings) and result.truncated:
        response.headers["KG-Truncated"] = str(settings.max_rows)  # documented in SECURITY.md
    return response
