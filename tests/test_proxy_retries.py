"""nginx never retries a query that timed out, and never sends one on a dying connection
(issue 23: a retried hostile query marked both replicas down, and everyone got 502)."""

from __future__ import annotations

import ast
from pathlib import Path

from kg.deploy.nginx import REPLICA_KEEPALIVE, render
from kg.settings import PROJECT_ROOT, Settings


def _directives(config: str, name: str) -> list[list[str]]:
    found = []
    for line in config.splitlines():
        words = line.split("#", 1)[0].strip().rstrip(";").split()
        if words and words[0] == name:
            found.append(words[1:])
    return found


def test_only_a_connection_error_is_retried_never_a_timeout(tmp_path: Path) -> None:
    """POSTed queries are retried on a connection error too (a replica closing a kept-alive
    connection during a roll); a timeout or a 503 never."""
    config = render(Settings(), [8001, 8002], tmp_path)
    assert _directives(config, "proxy_next_upstream") == [["error", "non_idempotent"]]


def test_nginx_drops_idle_replica_connections_before_gunicorn_does(tmp_path: Path) -> None:
    config = render(Settings(), [8001, 8002], tmp_path)
    (upstream_keepalive,) = _directives(config, "keepalive_timeout")[1:]
    assert int(upstream_keepalive[0].rstrip("s")) < REPLICA_KEEPALIVE
    tree = ast.parse((PROJECT_ROOT / "src/kg/web/endpoint/gunicorn_conf.py").read_text())
    gunicorn = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "keepalive"
    )
    assert gunicorn == REPLICA_KEEPALIVE
