"""The Flask adapter: the ``/sparql`` view over the protocol core, and the access log of pages.

In a served app the lean adapter (:mod:`kg.web.endpoint.wsgi_adapter`) answers ``/sparql`` before
Flask sees it; this view answers when the app runs without it (``create_app(lean=False)``, which the
tests use to hold both adapters to the same answers) and serves the workbench page to a
browser that the core hands on. It translates, and nothing more: the core writes every header.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request

from kg.web.endpoint import http
from kg.web.endpoint.protocol import Endpoint
from kg.web.endpoint.wsgi_adapter import request_from_environ

protocol = Blueprint("protocol", __name__)
WORKBENCH_VIEW = "pages.workbench"


def endpoint_of(app: Flask) -> Endpoint:
    return app.extensions["kg_endpoint"]


@protocol.route(
    "/sparql",
    methods=["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
    provide_automatic_options=False,
)
def sparql() -> Response:
    """Every method of ``/sparql``, answered by the core (HEAD comes with GET)."""
    endpoint = endpoint_of(current_app)
    answer = endpoint.handle(
        request_from_environ(request.environ, endpoint.settings.max_body_bytes)
    )
    if answer is None:
        return current_app.view_functions[WORKBENCH_VIEW]()
    g.kg_rows, g.kg_query_hash = answer.rows, answer.query_hash
    response = Response(answer.body, status=answer.status)
    response.headers.clear()  # werkzeug's default Content-Type: the core says what it sends
    response.headers.extend(answer.headers)
    return response


def _start() -> None:
    g.kg_started = time.perf_counter()


def _log(response: Response) -> Response:
    started = g.pop("kg_started", None)
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    http.log_access(
        request.method,
        request.path,
        response.status_code,
        g.pop("kg_rows", "-"),
        elapsed,
        g.pop("kg_query_hash", "-"),
        response.mimetype or "-",
    )
    return response


def install_access_log(app: Flask) -> None:
    """One access-log line per request Flask answers (method, path, status, rows, ms, query
    hash, media type); the lean adapter writes the same line for the requests it answers."""
    http.open_access_log()
    app.before_request(_start)
    app.after_request(_log)
