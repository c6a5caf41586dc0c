"""The kernel's rule that keeps query evaluation off the network, whatever the gate let through.

:mod:`kg.web.endpoint.limits` reads a query before an engine does and refuses ``SERVICE`` to any
endpoint the operator has not allow-listed. But the gate must predict how another parser
(Oxigraph's) reads the same text, and every disagreement between two parsers is a hole
(issues 14 and 23). So the gate is kept for clear 400s, and safety rests here: every query
process, before it evaluates anything, installs a seccomp filter (through libseccomp,
:pypi:`pyseccomp`) under which the kernel answers ``EPERM`` to

- ``socket()`` of any family: no TCP, no UDP (so no DNS either), no netlink, no raw packets,
  and no Unix socket (a name service daemon could otherwise resolve names for it);
- ``io_uring_setup()``: io_uring can open and connect sockets without the ``socket`` call.

The pipe to the web worker was made before the filter and keeps working; the process holds no
other socket or pipe (:func:`close_inherited_channels`). The filter cannot be lifted: seccomp
filters are inherited and permanent, and libseccomp sets ``no_new_privs`` first.

Queries that name an allow-listed ``SERVICE`` (``KG_SERVICE_ALLOWLIST`` not empty) run in
query processes of their own class, which must reach the network. Which host they reach is
decided by construction: each runs in a network namespace of its own whose only way out is a
forwarder to the allow-listed endpoints (:mod:`kg.web.endpoint.isolation.private_network`). Its rule
here (:func:`limit_network`) adds internet sockets only (a Unix socket would cross the namespace)
and, through Landlock, TCP connections to the allow-listed endpoints' ports only.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

#: System calls that would give a query process a way to the network.
FORBIDDEN = ("socket", "socketpair", "io_uring_setup")


class SandboxUnavailable(RuntimeError):  # noqa: N818 - it names the condition, as OSError does
    """The kernel (or the missing libseccomp) cannot enforce the rule."""


def forbid_network() -> None:
    """Install the filter in this process (irreversibly); raise :class:`SandboxUnavailable`
    if it cannot be installed."""
    try:
        import pyseccomp as seccomp

        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        # Every thread of the process, not only the calling one (the watchdog thread that
        # ends a query process with its worker starts before the filter).
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        for name in FORBIDDEN:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        rules.load()
    except Exception as err:  # ImportError, OSError (no libseccomp), RuntimeError (kernel)
        raise SandboxUnavailable(f"{type(err).__name__}: {err}") from err


def unavailable() -> str | None:
    """Why the rule cannot be enforced on this machine, or None when it can.

    Tried for real, in a forked child: the filter is installed, then a TCP socket must be
    refused with ``EPERM``. The child exits at once, so this process stays unfiltered."""

    def check() -> str | None:
        forbid_network()
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        except PermissionError:
            return None
        return "the filter was installed but a TCP socket was still allowed"

    return probe_in_child(check)


def probe_in_child(check: Callable[[], str | None]) -> str | None:
    """Run ``check`` in a forked child that exits at once, so whatever rule it installs never
    touches this process; what went wrong (its answer, or what it raised), or None."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the probe
        message = b"ok"
        try:
            failure = check()
            if failure is not None:
                message = failure.encode("utf-8", "replace")
        except BaseException as err:
            message = str(err).encode("utf-8", "replace")[:500] or b"unknown failure"
        finally:
            with contextlib.suppress(OSError):
                os.write(write_end, message)
            os._exit(0)
    os.close(write_end)
    try:
        answer = os.read(read_end, 1000)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    return None if answer == b"ok" else answer.decode("utf-8", "replace") or "the probe died"


def close_inherited_channels(*keep: int) -> None:
    """Close every socket and pipe this process inherited except those in ``keep`` (its pipe
    to the worker; a federating process's control socket to its forwarder) and the standard
    streams.

    A query process is forked from a web worker that holds the listening socket, its clients'
    connections and whatever pipes its host gave it; a copy held here would keep a connection
    open after the worker closed it (the client never sees the end of an idle keep-alive
    connection), would keep the writing end of another program's pipe open (so that program
    never reads the end of its input: a test runner's browser driver waited for ever), and
    would be a way out to the network that no filter on ``socket()`` sees. Files (an on-disk
    store) stay open; so do descriptors 0–2, which a later ``open`` must never take over."""
    for entry in Path("/proc/self/fd").iterdir():
        fd = int(entry.name)
        if fd in keep or fd <= 2:
            continue
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
                os.close(fd)
        except OSError:  # the directory's own descriptor, already closed
            continue


# --- the federating class: TCP to the allow-listed ports only (Landlock) --------------------

#: Linux x86-64 and arm64 share these numbers (the generic syscall table), 6.7+ for TCP rules.
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_RULE_NET_PORT = 2
_ACCESS_NET_BIND_TCP, _ACCESS_NET_CONNECT_TCP = 1, 2
_PR_SET_NO_NEW_PRIVS = 38
#: Address families a federating process may open: IPv4 and IPv6 (TCP for HTTP, UDP for DNS).
_INTERNET = (socket.AF_INET, socket.AF_INET6)


def endpoint_ports(endpoints: tuple[str, ...]) -> set[int]:
    """The TCP ports of the allow-listed endpoints (80 or 443 where the IRI names none)."""
    ports = set()
    for endpoint in endpoints:
        parts = urlsplit(endpoint)
        try:
            port = parts.port
        except ValueError:
            continue
        ports.add(port or (443 if parts.scheme == "https" else 80))
    return ports


def limit_network(ports: set[int]) -> None:
    """The rule of a federating query process (one that may call an allow-listed SERVICE):
    sockets of the internet families only (no Unix, netlink or raw sockets; no io_uring), and,
    through Landlock, TCP connections to ``ports`` only and no listening socket (where the
    kernel has Landlock's TCP rules, Linux 6.7 and later; a warning is logged otherwise). It
    cannot tell hosts apart (seccomp cannot read ``connect()``'s address, Landlock rules are per
    port): which hosts exist is the private network's work
    (:mod:`kg.web.endpoint.isolation.private_network`), entered before this rule. Raise
    :class:`SandboxUnavailable` if the seccomp part cannot be installed.
    """
    try:
        _restrict_tcp_ports(ports)
    except SandboxUnavailable as err:  # Linux before 6.7: the families rule still holds
        log.warning("federating query process without its TCP port rule (%s)", err)
    try:
        import pyseccomp as seccomp

        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)  # every thread, as in forbid_network
        refuse = seccomp.ERRNO(errno.EPERM)
        low, high = min(_INTERNET), max(_INTERNET)
        rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.LT, low))
        rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.GT, high))
        for family in range(low + 1, high):
            if family not in _INTERNET:
                rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.EQ, family))
        for name in ("socketpair", "io_uring_setup"):
            rules.add_rule(refuse, name)
        rules.load()
    except Exception as err:
        raise SandboxUnavailable(f"{type(err).__name__}: {err}") from err


def _restrict_tcp_ports(ports: set[int]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64)]

    class NetPortAttr(ctypes.Structure):
        _pack_ = 1  # the kernel's struct is packed
        _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]

    handled = RulesetAttr(0, _ACCESS_NET_BIND_TCP | _ACCESS_NET_CONNECT_TCP)
    ruleset = libc.syscall(
        _LANDLOCK_CREATE_RULESET, ctypes.byref(handled), ctypes.sizeof(handled), 0
    )
    if ruleset < 0:
        raise SandboxUnavailable(f"Landlock TCP rules: {os.strerror(ctypes.get_errno())}")
    try:
        for port in sorted(ports):
            rule = NetPortAttr(_ACCESS_NET_CONNECT_TCP, port)
            if libc.syscall(
                _LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_NET_PORT, ctypes.byref(rule), 0
            ):
                raise SandboxUnavailable(f"Landlock port {port}: {os.strerror(ctypes.get_errno())}")
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            raise SandboxUnavailable(f"no_new_privs: {os.strerror(ctypes.get_errno())}")
        if libc.syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0):
            raise SandboxUnavailable(f"Landlock: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
