"""The threaded worker that answers a kept-alive connection's next request in the same thread
(:mod:`kg.web.endpoint.gunicorn_worker`): it lingers only when it should, and what it answers
is what gthread's own path answers."""

from __future__ import annotations

import io
import queue
import socket
import urllib.parse
from types import SimpleNamespace

import pytest
from gunicorn.workers.gthread import ThreadWorker

from kg.settings import Settings
from kg.web.endpoint import gunicorn_worker
from kg.web.endpoint.gunicorn_worker import LingeringThreadWorker


def _worker(waiting: int = 0, alive: bool = True) -> LingeringThreadWorker:
    """A worker with only what ``handle`` and the linger read: the pool's queue, ``alive``."""
    worker = object.__new__(LingeringThreadWorker)
    work = queue.SimpleQueue()
    for n in range(waiting):
        work.put(n)
    worker.tpool = SimpleNamespace(_work_queue=work)
    worker.alive = alive
    return worker


def _conn(sock: socket.socket, read_ahead: bytes = b"") -> SimpleNamespace:
    buf = io.BytesIO()
    buf.write(read_ahead)
    return SimpleNamespace(sock=sock, parser=SimpleNamespace(unreader=SimpleNamespace(buf=buf)))


@pytest.fixture
def pair():
    ours, client = socket.socketpair()
    yield ours, client
    ours.close()
    client.close()


def test_the_next_request_on_the_socket_is_answered_here(pair) -> None:
    ours, client = pair
    client.sendall(b"GET /sparql HTTP/1.1\r\n")
    assert _worker()._next_request_ready(_conn(ours))


def test_a_request_already_read_ahead_is_answered_here(pair) -> None:
    ours, _ = pair
    assert _worker()._next_request_ready(_conn(ours, read_ahead=b"GET / HTTP/1.1\r\n"))


def test_a_quiet_connection_goes_back_to_the_main_thread(pair) -> None:
    ours, _ = pair
    assert not _worker()._next_request_ready(_conn(ours))


def test_a_connection_waiting_for_a_thread_ends_the_linger(pair) -> None:
    ours, client = pair
    client.sendall(b"GET /sparql HTTP/1.1\r\n")
    assert not _worker(waiting=1)._next_request_ready(_conn(ours))


def test_a_closed_client_is_handed_to_the_parser(pair) -> None:
    """End of stream is readable: the parser sees it and the connection is closed as usual."""
    ours, client = pair
    client.close()
    assert _worker()._next_request_ready(_conn(ours))


@pytest.mark.parametrize(
    ("answers", "alive", "calls"),
    [
        ([True, True, False], True, 3),  # answered until the client closes
        ([True, object()], True, 2),  # gthread's "defer" ends the loop too
        ([True, True], False, 1),  # a stopping worker does not linger
    ],
)
def test_handle_answers_in_the_thread_while_requests_come(
    pair, monkeypatch, answers, alive, calls
) -> None:
    ours, client = pair
    client.sendall(b"x")  # always readable
    given = iter(answers)
    seen: list[object] = []

    def handle(self, conn):
        seen.append(conn)
        return next(given)

    monkeypatch.setattr(ThreadWorker, "handle", handle)
    conn = _conn(ours)
    result = _worker(alive=alive).handle(conn)
    assert len(seen) == calls
    assert result is answers[calls - 1]


def _request(target: str) -> bytes:
    return (
        f"GET {target} HTTP/1.1\r\nHost: localhost\r\n"
        "Accept: application/sparql-results+json\r\n\r\n".encode("ascii")
    )


class _Reader:
    """Reads answers one after another from a connection (pipelined ones too)."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn, self.data = conn, b""

    def answer(self) -> tuple[str, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.data:
            chunk = self.conn.recv(65536)
            assert chunk, "the server closed the connection"
            self.data += chunk
        header, _, self.data = self.data.partition(b"\r\n\r\n")
        status, *lines = header.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines)
        length = int(headers["Content-Length"])
        while len(self.data) < length:
            chunk = self.conn.recv(65536)
            assert chunk, "the server closed the connection"
            self.data += chunk
        body, self.data = self.data[:length], self.data[length:]
        headers.pop("Date")
        return status, headers, body


@pytest.mark.integration
def test_answers_in_the_lingering_thread_match_a_new_connections(built: Settings) -> None:
    """Requests pipelined on a kept-alive connection (each one after the first is there when
    the answer before it is sent, so the thread that lingers answers it) get the same status,
    headers and body as each on a new connection (answered through gthread's main thread),
    for queries answered from the cache, evaluated, and refused."""
    from tests.conftest import free_port, start_gunicorn, stop_process

    assert gunicorn_worker.LINGER < 1  # never holds a thread for long
    port = free_port()
    process = start_gunicorn(built.build_dir, port, KG_WORKERS="1")
    queries = [
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "ASK { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p",  # 400
        "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3",
    ]
    targets = ["/sparql?query=" + urllib.parse.quote(q) for q in queries] * 2
    try:
        expected = []
        for target in targets:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as fresh:
                fresh.sendall(_request(target))
                expected.append(_Reader(fresh).answer())
        with socket.create_connection(("127.0.0.1", port), timeout=60) as kept:
            kept.sendall(b"".join(_request(target) for target in targets))
            reader = _Reader(kept)
            assert [reader.answer() for _ in targets] == expected
    finally:
        stop_process(process)
