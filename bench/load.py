"""The bench's load generator: keep-alive HTTP/1.1 clients, each in a process of its own.

Measured on 2026-12-06 (bench/RESULTS.md): 4 clients as threads of one process, each with
``http.client``, drove a static file served by nginx at 1,900–5,900 requests per second on the
shared 2-core machine, while ``ab -k -c 4`` drove the same file at 25,000–29,000: the client
itself was the ceiling (one interpreter lock for all clients, ``http.client``'s parsing), about
as fast as our cached answers, so the cached ratio to Oxigraph measured the client.
Here each client is a forked process (no lock shared between clients), sends request bytes
prepared once, and reads each answer with a buffered reader: the status line, the headers, and
a body framed by ``Content-Length`` or chunked transfer coding (Oxigraph's server sends
chunks, gunicorn a length). Every body is read to its end before the next request, as
``http.client`` does; an answer other than 200, a broken frame or a closed connection counts
as an error and the client opens a new connection.

``threads=True`` keeps the former load generator (threads of ``http.client``) for comparing
with runs recorded before this one.
"""

from __future__ import annotations

import http.client
import multiprocessing
import socket
import threading
import time

_STATUS_OK = b" 200 "


class AnswerFramingError(Exception):
    """The server's bytes were not an HTTP/1.1 answer this reader can frame."""


def request_bytes(port: int, url: str, accept: str) -> bytes:
    """One keep-alive GET, as ``http.client`` would send it (host, encoding, accept)."""
    return (
        f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Accept-Encoding: identity\r\nAccept: {accept}\r\n\r\n"
    ).encode("latin-1")


def read_answer(reader) -> tuple[bool, bool]:
    """Read one answer from the buffered ``reader`` to the end of its body: whether its status
    was 200, and whether the connection may carry another request."""
    status = reader.readline(65537)
    if not status:
        raise AnswerFramingError("connection closed before an answer")
    if not status.startswith(b"HTTP/1."):
        raise AnswerFramingError(f"not a status line: {status[:40]!r}")
    length, chunked, keep = None, False, not status.startswith(b"HTTP/1.0")
    while True:
        line = reader.readline(65537)
        if line in (b"\r\n", b"\n"):
            break
        if not line:
            raise AnswerFramingError("connection closed in the headers")
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = value.endswith(b"chunked")
        elif name == b"connection":
            keep = value != b"close"
    if chunked:
        _read_chunks(reader)
    elif length is not None:
        _read_exactly(reader, length)
    else:  # the body runs to the end of the connection
        while reader.read(65536):
            pass
        keep = False
    return _STATUS_OK in status[:13], keep


def _read_exactly(reader, size: int) -> None:
    if size and len(reader.read(size)) != size:
        raise AnswerFramingError("connection closed in the body")


def _read_chunks(reader) -> None:
    while True:
        line = reader.readline(65537)
        if not line:
            raise AnswerFramingError("connection closed in a chunk's size")
        size = int(line.split(b";", 1)[0], 16)
        if size == 0:
            break
        _read_exactly(reader, size + 2)  # the chunk and its CRLF
    while reader.readline(65537) not in (b"\r\n", b"\n", b""):  # trailers
        pass


def _client(port: int, requests: list[bytes], offset: int, seconds: float, out) -> None:
    """One client: its own connection, cycling through ``requests`` from ``offset`` until
    ``seconds`` have passed; sends (latencies, errors) to ``out``."""
    latencies: list[float] = []
    errors = 0
    sock = reader = None
    i = offset
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        request = requests[i % len(requests)]
        i += 1
        started = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = sock.makefile("rb", buffering=65536)
            sock.sendall(request)
            ok, keep = read_answer(reader)
        except (OSError, ValueError, AnswerFramingError):
            ok, keep = False, False
        latencies.append(time.perf_counter() - started)
        errors += not ok
        if not keep and sock is not None:
            reader.close()
            sock.close()
            sock = reader = None
    if sock is not None:
        reader.close()
        sock.close()
    out.send((latencies, errors))
    out.close()


def run(
    port: int,
    urls: list[tuple[str, str]],
    clients: int,
    seconds: float,
    *,
    threads: bool = False,
) -> tuple[list[float], float, int]:
    """``clients`` keep-alive clients cycling through ``urls`` (path and query, Accept) for
    ``seconds``: every latency, the wall time, and the number of errors."""
    if threads:
        return _run_threads(port, urls, clients, seconds)
    requests = [request_bytes(port, url, accept) for url, accept in urls]
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    started = time.monotonic()
    for n in range(clients):
        theirs, ours = context.Pipe(duplex=False)
        process = context.Process(target=_client, args=(port, requests, n * 3, seconds, ours))
        process.start()
        ours.close()
        pipes.append(theirs)
        processes.append(process)
    latencies: list[float] = []
    errors = 0
    for pipe in pipes:
        mine, failed = pipe.recv()
        latencies += mine
        errors += failed
    elapsed = time.monotonic() - started
    for process in processes:
        process.join()
    return latencies, elapsed, errors


def _run_threads(
    port: int, urls: list[tuple[str, str]], clients: int, seconds: float
) -> tuple[list[float], float, int]:
    """The former load generator: ``clients`` threads of ``http.client`` in this process."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        i = offset
        while time.monotonic() < stop:
            url, accept = urls[i % len(urls)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", url, headers={"Accept": accept})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(n * 3,)) for n in range(clients)]
    started = time.monotonic()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return latencies, time.monotonic() - started, errors[0]
