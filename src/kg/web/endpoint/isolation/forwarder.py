"""The forwarder of a federating query process: the only way out of its private network.

It runs as a sibling of the query process, outside the query process's network namespace
(:mod:`kg.web.endpoint.isolation.private_network`). It receives the listening sockets the query
process made inside its namespace, one per allow-listed ``host:port``
(:mod:`kg.web.endpoint.isolation.service_routes`), and for each connection accepted on one of them
opens a connection to the one real ``host:port`` that listener stands for, then copies bytes both
ways untouched (TLS passes through: the certificate is checked against the real host name by
the query process). Where it connects never depends on what arrives: no Host header, no
CONNECT line, no SNI is read. It ends when the query process ends (its control socket closes)
or when its web worker kills it with the query process.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading

from kg.web.endpoint.isolation.service_routes import Route, Routes

log = logging.getLogger(__name__)

#: Connections one forwarder carries at once; more are closed at once (a query process runs
#: one query, which the service timeout ends anyway).
MAX_CONNECTIONS = 64
#: Bytes read at a time from either side.
CHUNK = 65536


def receive(control: socket.socket, routes: Routes) -> list[tuple[socket.socket, Route]]:
    """The query process's listening sockets, each with the route it stands for. A query
    process that could not enter its namespace sends none: this waits until it ends, and
    returns fewer than the routes."""
    listeners = []
    for _ in routes.routes:
        message, fds, _flags, _address = socket.recv_fds(control, 16, 1)
        if not fds:
            break
        number = int.from_bytes(message, "big")
        listeners.append((socket.socket(fileno=fds[0]), routes.routes[number]))
    return listeners


def serve(control: socket.socket, routes: Routes, timeout: float) -> None:
    """Accept on every listener and forward, until the control socket closes. ``timeout``
    (the service timeout) bounds a connect; a connection silent both ways for twice as long
    is dropped (its query was stopped by then)."""
    listeners = receive(control, routes)
    if len(listeners) != len(routes.routes):
        return
    busy = threading.BoundedSemaphore(MAX_CONNECTIONS)
    with selectors.DefaultSelector() as selector:
        selector.register(control, selectors.EVENT_READ, None)
        for listener, route in listeners:
            selector.register(listener, selectors.EVENT_READ, route)
        while True:
            for key, _events in selector.select():
                if key.data is None:  # the query process is gone, or talks out of turn
                    with contextlib.suppress(OSError):
                        if not control.recv(1):
                            return
                    continue
                try:
                    accepted, _peer = key.fileobj.accept()
                except OSError:
                    continue
                if not busy.acquire(blocking=False):
                    accepted.close()
                    continue
                threading.Thread(
                    target=_carry,
                    args=(accepted, key.data, timeout, busy),
                    name="kg-forward",
                    daemon=True,
                ).start()


def _carry(
    inside: socket.socket, route: Route, timeout: float, busy: threading.BoundedSemaphore
) -> None:
    try:
        with inside:
            try:
                outside = socket.create_connection((route.host, route.port), timeout)
            except OSError as err:
                log.info("forwarder: %s:%s unreachable (%s)", route.host, route.port, err)
                return
            with outside:
                outside.settimeout(None)
                _splice(inside, outside, idle=2 * timeout)
    finally:
        busy.release()


def _splice(one: socket.socket, other: socket.socket, idle: float) -> None:
    """Copy bytes both ways until both sides have finished sending, either fails, or neither
    sends anything for ``idle`` seconds."""
    peers = {one: other, other: one}
    open_for_reading = {one, other}
    with selectors.DefaultSelector() as selector:
        for side in peers:
            selector.register(side, selectors.EVENT_READ)
        while open_for_reading:
            ready = selector.select(idle)
            if not ready:
                return
            for key, _events in ready:
                side = key.fileobj
                try:
                    data = side.recv(CHUNK)
                    if data:
                        peers[side].sendall(data)
                        continue
                    peers[side].shutdown(socket.SHUT_WR)  # pass the end of what it sent on
                except OSError:
                    return
                selector.unregister(side)
                open_for_reading.discard(side)
