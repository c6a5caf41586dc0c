"""The nginx configuration `kg serve-public` writes (kg.deploy.nginx), read directive by
directive: each limit the proxy owns is set, to the value the settings give (issue 22). The
behaviour behind them is tested through real nginx in test_public_stack."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from kg.deploy.nginx import render
from kg.settings import Settings


def directives(config: str) -> dict[str, list[str]]:
    """Every simple directive (``name value;``) of the configuration, comments left out."""
    found: dict[str, list[str]] = {}
    for line in config.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([a-z_]+)\s+([^{};]+);", line)
        if match:
            found.setdefault(match[1], []).append(match[2].strip())
    return found


def test_every_client_timeout_is_the_configured_one(tmp_path: Path) -> None:
    """A client that sends its head, its body, or reads the answer too slowly is cut: without
    ``send_timeout`` a client that never reads would hold a connection for nginx's 60 s."""
    settings = replace(Settings(), proxy_client_timeout=7.0)
    found = directives(render(settings, [8001, 8002], tmp_path))
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert found.get(name) == ["7000ms"], (name, found.get(name))


def test_the_body_limit_is_the_apps_own(tmp_path: Path) -> None:
    """nginx's default (1 MiB) would refuse a legitimate megabyte query sent as a form; the
    proxy lets through what the app accepts and the app says why when it is too much."""
    settings = replace(Settings(), max_body_bytes=3_000_000)
    found = directives(render(settings, [8001], tmp_path))
    assert found.get("client_max_body_size") == ["3000000"]
