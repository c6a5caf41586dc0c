"""The threaded worker that answers a kept-alive connection's next request in the same thread
(:mod:`kg.web.endpoint.gunicorn_worker`): it lingers only when it should, and what it answers
is what gthread's own path answers."""

from __future__ import annotations

import io
import queue
import select
import socket
import threading
import urllib.parse
from types import SimpleNamespace

import pytest
from gunicorn.workers.gthread import ThreadWorker

from kg.settings import Settings
from kg.web.endpoint import gunicorn_worker
from kg.web.endpoint.gunicorn_worker import LingeringThreadWorker, OneWrite


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
    client.settimeout(30)  # a read that would hang fails instead
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


def _request(target: str, method: str = "GET", extra: str = "") -> bytes:
    return (
        f"{method} {target} HTTP/1.1\r\nHost: localhost\r\n{extra}"
        "Accept: application/sparql-results+json\r\n\r\n".encode("ascii")
    )


class _Reader:
    """Reads answers one after another from a connection (pipelined ones too)."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn, self.data = conn, b""

    def answer(self, body: bool = True) -> tuple[str, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.data:
            chunk = self.conn.recv(65536)
            assert chunk, "the server closed the connection"
            self.data += chunk
        header, _, self.data = self.data.partition(b"\r\n\r\n")
        status, *lines = header.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines)
        length = int(headers.get("Content-Length", "0")) if body and " 304 " not in status else 0
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


HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"


def _readable(sock: socket.socket) -> bool:
    waiter = select.poll()
    waiter.register(sock, select.POLLIN)
    return bool(waiter.poll(0))


def test_the_head_waits_for_the_body_and_both_arrive_in_order(pair) -> None:
    ours, client = pair
    joined = OneWrite(ours)
    joined.sendall(HEAD)
    assert not _readable(client)  # held
    joined.sendall(b"body")
    joined.flush()
    assert client.recv(1000) == HEAD + b"body"


def test_a_long_body_follows_the_head(pair) -> None:
    ours, client = pair
    body = b"x" * (gunicorn_worker.JOIN_AT_MOST + 1)
    received = []
    reader = threading.Thread(
        target=lambda: received.append(_read_exactly(client, len(HEAD) + len(body)))
    )
    reader.start()
    joined = OneWrite(ours)
    joined.sendall(HEAD)
    joined.sendall(body)
    reader.join(60)
    assert received == [HEAD + body]


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_a_head_without_body_is_sent_by_flush(pair) -> None:
    ours, client = pair
    joined = OneWrite(ours)
    joined.sendall(HEAD)
    joined.flush()
    assert client.recv(1000) == HEAD


def test_any_other_use_of_the_socket_sends_the_head_first(pair) -> None:
    """``sendfile`` (downloads), ``send`` and closing go to the socket itself: the head first."""
    ours, client = pair
    joined = OneWrite(ours)
    joined.sendall(HEAD)
    joined.send(b"more")
    assert _read_exactly(client, len(HEAD) + 4) == HEAD + b"more"


def test_only_a_head_as_the_first_write_is_held(pair) -> None:
    ours, client = pair
    joined = OneWrite(ours)
    joined.sendall(b"not a head")
    assert client.recv(1000) == b"not a head"
    joined.sendall(HEAD)  # a second write is never held
    assert client.recv(1000) == HEAD


@pytest.mark.integration
def test_answers_without_body_and_files_are_sent_whole(built: Settings) -> None:
    """The head of a 304 and of a HEAD request (no body to join it) is sent, a download (a
    file, sent with sendfile after its head) arrives whole, and the connection goes on."""
    import hashlib
    import re

    from tests.conftest import free_port, start_gunicorn, stop_process

    port = free_port()
    process = start_gunicorn(built.build_dir, port, KG_WORKERS="1")
    ask = "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            reader = _Reader(conn)
            conn.sendall(_request(ask))
            status, headers, body = reader.answer()
            assert " 200 " in status and body
            conn.sendall(_request(ask, extra=f"If-None-Match: {headers['ETag']}\r\n"))
            assert " 304 " in reader.answer()[0]
            conn.sendall(_request(ask, method="HEAD"))
            status, headers, _ = reader.answer(body=False)
            assert " 200 " in status and headers["Content-Length"] == str(len(body))
            conn.sendall(_request("/downloads"))
            page = reader.answer()[2].decode("utf-8")
            trig = re.search(r'href="(/downloads/[^"]+\.trig)"', page).group(1)
            sums = trig.rsplit("/", 1)[0] + "/SHA256SUMS"
            conn.sendall(_request(trig) + _request(sums))
            status, _, data = reader.answer()
            listed = reader.answer()[2].decode("ascii")
            assert " 200 " in status
            assert f"{hashlib.sha256(data).hexdigest()}  {trig.rsplit('/', 1)[1]}" in listed
            conn.sendall(_request(ask))
            assert reader.answer()[2] == body
    finally:
        stop_process(process)
