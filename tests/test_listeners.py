"""kg.web.endpoint.listeners: one listening socket per worker, opened and held by the master.

The unit tests here use gunicorn's own socket wrappers on real sockets, with the arbiter's few
attributes the module reads; tests/test_reuse_port.py runs a real gunicorn.
"""

from __future__ import annotations

import logging
import socket
from types import SimpleNamespace

import pytest

from kg.web.endpoint import listeners
from tests.conftest import free_port


def _arbiter(port: int, workers: int = 2, address=None) -> SimpleNamespace:
    cfg = SimpleNamespace(
        address=address or [("127.0.0.1", port)],
        workers=workers,
        reuse_port=False,
        backlog=64,
        is_ssl=False,
    )
    return SimpleNamespace(cfg=cfg, LISTENERS=[], WORKERS={}, log=logging.getLogger("test"))


def _close(server: SimpleNamespace) -> None:
    for listener in server.LISTENERS:
        listener.close()


def test_one_listening_socket_per_worker_on_the_same_port() -> None:
    port = free_port()
    server = _arbiter(port, workers=3)
    try:
        assert listeners.open_per_worker(server) is True
        assert len(server.LISTENERS) == 3
        for listener in server.LISTENERS:
            assert listener.getsockname() == ("127.0.0.1", port)
            assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        # The group answers: a connection is queued at one of the sockets.
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
    finally:
        _close(server)


def test_port_zero_becomes_one_port_for_all() -> None:
    server = _arbiter(0, workers=2)
    try:
        assert listeners.open_per_worker(server) is True
        ports = {listener.getsockname()[1] for listener in server.LISTENERS}
        assert len(ports) == 1
        assert ports != {0}
    finally:
        _close(server)


def test_a_port_in_use_is_refused() -> None:
    """A second server on a port that another server's per-worker sockets listen on (same
    user, ``SO_REUSEPORT``) fails to start, as with gunicorn's one shared socket, instead of
    joining their group and sharing the connections."""
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = _arbiter(taken.getsockname()[1])
        with pytest.raises(listeners.PortInUseError):
            listeners.open_per_worker(server, attempts=2, pause=0)
        assert server.LISTENERS == []


@pytest.mark.parametrize(
    "address", [["unix:/tmp/kg.sock"], [("127.0.0.1", 1), ("127.0.0.1", 2)]], ids=str
)
def test_other_addresses_keep_gunicorn_s_shared_socket(address) -> None:
    server = _arbiter(0, address=[a if isinstance(a, tuple) else a[5:] for a in address])
    assert listeners.open_per_worker(server) is False
    assert server.LISTENERS == []


def test_inherited_sockets_keep_gunicorn_s_handling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTEN_FDS", "1")
    server = _arbiter(free_port())
    assert listeners.open_per_worker(server) is False
    assert server.LISTENERS == []


def _spawn(server: SimpleNamespace, pid: int) -> SimpleNamespace:
    worker = SimpleNamespace(sockets=list(server.LISTENERS))
    listeners.assign(server, worker)
    server.WORKERS[pid] = worker
    return worker


def test_each_socket_gets_a_worker_and_a_successor() -> None:
    """Start, a reload (new workers beside the old), the old ones stopping, then a crash: every
    socket always has a living worker, and each worker accepts from one socket only."""
    server = _arbiter(0, workers=2)
    server.LISTENERS = ["first", "second"]  # assign only hands them out
    setattr(server, listeners.ARBITER_FLAG, 2)
    a, b = _spawn(server, 1), _spawn(server, 2)
    assert (a.sockets, b.sockets) == (["first"], ["second"])
    c, d = _spawn(server, 3), _spawn(server, 4)  # SIGHUP: the new beside the old
    assert (c.sockets, d.sockets) == (["first"], ["second"])
    del server.WORKERS[1], server.WORKERS[2]  # the old ones stop
    del server.WORKERS[4]  # a crash
    e = _spawn(server, 5)
    assert e.sockets == ["second"]


def test_without_per_worker_sockets_workers_keep_the_shared_one() -> None:
    server = _arbiter(0)
    server.LISTENERS = ["shared"]
    worker = _spawn(server, 1)
    assert worker.sockets == ["shared"]
    assert not hasattr(worker, listeners.WORKER_INDEX)
