"""The kernel's rule that keeps query evaluation off the network, whatever the gate let through.

:mod:`kg.web.limits` reads a query before an engine does and refuses ``SERVICE`` to any
endpoint the operator has not allow-listed. But the gate must predict how another parser
(Oxigraph's) reads the same text, and every disagreement between two parsers is a hole
(issues 14 and 23). So the gate is kept for clear 400s, and safety rests here: every query
process, before it evaluates anything, installs a seccomp filter (through libseccomp,
:pypi:`pyseccomp`) under which the kernel answers ``EPERM`` to

- ``socket()`` of any family: no TCP, no UDP (so no DNS either), no netlink, no raw packets,
  and no Unix socket (a name service daemon could otherwise resolve names for it);
- ``io_uring_setup()``: io_uring can open and connect sockets without the ``socket`` call.

The pipe to the web worker was made before the filter and keeps working; the process holds no
other socket (:func:`close_inherited_sockets`). The filter cannot be lifted: seccomp filters
are inherited and permanent, and libseccomp sets ``no_new_privs`` first.

Queries that name an allow-listed ``SERVICE`` (``KG_SERVICE_ALLOWLIST`` not empty) run in
query processes of their own class without this filter, because they must reach the network;
which endpoints they reach is then decided by the gate alone (``SECURITY.md``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

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
        for name in FORBIDDEN:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        rules.load()
    except Exception as err:  # ImportError, OSError (no libseccomp), RuntimeError (kernel)
        raise SandboxUnavailable(f"{type(err).__name__}: {err}") from err


def unavailable() -> str | None:
    """Why the rule cannot be enforced on this machine, or None when it can.

    Tried for real, in a forked child: the filter is installed, then a TCP socket must be
    refused with ``EPERM``. The child exits at once, so this process stays unfiltered."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the probe
        message = b"ok"
        try:
            forbid_network()
            try:
                import socket

                socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
                message = b"the filter was installed but a TCP socket was still allowed"
            except PermissionError:
                pass
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


def close_inherited_sockets(keep: int) -> None:
    """Close every socket this process inherited except ``keep`` (its pipe to the worker).

    A query process is forked from a web worker that holds the listening socket and its
    clients' connections; a copy held here would keep a connection open after the worker
    closed it (the client never sees the end of an idle keep-alive connection), and would be
    a way out to the network that no filter on ``socket()`` sees. Files (an on-disk store)
    stay open."""
    for entry in Path("/proc/self/fd").iterdir():
        fd = int(entry.name)
        if fd == keep:
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:  # the directory's own descriptor, already closed
            continue
