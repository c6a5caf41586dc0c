"""KG_REUSE_PORT: one listening socket per gunicorn worker, held by the master, when asked.

The kernel spreads connections over the workers' own sockets (``SO_REUSEPORT``); with one
shared socket the worker that wakes first takes them. The sockets are the master's
(kg.web.endpoint.listeners), so a worker that stops, even killed, drops none of the connections
queued at its socket: its successor answers them.
"""

from __future__ import annotations

import os
import runpy
import select
import signal
import socket
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


def test_per_worker_sockets_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off by default; gunicorn's own reuse_port (a socket opened in each worker) never."""
    monkeypatch.delenv("KG_REUSE_PORT", raising=False)
    assert Settings.from_env().reuse_port is False
    monkeypatch.setenv("KG_REUSE_PORT", "1")
    assert Settings.from_env().reuse_port is True
    for value in (None, "0", "1"):
        assert _conf(monkeypatch, value)["reuse_port"] is False


def _listeners(port: int) -> list[int]:
    """The accept-queue length of each socket listening on 127.0.0.1:``port``
    (``/proc/net/tcp``: state 0A, whose receive queue is the number of connections queued)."""
    local = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    fields = [line.split() for line in lines]
    return [int(f[4].split(":")[1], 16) for f in fields if f[1] == local and f[3] == "0A"]


def _listening_sockets(port: int) -> int:
    return len(_listeners(port))


def _both_workers_started(master: int) -> bool:
    """Two workers, each with its query process (started after the worker loaded the app)."""
    workers = {p.pid for p in children(master)}
    return len(workers) == 2 and {p.parent for p in grandchildren(master)} == workers


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="needs Linux /proc")
@pytest.mark.parametrize(("reuse", "sockets"), [("1", 2), ("0", 1)])
def test_each_worker_listens_on_its_own_socket_when_asked(
    built: Settings, reuse: str, sockets: int
) -> None:
    """Two workers: two listening sockets with KG_REUSE_PORT=1, one shared without."""
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


def _wait_for(condition, what: str, seconds: float = 120) -> None:
    """Poll ``condition`` until it holds; the bound only ends a broken run."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def _answered(conn: socket.socket) -> bool:
    return bool(select.select([conn], [], [], 0)[0])


def _answer(conn: socket.socket) -> bytes:
    """Everything the server sends on ``conn`` until it closes it (``Connection: close``)."""
    conn.settimeout(120)
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="needs Linux /proc")
def test_a_worker_killed_loses_no_queued_connection(built: Settings) -> None:
    """One worker frozen, then killed, with connections queued at its socket: its successor
    answers every one of them (gunicorn's own reuse_port closed the socket with the worker,
    and the kernel reset them)."""
    port = free_port()
    process = start_gunicorn(
        built.build_dir, port, KG_WORKERS="2", KG_QUERY_PROCESSES="1", KG_REUSE_PORT="1"
    )
    conns: list[socket.socket] = []
    try:
        _wait_for(lambda: _both_workers_started(process.pid), "two workers started")
        assert _listening_sockets(port) == 2
        frozen = children(process.pid)[0].pid
        os.kill(frozen, signal.SIGSTOP)
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        for _ in range(24):
            conn = socket.create_connection(("127.0.0.1", port), timeout=120)
            conn.sendall(request)
            conns.append(conn)
        # The kernel spread them: the running worker answers its share, the rest wait in the
        # frozen worker's accept queue.
        _wait_for(
            lambda: sum(map(_answered, conns)) + sum(_listeners(port)) == len(conns),
            "every connection answered or queued",
        )
        # Some wait in a queue (the frozen worker's at least; on a loaded machine the running
        # worker may not have taken its own share yet, so how many is not asserted).
        assert sum(_listeners(port)) > 0
        os.kill(frozen, signal.SIGKILL)
        for conn in conns:
            assert _answer(conn).startswith(b"HTTP/1.1 200 ")
        assert frozen not in {p.pid for p in children(process.pid)}
    finally:
        for conn in conns:
            conn.close()
        stop_process(process)


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="needs Linux /proc")
def test_after_a_reload_every_socket_has_a_worker(built: Settings) -> None:
    """SIGHUP: new workers start beside the old, which then stop; afterwards connections on
    every socket of the group are answered (a socket left without a worker would hang)."""
    port = free_port()
    process = start_gunicorn(
        built.build_dir, port, KG_WORKERS="2", KG_QUERY_PROCESSES="1", KG_REUSE_PORT="1"
    )
    conns: list[socket.socket] = []
    try:
        _wait_for(lambda: _both_workers_started(process.pid), "two workers started")
        old = {p.pid for p in children(process.pid)}
        os.kill(process.pid, signal.SIGHUP)
        _wait_for(
            lambda: (
                _both_workers_started(process.pid)
                and not old & {p.pid for p in children(process.pid)}
            ),
            "two new workers, the old ones gone",
        )
        assert _listening_sockets(port) == 2
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        for _ in range(24):  # spread over both sockets by the kernel's hash
            conn = socket.create_connection(("127.0.0.1", port), timeout=120)
            conn.sendall(request)
            conns.append(conn)
        for conn in conns:
            assert _answer(conn).startswith(b"HTTP/1.1 200 ")
    finally:
        for conn in conns:
            conn.close()
        stop_process(process)
