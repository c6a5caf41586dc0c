"""A connection the server closes never holds the worker's main thread.

gunicorn 27 closes a finished connection "gracefully" in the worker's main thread: it waits up
to two seconds for the client's FIN, and accepts nothing meanwhile. So clients that read their
answers but keep their sockets open (or simply read them one after another) stalled a worker
for two seconds each (:mod:`kg.web.endpoint.gunicorn_worker`).
"""

from __future__ import annotations

import socket
import time
from collections import deque

import pytest

from kg.settings import Settings
from tests.conftest import free_port, start_gunicorn, stop_process

#: Clients that send ``Connection: close`` and never close their end. With the lingering close
#: in the main thread they cost one worker 2 s each, 120 s in all: far past BOUND.
CLIENTS = 60
#: Seconds within which every client must have its answer: what the server needs is a few
#: milliseconds per request, so this is a margin of hundreds over it even on a loaded machine.
BOUND = 30.0
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _answer(conn: socket.socket, deadline: float) -> bytes:
    """Everything until the server's FIN (its half-close follows the answer at once)."""
    data = b""
    while True:
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.mark.integration
def test_clients_that_keep_their_sockets_open_do_not_stall_the_worker(built: Settings) -> None:
    port = free_port()
    process = start_gunicorn(built.build_dir, port, KG_WORKERS="1")
    conns: list[socket.socket] = []
    try:
        for _ in range(CLIENTS):
            conn = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
            conn.sendall(REQUEST)
            conns.append(conn)
        deadline = time.monotonic() + BOUND
        # Read in order and keep every socket open: the server must not wait for our FIN.
        answers = [_answer(conn, deadline) for conn in conns]
        assert all(a.startswith(b"HTTP/1.1 200 ") for a in answers)
        late = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
        conns.append(late)
        late.sendall(REQUEST)
        assert _answer(late, time.monotonic() + BOUND).startswith(b"HTTP/1.1 200 ")
    finally:
        for conn in conns:
            conn.close()
        stop_process(process)


@pytest.mark.integration
def test_a_client_that_never_closes_is_closed_after_the_linger(built: Settings) -> None:
    """The half-closed socket is not kept for ever: after CLOSE_LINGER (2 s) without the
    client's FIN the server closes it, and what the client sends then is refused (RST). The
    bound only ends a broken run: thirty times the linger."""
    port = free_port()
    process = start_gunicorn(built.build_dir, port, KG_WORKERS="1")
    conn = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
    try:
        conn.sendall(REQUEST)
        assert _answer(conn, time.monotonic() + BOUND).startswith(b"HTTP/1.1 200 ")
        deadline = time.monotonic() + 60
        refused = False
        while not refused and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                conn.sendall(b"x")  # drained while the server lingers, refused once it closed
                conn.settimeout(0.01)
                conn.recv(1)
            except (ConnectionResetError, BrokenPipeError):
                refused = True
            except TimeoutError:
                pass
        assert refused, "the server never closed a connection whose client kept it open"
    finally:
        conn.close()
        stop_process(process)


def test_a_closing_connection_counts_until_it_is_closed() -> None:
    """A half-closed connection still counts against ``worker_connections`` (``nr_conns``)
    until the client's FIN closes it, so clients that never close cannot pile up sockets: the
    worker stops accepting instead, as gthread does."""
    import selectors
    from concurrent.futures import Future

    from tests.test_gunicorn_worker import _conn, _worker

    worker = _worker()
    worker.poller = selectors.DefaultSelector()
    worker._closing = deque()
    worker.nr_conns = 1
    ours, client = socket.socketpair()
    try:
        done: Future = Future()
        done.set_result(False)  # the answer said "Connection: close"
        worker.finish_request(_conn(ours), done)
        assert worker.nr_conns == 1 and client.recv(1) == b""  # half-closed, still counted
        client.close()  # the client's FIN
        for key, _ in worker.poller.select(BOUND):
            key.data(key.fileobj)
        assert worker.nr_conns == 0 and ours.fileno() == -1
    finally:
        ours.close()
        client.close()
        worker.poller.close()
