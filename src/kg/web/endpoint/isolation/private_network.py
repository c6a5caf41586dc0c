"""A federating query process's own network, in which only the allow-listed endpoints exist.

A query that names an allow-listed ``SERVICE`` must reach the network, and which *host* it
reaches used to be decided by the gate alone (a query that fooled the gate about a second
``SERVICE`` could call any host on an allow-listed port). Here the kernel decides, by
construction. Before anything else runs in it (before any thread starts, which
``unshare(CLONE_NEWUSER)`` needs), the federating process

1. enters a network namespace and a mount namespace of its own (``unshare``; with a user
   namespace of its own too where it is not root, so that this works unprivileged);
2. brings up that namespace's loopback interface, its only interface: there is no route to
   any other address, so nothing the process sends can leave it;
3. bind-mounts a generated ``/etc/hosts`` that maps each allow-listed host name to a loopback
   address of its own (:mod:`kg.web.endpoint.isolation.service_routes`), and a ``/etc/resolv.conf``
   naming no name server: no DNS look-up leaves, any other name does not resolve;
4. listens on each allow-listed endpoint's address and port *inside* the namespace, and hands
   these listening sockets (``SCM_RIGHTS``) to its forwarder, a sibling process outside the
   namespace (:mod:`kg.web.endpoint.isolation.forwarder`) that joins each to the one real
   ``host:port`` it stands for. Bytes pass untouched, so TLS still checks the real host's
   certificate.

Whatever a parser reads in a query, a connection can only reach a listener that stands for an
allow-listed endpoint. Mounts are made private first, so the bind mounts never show outside.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import socket
import struct
import tempfile
import time
from pathlib import Path

from kg.web.endpoint.isolation.sandbox import probe_in_child
from kg.web.endpoint.isolation.service_routes import Routes, RoutesUnavailable, routes_for

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
_MS_BIND, _MS_REC, _MS_PRIVATE = 0x1000, 0x4000, 0x40000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _SIOCSIFADDR, _SIOCSIFNETMASK = 0x8913, 0x8914, 0x8916, 0x891C
_IFF_UP = 0x1
_PR_GET_DUMPABLE, _PR_SET_DUMPABLE = 3, 4
_IFA_F_TENTATIVE = 0x40
#: Seconds a new IPv6 address may stay tentative (it takes milliseconds on a loopback).
TENTATIVE_SECONDS = 30.0
_LOOPBACK_INDEX = 1  # the loopback is the first interface of every new network namespace
#: What a federating process's resolver reads: no name server, so no look-up leaves.
RESOLV_CONF = (
    "# A federating query process (kg.web.endpoint.isolation.private_network): no name\n"
    "# server; the allow-listed host names are in /etc/hosts.\n"
)
#: The allow-list the probe lays out when the operator's is empty: a name and a literal.
PROBE_ALLOWLIST = ("https://partner.invalid/sparql", "http://192.0.2.1:8080/sparql")


class NamespaceUnavailable(RuntimeError):  # noqa: N818 - it names the condition, as OSError does
    """The kernel does not give this process the namespaces (or one step in them failed)."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _checked(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise NamespaceUnavailable(f"{what}: {os.strerror(code)}")


def _unshare() -> None:
    """A network and a mount namespace of our own; a user namespace too where plain unshare is
    not allowed (not root, or root without CAP_SYS_ADMIN in a container)."""
    libc = _libc()
    if libc.unshare(_CLONE_NEWNET | _CLONE_NEWNS) == 0:
        return
    first = os.strerror(ctypes.get_errno())
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS) != 0:
        again = os.strerror(ctypes.get_errno())
        raise NamespaceUnavailable(f"unshare: {first}; with a user namespace: {again}")
    # The same user inside as outside (a user namespace maps one id when unprivileged). A
    # process that dropped root (gunicorn's --user) is not dumpable, and its /proc/self files
    # stay root's: dumpable for as long as the maps are written.
    dumpable = libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0)
    _checked(libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
    try:
        Path("/proc/self/setgroups").write_bytes(b"deny")
        Path("/proc/self/uid_map").write_bytes(f"{uid} {uid} 1".encode())
        Path("/proc/self/gid_map").write_bytes(f"{gid} {gid} 1".encode())
    finally:
        libc.prctl(_PR_SET_DUMPABLE, max(dumpable, 0), 0, 0, 0)


def _interface_request(name: bytes, payload: bytes) -> bytes:
    return struct.pack("16s24s", name, payload)  # struct ifreq: 40 bytes


def _bring_up_loopback(extra: tuple[str, ...]) -> None:
    """The namespace's loopback up (127.0.0.0/8 and ::1), plus each IP-literal endpoint's
    address outside them, each as a host address of its own (/32, /128)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = _interface_request(b"lo", b"")
        flags = struct.unpack_from("H", fcntl.ioctl(probe, _SIOCGIFFLAGS, request), 16)[0]
        up = struct.pack("H", flags | _IFF_UP)
        fcntl.ioctl(probe, _SIOCSIFFLAGS, _interface_request(b"lo", up))
        for number, address in enumerate(extra, start=1):
            if ":" in address:
                _add_ipv6(address)
                continue
            label = f"lo:{number}".encode()
            sin = struct.pack("HH4s8x", socket.AF_INET, 0, socket.inet_aton(address))
            fcntl.ioctl(probe, _SIOCSIFADDR, _interface_request(label, sin))
            mask = struct.pack("HH4s8x", socket.AF_INET, 0, b"\xff\xff\xff\xff")
            fcntl.ioctl(probe, _SIOCSIFNETMASK, _interface_request(label, mask))


def _add_ipv6(address: str) -> None:
    """Add an IPv6 host address to the loopback, and wait until it may be bound: the kernel
    marks a new IPv6 address tentative until its duplicate address detection has run (at
    once on a loopback, but in a work queue, so a bind right after it can fail)."""
    packed = socket.inet_pton(socket.AF_INET6, address)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        # struct in6_ifreq: the address, the prefix length, the interface index.
        request = struct.pack("16sIi", packed, 128, _LOOPBACK_INDEX)
        fcntl.ioctl(probe, _SIOCSIFADDR, request)
    deadline = time.monotonic() + TENTATIVE_SECONDS
    while _tentative(packed.hex()):
        if time.monotonic() > deadline:
            raise NamespaceUnavailable(f"{address} stayed tentative on the loopback")
        time.sleep(0.01)


def _tentative(hex_address: str) -> bool:
    """Whether the address (32 hex digits) is listed in this namespace as tentative."""
    for line in Path("/proc/net/if_inet6").read_text(encoding="ascii").splitlines():
        fields = line.split()
        if fields and fields[0] == hex_address:
            return bool(int(fields[4], 16) & _IFA_F_TENTATIVE)
    return True  # not listed yet


def _mount_over(target: str, text: str) -> None:
    """Bind-mount a file holding ``text`` over ``target`` in this mount namespace only."""
    if not Path(target).exists():
        return  # nothing to hide (no resolver configuration on this system)
    descriptor, path = tempfile.mkstemp(prefix="kg-federating-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(path, 0o644)  # noqa: PTH101 - the path is a str from mkstemp
        _checked(_libc().mount(path.encode(), target.encode(), None, _MS_BIND, None), target)
    finally:
        with contextlib.suppress(OSError):
            Path(path).unlink()  # the mount keeps the file; nothing is left on disk


def enter(routes: Routes) -> list[socket.socket]:
    """Move this (single-threaded) process into a network of its own laid out by ``routes``;
    return the listening sockets, one per route, for the forwarder. Irreversible; raise
    :class:`NamespaceUnavailable` if any step fails (the process must then not federate)."""
    try:
        _unshare()
        # Private first, so that nothing mounted here propagates to the host's namespace.
        _checked(_libc().mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount private")
        _bring_up_loopback(routes.extra_addresses())
        _mount_over("/etc/hosts", routes.hosts_file())
        _mount_over("/etc/resolv.conf", RESOLV_CONF)
        listeners = []
        for route in routes.routes:
            listener = socket.socket(route.family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((route.listen, route.port))
            listener.listen(64)
            listeners.append(listener)
        return listeners
    except NamespaceUnavailable:
        raise
    except OSError as err:
        raise NamespaceUnavailable(f"{type(err).__name__}: {err}") from err


def hand_over(control: socket.socket, listeners: list[socket.socket]) -> None:
    """Send the listening sockets to the forwarder (one message each, in the routes' order),
    and close them here: the query process keeps none."""
    for number, listener in enumerate(listeners):
        socket.send_fds(control, [number.to_bytes(2, "big")], [listener.fileno()])
        listener.close()


def unavailable(endpoints: tuple[str, ...] = ()) -> str | None:
    """Why a federating query process cannot get its own network here, or None when it can.

    Tried for real in a forked child (``endpoints``, or :data:`PROBE_ALLOWLIST`): the
    namespaces are entered, then the generated ``/etc/hosts`` must be the one read, and an
    address outside must be unreachable. The child exits at once; this process is untouched.
    """
    try:
        routes = routes_for(endpoints or PROBE_ALLOWLIST)
    except RoutesUnavailable as err:
        return str(err)

    def check() -> str | None:
        for listener in enter(routes):
            listener.close()
        if Path("/etc/hosts").read_text(encoding="utf-8") != routes.hosts_file():
            return "the generated /etc/hosts is not the one this process reads"
        listening = {route.listen for route in routes.routes}
        return _outside_unreachable(
            next(a for a in ("203.0.113.1", "198.51.100.1") if a not in listening)
        )

    return probe_in_child(check)


def _outside_unreachable(address: str) -> str | None:
    """Why ``address`` (a documentation address: never anyone's host) is not without a route,
    or None when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as outside:
        outside.settimeout(10)
        try:
            outside.connect((address, 9))
        except OSError as err:
            if err.errno == errno.ENETUNREACH:
                return None
            return f"an outside address was not unreachable ({err})"
    return "an outside address was reachable from the namespace"
