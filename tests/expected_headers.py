"""The security headers every answer must carry, written out here on purpose (issue 22): a test
that compared answers against ``kg.web.endpoint.security.SECURITY_HEADERS`` itself would lose a
header from its check the moment someone removed it from the code."""

from __future__ import annotations

#: Header → exact value, on every answer (app, proxy, errors alike).
EXACT = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: What every Content-Security-Policy must say (a page may tighten the rest).
CSP_PARTS = ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'")


def check(headers) -> None:
    """Assert ``headers`` (any case-insensitive mapping, or a dict of lower-case names)."""
    lower = {name.lower(): value for name, value in headers.items()}
    for name, value in EXACT.items():
        assert lower.get(name.lower()) == value, (name, lower.get(name.lower()))
    policy = lower.get("content-security-policy", "")
    for part in CSP_PARTS:
        assert part in policy, (part, policy)
