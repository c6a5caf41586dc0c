"""The bench's load generator (bench/load.py) reads every answer to its end, whatever its framing.

A reader that stopped early, or read into the next answer, would count wrong requests per
second or errors: each framing the servers use is read here, and a real keep-alive server
sees exactly the requests the generator counts.
"""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bench import load

CHUNKED = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/turtle\r\ntransfer-encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n"
)
LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
CLOSING = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"
TO_THE_END = b"HTTP/1.0 200 OK\r\n\r\nall of it"


def _reader(*answers: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(b"".join(answers)))


def test_answers_in_a_row_are_each_read_to_their_end() -> None:
    """Chunks (with an extension and a trailer), then a length, then a 404: three answers."""
    reader = _reader(CHUNKED, LENGTH, NOT_FOUND)
    assert load.read_answer(reader) == (True, True)
    assert load.read_answer(reader) == (True, True)
    assert load.read_answer(reader) == (False, True)
    assert reader.read() == b""


def test_a_closing_answer_ends_the_connection() -> None:
    assert load.read_answer(_reader(CLOSING)) == (True, False)
    reader = _reader(TO_THE_END)
    assert load.read_answer(reader) == (True, False)
    assert reader.read() == b""


@pytest.mark.parametrize(
    "cut",
    [LENGTH[:-1], CHUNKED[:60], b"", b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", b"garbage\r\n"],
)
def test_a_broken_answer_is_an_error(cut: bytes) -> None:
    with pytest.raises(load.AnswerFramingError):
        load.read_answer(_reader(cut))


class _Counting(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as both servers of the bench
    seen: ClassVar[list[str]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.seen.append(self.path)
        status = 200 if self.path.startswith("/ok") else 404
        body = self.path.encode() * 50
        self.send_response(status)
        if self.path.endswith("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("threads", [False, True])
def test_the_server_sees_every_request_counted(threads: bool) -> None:
    """Two clients for a moment against a keep-alive server: each request the generator
    counts arrived, and the answers that were not 200 are its errors."""
    _Counting.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        urls = [("/ok-length", "*/*"), ("/ok-chunked", "*/*"), ("/missing", "*/*")]
        latencies, elapsed, errors = load.run(
            server.server_address[1], urls, clients=2, seconds=0.5, threads=threads
        )
    finally:
        server.shutdown()
        server.server_close()
    assert latencies
    assert elapsed > 0
    assert len(_Counting.seen) == len(latencies)
    assert errors == sum(1 for path in _Counting.seen if path == "/missing")
    assert errors > 0
