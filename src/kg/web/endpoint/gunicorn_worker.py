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
"""

from __future__ import annotations

import select

from gunicorn.workers.gthread import ThreadWorker

# How long a thread waits for the next request of the connection it has just answered. A
# client in a loop sends it within a fraction of this; a thread held this long by an idle
# connection delays a waiting connection by no more (and only when no thread is free).
LINGER = 0.002


class LingeringThreadWorker(ThreadWorker):
    """``gthread``, answering a kept-alive connection's next request in the same thread when it
    arrives within :data:`LINGER` and no other connection is waiting for a thread."""

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
