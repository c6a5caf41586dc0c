"""One listening socket per gunicorn worker, opened and held by the master for the server's life.

With one socket shared by all workers, the worker whose main thread wakes first takes the
connection. With ``SO_REUSEPORT`` (``KG_REUSE_PORT=1``) the kernel spreads new connections over
the sockets of a group instead, by a hash of their addresses, and each worker accepts from its
own socket only. Measured (``bench/RESULTS.md``): before the lingering worker
(:mod:`kg.web.endpoint.gunicorn_worker`) one worker often held most kept-alive clients and
this answered cached requests about 20 % faster; since, with a load generator that is not itself
the ceiling, it was not measurably faster (ahead in 9 of 15 interleaved runs), so it stays
off by default.

gunicorn's own ``reuse_port`` opens each worker's socket *in* the worker, so a worker that stops
(a reload, a crash, a rolled replica) closes its socket with the connections still queued at it,
and the kernel resets them (unless the host set ``net.ipv4.tcp_migrate_req``, which no server
can rely on). Here the master opens the sockets before it forks any worker and never closes one
while the server runs: a worker only accepts from its socket, and a worker that stops leaves
its queued connections to the worker that replaces it, or that runs beside it during a reload
(each new worker takes the socket the fewest living workers accept from). Nothing is dropped;
a connection queued at a crashed worker's socket waits for its successor to start.

What stays as it was: a server that finds its port taken refuses to start (a plain bind is
tried first, so a second ``kg serve`` on the same port fails as it would with one socket). What
does not: any process of the *same user* that sets ``SO_REUSEPORT`` may still join the group and
receive a share of the connections (SECURITY.md): run the server as a user of its own.
Without ``KG_REUSE_PORT`` all workers share one socket. Inherited sockets (systemd socket
activation, gunicorn's ``USR2`` re-exec) and Unix or several addresses keep gunicorn's shared
sockets; so do gunicorn's ``TTIN``/``TTOU`` signals not fit this scheme (a worker count lowered
at run time would leave a socket that no worker accepts from), and ``kg`` never sends them.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from collections import Counter

from gunicorn import sock as gunicorn_sock

#: Attribute set on the arbiter (how many workers the sockets were made for) and on each worker
#: (the index of its socket among the arbiter's LISTENERS).
ARBITER_FLAG = "kg_listeners_per_worker"
WORKER_INDEX = "kg_listener"


class PortInUseError(RuntimeError):
    """Something listens on the address already."""


def open_per_worker(server, attempts: int = 5, pause: float = 1.0) -> bool:
    """Give the gunicorn arbiter ``server`` one listening socket per worker, all bound to its one
    TCP address with ``SO_REUSEPORT``; whether it did (else gunicorn opens its shared socket as
    usual). Raises :class:`PortInUseError` when another socket listens on the address after
    ``attempts`` tries ``pause`` seconds apart (gunicorn's own retry for a restart)."""
    cfg = server.cfg
    addresses = cfg.address
    inherited = os.environ.get("GUNICORN_FD") or os.environ.get("LISTEN_FDS")
    if server.LISTENERS or inherited or not hasattr(socket, "SO_REUSEPORT"):
        return False
    if len(addresses) != 1 or not isinstance(addresses[0], tuple):
        return False
    host, port = addresses[0]
    kind = gunicorn_sock._sock_type(addresses[0])  # TCPSocket or TCP6Socket, as gunicorn chooses
    _wait_until_free(kind.FAMILY, host, port, attempts, pause)
    listeners = []
    for _ in range(cfg.workers):
        raw = socket.socket(kind.FAMILY, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        raw.bind((host, port))
        port = raw.getsockname()[1]  # a port 0 becomes one port that the others share
        # gunicorn's own wrapper (TCP_NODELAY, non-blocking, inheritable, listen(backlog)).
        listeners.append(kind((host, port), cfg, server.log, fd=raw.detach()))
    server.LISTENERS = listeners
    setattr(server, ARBITER_FLAG, cfg.workers)
    return True


def _wait_until_free(family: int, host: str, port: int, attempts: int, pause: float) -> None:
    """Refuse an address where something listens: a plain bind (no ``SO_REUSEPORT``) fails
    there, as gunicorn's shared socket would."""
    if port == 0:
        return
    for attempt in range(attempts):
        probe = socket.socket(family, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            return
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise
            if attempt == attempts - 1:
                taken = f"{host}:{port} is in use by another listening socket"
                raise PortInUseError(taken) from err
            time.sleep(pause)
        finally:
            probe.close()


def assign(server, worker) -> None:
    """Before ``worker`` is forked: give it the socket that the fewest living workers accept
    from (the lowest such), so that every socket has a worker, and a new worker in a reload
    shares its socket with the old one it replaces until that one stops."""
    if not getattr(server, ARBITER_FLAG, 0):
        return
    taken = Counter(getattr(w, WORKER_INDEX, None) for w in server.WORKERS.values())
    index = min(range(len(server.LISTENERS)), key=lambda i: (taken[i], i))
    setattr(worker, WORKER_INDEX, index)
    worker.sockets = [server.LISTENERS[index]]
