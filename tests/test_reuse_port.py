"""KG_REUSE_PORT: one listening socket per gunicorn worker, only when the operator asks.

The kernel spreads connections over the workers' own sockets (``SO_REUSEPORT``); with one
shared socket the worker that wakes first takes them. It stays off by default, because a
stopping worker drops the connections queued at its own socket (``bench/RESULTS.md``).
"""

from __future__ import annotations

import runpy
import time
from pathlib import Path

import pytest

from kg.settings import Settings
from tests.conftest import ROOT, free_port, start_gunicorn, stop_process
from tests.processes import children, grandchildren

CONF = ROOT / "src" / "kg" / "web" / "endpoint" / "gunicorn_conf.py"


def _conf(monkeypatch: pytest.MonkeyPatch, value: str | None) -> dict:
    if value is None:
        monkeypatch.delenv("KG_REUSE_PORT", raising=False)
    else:
        monkeypatch.setenv("KG_REUSE_PORT", value)
    return runpy.run_path(str(CONF))


def test_gunicorn_shares_one_socket_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _conf(monkeypatch, None)["reuse_port"] is False
    assert _conf(monkeypatch, "0")["reuse_port"] is False
    assert _conf(monkeypatch, "1")["reuse_port"] is True


def _listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:``port`` (``/proc/net/tcp``, state 0A)."""
    local = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == local and line.split()[3] == "0A")


def _both_workers_started(master: int) -> bool:
    """Two workers, each with its query process (started after the worker loaded the app)."""
    workers = {p.pid for p in children(master)}
    return len(workers) == 2 and {p.parent for p in grandchildren(master)} == workers


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="needs Linux /proc")
@pytest.mark.parametrize(("reuse", "sockets"), [("1", 2), ("0", 1)])
def test_each_worker_listens_on_its_own_socket_when_asked(
    built: Settings, reuse: str, sockets: int
) -> None:
    """Two workers: two listening sockets with KG_REUSE_PORT=1, the master's one without."""
    port = free_port()
    process = start_gunicorn(
        built.build_dir, port, KG_WORKERS="2", KG_QUERY_PROCESSES="1", KG_REUSE_PORT=reuse
    )
    try:
        # A worker binds its own socket as it is forked, before it loads the app and starts
        # its query process: once both workers have one, every socket there will be is there.
        # The bound only ends a broken run (a worker starts in about a second).
        deadline = time.monotonic() + 120
        while not _both_workers_started(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _both_workers_started(process.pid)
        assert _listening_sockets(port) == sockets
    finally:
        stop_process(process)
