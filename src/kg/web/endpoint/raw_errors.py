"""Plain-text answers for the requests gunicorn refuses before the app ever sees them.

gunicorn answers an over-long request line (414), over-large headers (431) and unreadable
requests (400) itself, with an HTML page. Every other refusal of this server is one line of
plain text, and a browser should never render a page built around a request's own text, so
``gunicorn_conf`` swaps gunicorn's writer for :func:`write_error` (installed by
:func:`install`). The sentence is fixed per status: the request's text is never echoed.
"""

from __future__ import annotations

from gunicorn import util

#: Filled in by :func:`install` from the gunicorn settings, for the 414 sentence.
_LIMITS = {"request_line": 8190, "query_length": 0}


def _sentence(status: int, reason: str) -> str:
    if status == 414:
        return (
            f"The request line is longer than {_LIMITS['request_line']} bytes; send long "
            f"queries with POST (up to {_LIMITS['query_length']} characters)."
        )
    return {
        400: "The request is malformed.",
        403: "The request is forbidden.",
        431: "The request headers are too large.",
        500: "The server failed to answer; the error has been logged.",
    }.get(status, f"{reason}.")


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, answering in one line of plain text; ``mesg`` (which
    may quote the request) is left out."""
    body = (_sentence(status_int, reason) + "\n").encode("ascii", "replace")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
        f"Cache-Control: no-store\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install(limit_request_line: int, max_query_length: int) -> None:
    """Make gunicorn write its own refusals with :func:`write_error` (in this process and in
    the workers it forks)."""
    _LIMITS.update(request_line=limit_request_line, query_length=max_query_length)
    util.write_error = write_error
