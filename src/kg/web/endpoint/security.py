"""Headers and error pages that leak nothing and let browsers defend the reader.

Every response carries a Content-Security-Policy, ``nosniff`` and a Referrer-Policy. Errors
are one short plain-text sentence: never a traceback, a file path or a version, since those
help an attacker more than a user. CORS is open for reading but never with credentials: the
endpoint has no cookies or sessions to protect, and must never gain any by accident.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

#: Pages may use their own styles, scripts and images; nothing else, and no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def plain(status: int, reason: str, headers: dict[str, str] | None = None) -> Response:
    """A short plain-text answer: the status and one sentence the user can act on."""
    response = Response(reason.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def add_security_headers(response: Response) -> Response:
    """Set the headers a blueprint did not set itself (a page may tighten its own CSP).

    One pass over the headers, then one ``extend``: werkzeug's ``setdefault`` scans (and
    lower-cases) every header per call, which cost more than the query on a small answer.
    """
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers is a list
    headers.extend([(n, v) for n, v in SECURITY_HEADERS.items() if n.lower() not in present])
    if "access-control-allow-credentials" in present:
        headers.pop("Access-Control-Allow-Credentials", None)
    if "access-control-allow-origin" in present and headers["Access-Control-Allow-Origin"] != "*":
        headers["Access-Control-Allow-Origin"] = "*"
    return response


def _http_error(error: HTTPException) -> Response:
    """Werkzeug's HTML error pages become one line of text; 405 keeps its Allow header."""
    status = error.code or 500
    messages = {
        400: "The request is malformed.",
        404: "Nothing is published at this address.",
        405: f"{request.method} is not allowed here.",
        413: "The request body is larger than this endpoint accepts.",
        414: "The request URI is too long; send long queries with POST.",
        415: "This content type is not accepted here.",
    }
    response = plain(status, messages.get(status, error.name + "."))
    if status == 405 and error.get_response().headers.get("Allow"):
        response.headers["Allow"] = error.get_response().headers["Allow"]
    return response


def _unexpected(error: Exception) -> Response:
    """The traceback goes to the server log, never to the client."""
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return plain(500, "The server failed to answer; the error has been logged.")


def install(app: Flask) -> None:
    """Register the header hook and the error handlers on the app."""
    app.after_request(add_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
