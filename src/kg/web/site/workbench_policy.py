"""The workbench's Content-Security-Policy: the site's, plus the hashes of the two small
stylesheets that YASGUI's table plugin writes into the page.

YASR's table draws column grips with the ``column-resizer`` library, which adds its own CSS
as ``<style>`` elements (one when a table is drawn, one while a grip is dragged). The site's
``style-src 'self'`` blocks them, and the browser logs a violation for each. Rather than allow
inline styles, the workbench page allows exactly these texts by their SHA-256 (CSP Level 2
hash sources), read from the vendored ``yasgui.min.js`` itself at start-up: a YASGUI upgrade
that changes them changes the hashes with it, and the browser test notices any other inline
style.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from flask import Flask, Response, request

from kg.web.endpoint.security import CONTENT_SECURITY_POLICY

YASGUI = Path(__file__).parent / "static" / "vendor" / "yasgui" / "yasgui.min.js"
#: column-resizer's stylesheet for the grips, written as one template literal
GRIPS = re.compile(r"createStyle\(a,`( \.grip-resizable\{[^`]*)`\)")
#: the cursor it forces on every element while a grip is dragged (``dragCursor`` option)
DRAG_CURSOR = re.compile(r"dragCursor:`([^`]*)`")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@cache
def style_hashes() -> tuple[str, ...]:
    """The hash sources of YASGUI's injected stylesheets; none when YASGUI is not installed."""
    if not YASGUI.is_file():
        return ()
    source = YASGUI.read_text(encoding="utf-8")
    texts = [m.group(1) for m in GRIPS.finditer(source)]
    texts += [f"*{{cursor:{m.group(1)}!important}}" for m in DRAG_CURSOR.finditer(source)]
    return tuple(dict.fromkeys(_sha256(t) for t in texts))


def policy() -> str:
    """The site's policy with YASGUI's stylesheet hashes added to ``style-src``."""
    hashes = " ".join(style_hashes())
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' {hashes}")


def install(app: Flask, *endpoints: str) -> None:
    """Give the workbench page its policy: an HTML answer of one of ``endpoints`` (its own
    view, and ``/sparql``'s, which hands browsers to it). Every other page keeps the site's."""

    @app.after_request
    def workbench_policy(response: Response) -> Response:
        if request.endpoint in endpoints and response.mimetype == "text/html" and style_hashes():
            response.headers["Content-Security-Policy"] = policy()
        return response
