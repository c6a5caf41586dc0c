"""Edges of the query processes' isolation (:mod:`kg.web.endpoint.isolation`) that the main
tests (``test_sandbox.py``, ``test_service_network.py``) did not reach: each test here was
written for a one-line breakage of the code that those tests left green (issue 22's review).
Real sockets, real namespaces, real filters; waits are for events, bounds generous."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
import threading
import time

import pytest

from kg.web.endpoint.isolation import forwarder, private_network, sandbox
from kg.web.endpoint.isolation.service_routes import Route, Routes, routes_for
from tests.test_service_network import _in_child

# --- the plan ---------------------------------------------------------------------------------


def test_an_ipv4_mapped_literal_listens_on_its_ipv4_address() -> None:
    """``[::ffff:192.0.2.9]`` is reached over IPv4 (the kernel maps it), so inside the namespace
    it must be an IPv4 listener at 192.0.2.9, added to the loopback as such."""
    routes = routes_for(("http://[::ffff:192.0.2.9]:8080/sparql",))
    assert routes.routes == (Route("192.0.2.9", 8080, "::ffff:192.0.2.9"),)
    assert routes.extra_addresses() == ("192.0.2.9",)


def test_a_literal_address_with_two_ports_is_added_to_the_loopback_once() -> None:
    """Two allow-listed ports of one address: one address on the loopback, and a listener for
    each port inside the namespace."""
    routes = routes_for(("http://192.0.2.9:8080/", "http://192.0.2.9:8081/"))
    assert routes.extra_addresses() == ("192.0.2.9",)

    def listeners() -> str:
        found = []
        for listener in private_network.enter(routes):
            found.append("{}:{}".format(*listener.getsockname()[:2]))
            listener.close()
        return " ".join(found)

    assert _in_child(listeners) == "192.0.2.9:8080 192.0.2.9:8081"


# --- the private network ----------------------------------------------------------------------


def test_inside_no_name_server_is_configured() -> None:
    """The namespace's resolver reads a ``resolv.conf`` naming no server (so no look-up leaves,
    whatever route might exist); the host's file is untouched."""
    before = open("/etc/resolv.conf", encoding="utf-8").read()  # noqa: PTH123, SIM115
    routes = routes_for(("https://partner.test/sparql",))

    def resolver() -> str:
        for listener in private_network.enter(routes):
            listener.close()
        with open("/etc/resolv.conf", encoding="utf-8") as file:  # noqa: PTH123
            return file.read()

    assert _in_child(resolver) == private_network.RESOLV_CONF
    assert "nameserver" not in private_network.RESOLV_CONF
    with open("/etc/resolv.conf", encoding="utf-8") as file:  # noqa: PTH123
        assert file.read() == before


def test_an_unprivileged_process_stays_itself_inside_its_user_namespace() -> None:
    """Where a user namespace is needed (not root), the process is mapped to its own user and
    group: it does not become root inside (root there holds every capability of the namespace)."""
    routes = routes_for(("https://partner.test/sparql",))

    def unprivileged() -> str:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        outside = f"{os.geteuid()} {os.getegid()}"
        for listener in private_network.enter(routes):
            listener.close()
        return f"{outside} -> {os.geteuid()} {os.getegid()}"

    answer = _in_child(unprivileged)
    outside = answer.split(" -> ")[0]
    assert answer == f"{outside} -> {outside}"


def test_the_probe_does_not_take_a_refused_connection_for_no_route() -> None:
    """Outside any namespace, the loopback refuses a connection (no route is missing): the
    probe's check must say the address was not unreachable, not report success."""
    reason = private_network._outside_unreachable("127.0.0.1")
    assert reason is not None and reason.startswith("an outside address was"), reason


def test_handing_over_leaves_the_query_process_no_listener() -> None:
    """The listeners go to the forwarder, in the routes' order, and are closed here: a query
    process holding one could accept its own connections to an allow-listed endpoint."""
    ours, theirs = socket.socketpair()
    first = socket.create_server(("127.0.0.1", 0))
    second = socket.create_server(("127.0.0.1", 0))
    ports = [first.getsockname()[1], second.getsockname()[1]]
    routes = Routes((Route("127.0.0.1", 1, "a"), Route("127.0.0.1", 2, "b")), ())
    try:
        private_network.hand_over(ours, [first, second])
        assert first.fileno() == -1 and second.fileno() == -1
        received = forwarder.receive(theirs, routes)
        assert [(s.getsockname()[1], r.host) for s, r in received] == list(
            zip(ports, "ab", strict=True)
        )
        for listener, _ in received:
            listener.close()
    finally:
        ours.close()
        theirs.close()


# --- the forwarder ----------------------------------------------------------------------------


def test_a_forwarder_whose_query_process_sent_no_listeners_ends_quietly() -> None:
    """A query process that could not enter its namespace closes the control socket without
    sending a listener: the forwarder ends, without an error."""
    ours, theirs = socket.socketpair()
    ours.close()
    with theirs:
        assert forwarder.serve(theirs, routes_for(("http://127.0.0.1:9/",)), 30.0) is None


class _Upstream:
    """A real endpoint behind the forwarder: echoes what each connection sends, closes when the
    connection's client closes, counts the connections it accepted."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self.changed = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.changed:
                self.accepted += 1
                self.changed.notify_all()
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                return


class _Forwarding:
    """A forwarder serving one listener that stands for the upstream, as in a query process."""

    def __init__(self, upstream_port: int, timeout: float = 300.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        routes = Routes((Route("127.0.0.1", upstream_port, "127.0.0.1"),), ())
        self.ours, theirs = socket.socketpair()
        self.thread = threading.Thread(
            target=forwarder.serve, args=(theirs, routes, timeout), daemon=True
        )
        self.thread.start()
        private_network.hand_over(self.ours, [self.listener])
        self._theirs = theirs

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=60)

    def close(self) -> None:
        self.ours.close()
        self.thread.join(60)
        self._theirs.close()


def _carried(client: socket.socket) -> bool:
    """Whether the forwarder carries this connection (an echo comes back) or closed it."""
    try:
        client.sendall(b"x")
        return client.recv(1) == b"x"
    except (ConnectionResetError, BrokenPipeError):
        return False


def test_connections_beyond_the_cap_are_closed_at_once() -> None:
    """A query process cannot make its forwarder hold more than 64 connections (written here
    as a number, not read from the module: a cap raised there must fail here)."""
    upstream = _Upstream()
    forwarding = _Forwarding(upstream.port)
    clients = []
    try:
        for _ in range(64):
            clients.append(forwarding.connect())
            assert _carried(clients[-1])
        with forwarding.connect() as one_more:
            assert not _carried(one_more)
    finally:
        for client in clients:
            client.close()
        forwarding.close()
        upstream.server.close()


def test_a_finished_connection_gives_its_place_back(monkeypatch) -> None:
    """With room for one connection: after the first ends, the next is carried (its place is
    given back when the first connection's both sides have closed, soon after)."""
    monkeypatch.setattr(forwarder, "MAX_CONNECTIONS", 1)
    upstream = _Upstream()
    forwarding = _Forwarding(upstream.port)
    try:
        with forwarding.connect() as first:
            assert _carried(first)
        deadline = time.monotonic() + 60  # the place comes back in milliseconds
        while True:
            with forwarding.connect() as later:
                if _carried(later):
                    break
            assert time.monotonic() < deadline, "the first connection's place never came back"
            time.sleep(0.05)
    finally:
        forwarding.close()
        upstream.server.close()


def test_a_connection_silent_both_ways_is_dropped() -> None:
    """A connection on which neither side sends anything for twice the service timeout is
    closed by the forwarder (its query was stopped long before): its thread and place end."""
    upstream = _Upstream()
    forwarding = _Forwarding(upstream.port, timeout=0.25)
    try:
        with forwarding.connect() as silent:
            silent.settimeout(60)  # the forwarder drops it after 0.5 s
            assert silent.recv(1) == b""
    finally:
        forwarding.close()
        upstream.server.close()


# --- the sandbox ------------------------------------------------------------------------------


def _socket_pair_and_io_uring() -> str:
    """Whether this process may make a socket pair, and what io_uring_setup answers."""
    outcomes = []
    try:
        for end in socket.socketpair():
            end.close()
        outcomes.append("pair opened")
    except PermissionError:
        outcomes.append("pair refused")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    # io_uring_setup(0 entries, NULL): EINVAL or EFAULT where allowed, EPERM under the filter.
    result = libc.syscall(425, 0, None)
    code = ctypes.get_errno()
    outcomes.append("io_uring refused" if result < 0 and code == errno.EPERM else "io_uring open")
    return " | ".join(outcomes)


def _io_uring_or_skip() -> None:
    """The oracle: unfiltered, both are allowed here (io_uring may be disabled, by a sysctl or
    a container's own filter; then a refusal would prove nothing)."""
    unfiltered = _in_child(_socket_pair_and_io_uring)
    if unfiltered != "pair opened | io_uring open":
        pytest.skip(f"unfiltered, this machine answers {unfiltered!r}")


def test_a_sealed_process_makes_no_socket_pair_and_no_io_uring() -> None:
    """``socketpair`` and ``io_uring_setup`` are ways to a socket without ``socket()``."""
    _io_uring_or_skip()

    def sealed() -> str:
        sandbox.forbid_network()
        return _socket_pair_and_io_uring()

    assert _in_child(sealed) == "pair refused | io_uring refused"


def test_a_federating_process_makes_no_socket_pair_and_no_io_uring() -> None:
    _io_uring_or_skip()

    def federating() -> str:
        sandbox.limit_network({443})
        return _socket_pair_and_io_uring()

    assert _in_child(federating) == "pair refused | io_uring refused"


def test_the_allow_listed_ports_default_by_scheme() -> None:
    ports = sandbox.endpoint_ports(
        ("http://a.example/sparql", "https://b.example/sparql", "http://c.example:8080/")
    )
    assert ports == {80, 443, 8080}


def test_the_probe_leaves_no_child_behind(monkeypatch) -> None:
    """The probe's child is reaped: a zombie per probe would pile up in a long-lived server."""
    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    assert sandbox.probe_in_child(lambda: None) is None
    monkeypatch.undo()
    assert len(forked) == 1
    try:
        with pytest.raises(ChildProcessError):
            os.waitpid(forked[0], os.WNOHANG)  # already reaped: no such child
    finally:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(forked[0], 0)


def test_a_check_that_raises_without_words_is_not_taken_for_a_dead_probe() -> None:
    def raises() -> str | None:
        raise RuntimeError

    def dies() -> str | None:
        os._exit(3)

    assert sandbox.probe_in_child(raises) == "unknown failure"
    assert sandbox.probe_in_child(dies) == "the probe died"


def test_closing_inherited_channels_keeps_the_standard_streams_and_files() -> None:
    """Sockets and pipes go, except those kept; descriptors 0-2 stay even when they are pipes
    (a later ``open`` must never take them over), and so do files. Run in a forked child, which
    answers in its exit status (a pipe to answer through would be closed)."""
    pid = os.fork()
    if pid == 0:
        status = 99
        try:
            streams = os.pipe()
            for fd in (0, 1, 2):
                os.dup2(streams[1] if fd else streams[0], fd)
            kept, gone = socket.socketpair()
            pipe_read, pipe_write = os.pipe()
            file = os.open("/proc/self/status", os.O_RDONLY)
            sandbox.close_inherited_channels(kept.fileno())

            def is_open(fd: int) -> bool:
                try:
                    os.fstat(fd)
                    return True
                except OSError:
                    return False

            status = sum(
                bit
                for bit, ok in (
                    (1, all(is_open(fd) for fd in (0, 1, 2))),
                    (2, is_open(kept.fileno())),
                    (4, not is_open(gone.fileno())),
                    (8, not is_open(pipe_read) and not is_open(pipe_write)),
                    (16, is_open(file)),
                )
                if not ok
            )
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, (
        "failed checks (1 standard streams, 2 kept socket, 4 other socket, 8 pipe, 16 file): "
        f"{os.waitstatus_to_exitcode(status)}"
    )


# --- the probes see a rule that does not hold ----------------------------------------------------
# The probes' own tests only saw them say "works" where it works, or pass on an exception: a
# probe whose check could never fail would pass them all.


def test_the_sandbox_probe_sees_a_filter_that_lets_sockets_through(monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "forbid_network", lambda: None)  # installs nothing
    assert sandbox.unavailable() == "the filter was installed but a TCP socket was still allowed"


def test_the_private_network_probe_sees_hosts_that_were_not_mounted(monkeypatch) -> None:
    """Namespaces entered, but the generated ``/etc/hosts`` not mounted: the process would
    resolve the host's names."""
    monkeypatch.setattr(private_network, "_mount_over", lambda target, text: None)
    assert private_network.unavailable() == (
        "the generated /etc/hosts is not the one this process reads"
    )


def test_the_federating_rule_covers_threads_started_before_it() -> None:
    """As for the sealed rule: a query process's watchdog thread starts before the rule, which
    must hold in every thread (a Unix socket from that thread would cross the namespace)."""

    def federating_after_a_thread_started() -> str:
        go, outcome = threading.Event(), []

        def other() -> None:
            go.wait(60)
            try:
                socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
                outcome.append("unix opened")
            except PermissionError:
                outcome.append("unix refused")

        thread = threading.Thread(target=other)
        thread.start()
        sandbox.limit_network({443})
        go.set()
        thread.join(60)
        return outcome[0] if outcome else "no answer"

    assert _in_child(federating_after_a_thread_started) == "unix refused"
