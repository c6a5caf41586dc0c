"""gunicorn's threaded worker, keeping a busy kept-alive connection in its thread for a moment.

gunicorn's ``gthread`` worker hands every request of a kept-alive connection through its main
thread: the finished connection goes back to the main thread (a byte on a pipe, a callback),
into its ``epoll`` set, and when the client's next request arrives, out of it and into the thread
pool again (a future, a lock, a wake-up). Measured under the bench's load (``strace -c`` on a
worker, answers from the answer cache), that is about 18 futex calls, two ``epoll_ctl``, two
``epoll_wait`` and a pipe write and read per request, and two threads passing the interpreter
lock back and forth: more of a cached answer's CPU than the answer itself.

A client that sends its next request on the same connection right after reading an answer (a
program asking many queries; the bench) does not need that round trip. So after a kept-alive
answer the thread waits for the connection's next request for at most :data:`LINGER` seconds
and answers it itself; only when none comes in time, or other connections are waiting for a
thread, does the connection go back to the main thread, exactly as in ``gthread``. Nothing
else changes: the same parser, the same ``handle``, the same keep-alive timeout afterwards, the
same graceful stop (a stopping worker does not linger).

A connection the server closes is closed without holding the main thread. gunicorn 27 closes it
"gracefully" (RFC 9112, section 9.6: half-close, then read until the client's FIN, for up to
two seconds) in the main thread, which meanwhile accepts nothing: 24 clients that read their
answers one after another took 26 s to be answered by two workers, and a client that never
closes its end stalled a worker for two seconds per request. Here the half-close is the same,
but the rest of the lingering happens in the main thread's event loop: the socket waits in the
poller until the client's FIN (or the same two seconds) and is closed then.
"""

from __future__ import annotations

import contextlib
import select
import selectors
import socket
import time
from collections import deque
from functools import partial

from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

# How long a thread waits for the next request of the connection it has just answered. A
# client in a loop sends it within a fraction of this; a thread held this long by an idle
# connection delays a waiting connection by no more (and only when no thread is free).
LINGER = 0.002
#: Seconds a closed connection waits for the client's FIN before it is closed anyway (gunicorn's
#: own ``close_graceful`` waits as long, but in the main thread).
CLOSE_LINGER = 2.0
#: Bytes read from a closing connection before it is closed anyway (as gunicorn's).
CLOSE_DRAIN = 65536


class LingeringThreadWorker(ThreadWorker):
    """``gthread``, answering a kept-alive connection's next request in the same thread when it
    arrives within :data:`LINGER` and no other connection is waiting for a thread."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: Half-closed connections waiting for the client's FIN: [deadline, socket, bytes read],
        #: in the order of their deadlines (socket None once closed).
        self._closing: deque[list] = deque()

    def handle(self, conn):
        keep = super().handle(conn)
        while keep is True and self.alive and self._next_request_ready(conn):
            keep = super().handle(conn)
        return keep

    def _next_request_ready(self, conn) -> bool:
        """Whether the connection's next request is here (or arrives within LINGER), and
        this thread may answer it without keeping another connection waiting."""
        if self.tpool._work_queue.qsize():  # another connection waits for a thread
            return False
        if conn.parser.unreader.buf.getvalue():  # already read ahead (as gthread checks)
            return True
        waiter = select.poll()
        waiter.register(conn.sock, select.POLLIN)
        try:
            return bool(waiter.poll(LINGER * 1000))
        except (OSError, ValueError):
            return False

    def finish_request(self, conn, fs) -> None:
        """As gthread's, except that a connection to close is half-closed and left to the event
        loop (:meth:`_close_when_drained`) instead of lingering in the main thread."""
        if fs.cancelled() or fs.exception() is not None:
            super().finish_request(conn, fs)
            return
        result = fs.result()
        if result is getattr(gthread, "_DEFER", None) or result:
            super().finish_request(conn, fs)
            return
        sock = conn.sock
        entry = [time.monotonic() + CLOSE_LINGER, sock, 0]
        try:
            sock.shutdown(socket.SHUT_WR)  # the FIN: the client has the whole answer
            sock.setblocking(False)
        except OSError:
            self._close_now(entry)
            return
        self._closing.append(entry)
        self.poller.register(sock, selectors.EVENT_READ, partial(self._close_when_drained, entry))

    def _close_when_drained(self, entry: list, sock) -> None:
        """Read what the client still sends; close at its FIN (or past the drain's cap)."""
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        entry[2] += len(data)
        if not data or entry[2] >= CLOSE_DRAIN:
            self._close_now(entry)

    def _close_now(self, entry: list) -> None:
        """Close a closing connection once. It counts as a connection of the worker until then
        (``nr_conns``), so that clients that never close cannot pile up sockets past
        ``worker_connections``: the worker stops accepting instead, as gthread does."""
        sock, entry[1] = entry[1], None
        if sock is None:
            return
        self.nr_conns -= 1
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(sock)
        sock.close()

    def murder_keepalived(self, force=False) -> None:
        """gthread's sweep of idle kept-alive connections, and of closing connections whose
        client has not closed its end in :data:`CLOSE_LINGER` (all of them when forced, as the
        worker stops)."""
        super().murder_keepalived(force=force)
        now = time.monotonic()
        while self._closing:
            deadline, sock, _ = self._closing[0]
            if not (force or sock is None or deadline <= now):
                break
            self._close_now(self._closing.popleft())
