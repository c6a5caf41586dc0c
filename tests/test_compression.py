"""Compression and caching as a client meets them (issue #24, item 6): real responses from
gunicorn, decoded by hand, so a missing, wrong or doubled Content-Encoding shows."""

from __future__ import annotations

import gzip
import json
import re
import urllib.request

import brotli
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(gunicorn_url: str) -> str:
    return gunicorn_url.removesuffix("/sparql")


def fetch(url: str, **headers: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


def decode(headers: dict[str, str], body: bytes) -> bytes:
    coding = headers.get("content-encoding", "identity")
    return {"gzip": gzip.decompress, "br": brotli.decompress, "identity": bytes}[coding](body)


TEXT = [
    ("/?lang=en", "text/html"),
    ("/id/municipality/lidingo.html?lang=sv", "text/html"),
    ("/static/site.css", "text/css"),
    ("/static/vendor/yasgui/yasgui.min.js", "javascript"),
    ("/pictures/timeline.svg?lang=en", "image/svg+xml"),
    ("/map.svg?lang=en", "image/svg+xml"),
    ("/examples.json", "application/json"),
]


@pytest.mark.parametrize(("path", "kind"), TEXT, ids=[p for p, _ in TEXT])
@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_text_answers_are_compressed_as_asked(site, path, kind, coding) -> None:
    plain_headers, plain = fetch(site + path, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain_headers
    headers, body = fetch(site + path, **{"Accept-Encoding": coding})
    assert kind in headers["content-type"]
    assert headers.get("content-encoding") == coding
    assert "accept-encoding" in headers["vary"].lower()
    assert len(body) < len(plain)
    assert decode(headers, body) == plain


def test_gzip_for_a_client_that_knows_only_gzip(site) -> None:
    headers, _ = fetch(site + "/static/vendor/yasgui/yasgui.min.js", **{"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"


def test_sparql_answers_are_compressed_once(site) -> None:
    """The core gzips its own answers; nothing may compress them again."""
    query = "SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%20200"
    headers, body = fetch(
        f"{site}/sparql?query={query}",
        Accept="application/sparql-results+json",
        **{"Accept-Encoding": "gzip, br"},
    )
    assert headers["content-encoding"] == "gzip"
    assert len(json.loads(decode(headers, body))["results"]["bindings"]) == 200


def test_the_workbench_page_is_compressed_too(site) -> None:
    headers, body = fetch(site + "/sparql?lang=en", Accept="text/html", **{"Accept-Encoding": "br"})
    assert headers["content-encoding"] == "br"
    assert b"yasgui" in decode(headers, body)


def test_fingerprinted_static_files_are_immutable_for_a_year(site) -> None:
    _, page = fetch(site + "/sparql?lang=en", Accept="text/html", **{"Accept-Encoding": "identity"})
    # in href and src, and in the list of what the workbench loads on first use (data-scripts)
    links = re.findall(r'(/static/[^"\s]+\?v=[0-9a-f]{12})[\s"]', page.decode())
    assert any("yasgui.min.js" in link for link in links)  # the 1 MB bundle too
    assert any("site.css" in link for link in links)
    for link in links:
        headers, _ = fetch(site + link.replace("&amp;", "&"))
        assert headers["cache-control"] == "public, max-age=31536000, immutable", link


def test_unversioned_or_stale_static_links_revalidate(site) -> None:
    for link in ("/static/site.css", "/static/site.css?v=000000000000"):
        headers, _ = fetch(site + link)
        assert headers["cache-control"] == "no-cache"
        assert "etag" in headers
