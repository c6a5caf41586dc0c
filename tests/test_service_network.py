"""With a non-empty SERVICE allow-list, only the allow-listed endpoints can be reached, enforced
by the kernel below the gate (issue 23, item 1, last sentence).

A federating query process runs in a network namespace of its own whose only way out is its
forwarder to the allow-listed ``host:port`` pairs
(:mod:`kg.web.endpoint.isolation.private_network`). The tests switch the gate off (``check_reach``
in the query process does nothing) and send SERVICE calls through the real query pool: to an
allow-listed SPARQL endpoint (it answers), to a canary on another port, to a canary on the SAME port
at another loopback address, and to an allow-listed host NAME and the same server by its address.
Real sockets, real kernel.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kg.settings import Settings
from kg.store import bare, open_engine
from kg.web.endpoint import execution
from kg.web.endpoint.execution import FEDERATING, QueryPool
from kg.web.endpoint.isolation import private_network
from kg.web.endpoint.isolation.service_routes import Route, RoutesUnavailable, routes_for
from kg.web.endpoint.limits import QueryRejected

JSON = "application/sparql-results+json"


class Endpoint:
    """A local HTTP server that counts its requests and answers each with one SPARQL result
    row naming itself (``?x`` = ``name``): an endpoint whose answer proves who was called."""

    def __init__(self, name: str, address: str, port: int = 0) -> None:
        self.name = name
        self.hits: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                endpoint.hits.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = json.dumps(
                    {
                        "head": {"vars": ["x"]},
                        "results": {"bindings": [{"x": {"type": "literal", "value": name}}]},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{address}:{self.port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclasses.dataclass
class Scene:
    allowed: Endpoint  # allow-listed by its address, 127.0.0.1:P
    same_port: Endpoint  # not allow-listed: 127.0.0.2:P, the same port
    other_port: Endpoint  # not allow-listed: 127.0.0.1:Q
    named: Endpoint  # allow-listed by the NAME localhost, on 127.0.0.1:R
    named_url: str


def _pair_on_one_port() -> tuple[Endpoint, Endpoint]:
    """The allowed endpoint on 127.0.0.1:P and a canary on 127.0.0.2:P (a free P for both)."""
    for _ in range(50):
        allowed = Endpoint("allowed", "127.0.0.1")
        try:
            return allowed, Endpoint("same-port", "127.0.0.2", allowed.port)
        except OSError:
            allowed.close()
    raise AssertionError("no port free on both 127.0.0.1 and 127.0.0.2")


@pytest.fixture
def scene() -> Iterator[Scene]:
    allowed, same_port = _pair_on_one_port()
    other_port = Endpoint("other-port", "127.0.0.1")
    named = Endpoint("named", "127.0.0.1")
    try:
        yield Scene(allowed, same_port, other_port, named, f"http://localhost:{named.port}/sparql")
    finally:
        for endpoint in (allowed, same_port, other_port, named):
            endpoint.close()


@pytest.fixture
def federating_pool(built: Settings, scene: Scene, monkeypatch) -> Iterator[QueryPool]:
    """The real query pool allow-listing ``allowed`` and ``named``, with the gate switched off
    in its query processes (they are forked after the patch, so they inherit it)."""
    monkeypatch.setattr(execution, "check_reach", lambda *args, **kwargs: None)
    settings = dataclasses.replace(
        built,
        cache_entries=0,
        query_processes=2,
        service_allowlist=(scene.allowed.url, scene.named_url),
        service_timeout=60.0,  # a refusal is immediate; the bound is only against a hang
        query_timeout=60.0,
        query_grace=1000.0,  # never demoted (a demoted process is replaced, not reused)
    )
    pool = QueryPool(bare(open_engine(settings)), settings)
    try:
        yield pool
    finally:
        pool.close()


def _call(pool: QueryPool, url: str) -> str:
    """SERVICE ``url`` through the pool: the ``?x`` the endpoint answered, or the refusal."""
    text = f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?s ?p ?x }} }}"
    try:
        answer = pool.query(text, media_type=JSON)
    except QueryRejected as refused:
        return f"refused {refused.status}: {refused.reason}"
    rows = json.loads(answer.body)["results"]["bindings"]
    return ",".join(row["x"]["value"] for row in rows)


def test_the_allow_listed_endpoint_is_called_and_its_answer_returned(federating_pool, scene):
    assert _call(federating_pool, scene.allowed.url) == "allowed"
    assert len(scene.allowed.hits) == 1
    assert not scene.same_port.hits and not scene.other_port.hits


def test_a_canary_on_the_same_port_at_another_address_is_not_reached(federating_pool, scene):
    """Landlock's per-port rule lets this through; only the private network stops it."""
    url = f"http://127.0.0.2:{scene.allowed.port}/sparql"
    assert _call(federating_pool, url).startswith("refused 400")
    assert not scene.same_port.hits and not scene.allowed.hits
    assert _call(federating_pool, scene.allowed.url) == "allowed"  # the process still works


def test_a_canary_on_another_port_is_not_reached(federating_pool, scene):
    assert _call(federating_pool, scene.other_port.url).startswith("refused 400")
    assert not scene.other_port.hits


def test_an_allow_listed_host_name_is_mapped_to_its_endpoint(federating_pool, scene):
    """``localhost`` is allow-listed: it resolves (through the generated /etc/hosts) to its
    own listener, whose forwarder calls the real localhost. The same server by its address,
    which is not allow-listed, is not reached."""
    assert _call(federating_pool, scene.named_url) == "named"
    assert len(scene.named.hits) == 1
    by_address = f"http://127.0.0.1:{scene.named.port}/sparql"
    assert _call(federating_pool, by_address).startswith("refused 400")
    assert len(scene.named.hits) == 1


def test_the_federating_process_has_a_network_of_its_own(federating_pool, scene, monkeypatch):
    """What an operator checks on a deployment: the namespace differs from the worker's,
    its /etc/hosts is the generated one, and the worker's /etc/hosts is untouched.

    The process read is the one that answered the call. On a loaded machine that call could
    outlast the grace period; its process was then demoted and killed, and the one taken here
    was forked just now and read before it had entered its namespace (issue 22's review saw
    it fail so): the fixture's grace period is longer than any run."""
    hosts_before = Path("/etc/hosts").read_text()
    assert _call(federating_pool, scene.allowed.url) == "allowed"
    child = federating_pool._take(FEDERATING)
    try:
        own = Path("/proc/self/ns/net").readlink()
        assert Path(f"/proc/{child.pid}/ns/net").readlink() != own
        assert Path(f"/proc/{child.forwarder}/ns/net").readlink() == own
        inside = Path(f"/proc/{child.pid}/root/etc/hosts").read_text()
        assert inside == federating_pool._routes.hosts_file()
        assert "127.0.0.2 localhost" in inside
    finally:
        child.kill()
    assert Path("/etc/hosts").read_text() == hosts_before


def test_without_the_private_network_the_same_port_canary_is_reached(
    built: Settings, scene: Scene, monkeypatch
) -> None:
    """The oracle for the tests above: with the namespace step failing and the operator's
    opt-out set (so the process federates anyway, limited to the allow-listed ports as
    before), the gate-less query reaches the canary on the allow-listed port. The process (and
    its idle forwarder) is reused for the next query, not forked anew each time."""

    def refused(routes):
        raise private_network.NamespaceUnavailable("switched off by the test")

    monkeypatch.setattr(execution, "check_reach", lambda *args, **kwargs: None)
    monkeypatch.setattr(private_network, "enter", refused)
    settings = dataclasses.replace(
        built,
        cache_entries=0,
        query_processes=2,
        query_grace=1000.0,  # no demotion (a demoted process is replaced), however slow
        service_allowlist=(scene.allowed.url,),
        allow_service_without_namespace=True,
        service_timeout=60.0,
        query_timeout=60.0,
    )
    pool = QueryPool(bare(open_engine(settings)), settings)
    try:
        assert _call(pool, f"http://127.0.0.2:{scene.allowed.port}/sparql") == "same-port"
        (first,) = [child.pid for child in pool._idle[FEDERATING]]
        assert _call(pool, scene.allowed.url) == "allowed"
        assert [child.pid for child in pool._idle[FEDERATING]] == [first]
    finally:
        pool.close()
    assert len(scene.same_port.hits) == 1


def test_without_a_namespace_federating_queries_get_503(
    built: Settings, scene: Scene, monkeypatch
) -> None:
    """Where the kernel gives no namespace and the operator did not opt out, a query that
    names an allow-listed SERVICE is not evaluated: 503, and nothing is called."""

    def refused(routes):
        raise private_network.NamespaceUnavailable("no user namespaces here")

    monkeypatch.setattr(private_network, "enter", refused)
    settings = dataclasses.replace(
        built, cache_entries=0, query_processes=2, service_allowlist=(scene.allowed.url,)
    )
    pool = QueryPool(bare(open_engine(settings)), settings)
    try:
        outcome = _call(pool, scene.allowed.url)
        assert outcome.startswith("refused 503") and "KG_ALLOW_SERVICE_WITHOUT_NAMESPACE" in outcome
    finally:
        pool.close()
    assert not scene.allowed.hits


def _in_child(work) -> str:
    """Run ``work()`` in a forked (single-threaded) child; what it returned, as text."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            message = str(work())
        except BaseException as err:
            message = f"raised {type(err).__name__}: {err}"
        os.write(write_end, message.encode()[:4000])
        os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 4000).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    return answer


def _inside(routes) -> str:
    """Enter the namespace for ``routes``; then what a process sees there: the listeners'
    addresses, whether an outside address is reachable, whether ``localhost`` resolves, what
    the allow-listed name resolves to."""
    seen = []
    for listener in private_network.enter(routes):
        seen.append("[{}]:{}".format(*listener.getsockname()[:2]))
        listener.close()
    try:
        socket.create_connection(("192.0.2.7", 80), timeout=10).close()
        seen.append("outside reached")
    except OSError as err:
        seen.append("no route" if err.errno == errno.ENETUNREACH else f"outside: {err}")
    try:  # every host resolves localhost; inside, only the allow-listed names resolve
        socket.getaddrinfo("localhost", 443)
        seen.append("localhost resolved")
    except socket.gaierror:
        seen.append("unknown name")
    seen.append(socket.getaddrinfo("partner.test", 443, socket.AF_INET)[0][4][0])
    return " | ".join(seen)


def test_inside_there_is_no_route_and_no_name_but_the_allow_listed() -> None:
    """IP-literal hosts outside the loopback get their address added inside (IPv4 and IPv6);
    the outside address tried is in the same documentation block as one of them."""
    assert socket.getaddrinfo("localhost", 443)  # outside, it resolves
    routes = routes_for(
        ("https://partner.test/sparql", "http://192.0.2.9:8080/", "http://[2001:db8::9]:8080/")
    )
    assert _in_child(lambda: _inside(routes)) == (
        "[127.0.0.2]:443 | [192.0.2.9]:8080 | [2001:db8::9]:8080 | no route | unknown name | "
        "127.0.0.2"
    )


def test_an_unprivileged_process_gets_the_namespaces_too() -> None:
    """Where the server does not run as root, a user namespace makes the same steps possible
    (the probe first drops to an unprivileged user when it runs as root)."""
    routes = routes_for(("https://partner.test/sparql",))

    def unprivileged() -> str:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        return _inside(routes)

    assert _in_child(unprivileged) == "[127.0.0.2]:443 | no route | unknown name | 127.0.0.2"


def test_the_generated_files_never_show_outside_the_namespace() -> None:
    """On a host whose mounts are shared (systemd's default), a bind mount made in a new mount
    namespace would propagate back to the host's: the federating process makes its mounts
    private first. Simulated in a throwaway mount namespace whose mounts are made shared."""
    if os.geteuid() != 0:
        pytest.skip("making the mounts shared needs root (the unprivileged path has a test)")
    routes = routes_for(("https://partner.test/sparql",))
    before = Path("/etc/hosts").read_text()

    def on_a_shared_host() -> str:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.unshare(0x00020000) == 0  # CLONE_NEWNS: this child's own mounts
        assert libc.mount(b"none", b"/", None, 0x4000 | 0x100000, None) == 0  # MS_REC|MS_SHARED
        inner = os.fork()
        if inner == 0:
            try:
                for listener in private_network.enter(routes):
                    listener.close()
            finally:
                os._exit(0)
        os.waitpid(inner, 0)
        return "unchanged" if Path("/etc/hosts").read_text() == before else "changed"

    assert _in_child(on_a_shared_host) == "unchanged"


def test_the_probe_says_the_private_network_works_here() -> None:
    assert private_network.unavailable() is None
    assert private_network.unavailable(("http://localhost:8890/sparql",)) is None


def test_the_probe_names_what_failed(monkeypatch) -> None:
    def refused(routes):
        raise private_network.NamespaceUnavailable("unshare: Operation not permitted")

    monkeypatch.setattr(private_network, "enter", refused)
    assert private_network.unavailable() == "unshare: Operation not permitted"


def test_the_forwarder_passes_bytes_untouched_both_ways() -> None:
    """What TLS needs: every byte passes as it was sent, both ways, and the end of what one
    side sends (a half-close) reaches the other. The upstream reads to the end, then answers
    with the digest of what it got and a megabyte of its own; the listener stands at another
    address on the upstream's port, as inside a namespace. The forwarder ends when its control
    socket closes."""
    import hashlib

    from kg.web.endpoint.isolation import forwarder

    sent = os.urandom(1 << 20)
    reply = os.urandom(1 << 20)
    upstream = socket.create_server(("127.0.0.1", 0))
    port = upstream.getsockname()[1]

    def answer() -> None:
        conn, _ = upstream.accept()
        with conn:
            got = b""
            while chunk := conn.recv(65536):
                got += chunk
            conn.sendall(hashlib.sha256(got).digest() + reply)

    threading.Thread(target=answer, daemon=True).start()
    listener = socket.create_server(("127.0.0.3", port))
    routes = routes_for((f"http://127.0.0.3:{port}/",))
    routes = dataclasses.replace(routes, routes=(Route("127.0.0.3", port, "127.0.0.1"),))
    ours, theirs = socket.socketpair()
    carrying = threading.Thread(target=forwarder.serve, args=(theirs, routes, 30.0), daemon=True)
    carrying.start()
    private_network.hand_over(ours, [listener])
    with socket.create_connection(("127.0.0.3", port), timeout=300) as client:
        client.sendall(sent)
        client.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    assert received == hashlib.sha256(sent).digest() + reply
    ours.close()
    carrying.join(300)
    assert not carrying.is_alive(), "the forwarder outlived its query process"
    theirs.close()
    upstream.close()


# --- the plan: which address stands for which endpoint ------------------------------------


def test_routes_keep_literal_addresses_and_give_each_name_its_own() -> None:
    routes = routes_for(
        (
            "http://127.0.0.1:8890/sparql",
            "https://query.example.org/sparql",  # 443 by default
            "http://query.example.org:8080/other",  # the same name: the same address
            "https://Partner.Example./sparql",  # names are case-blind, a final dot dropped
            "http://[::1]:7000/sparql",
            "http://192.0.2.9/sparql",  # 80 by default
            "http://127.0.0.1:8890/another-path",  # the same host:port: one route
            "ftp://files.example/",  # not a SERVICE scheme: left out
            "urn:x",
        )
    )
    assert routes.routes == (
        Route("127.0.0.1", 8890, "127.0.0.1"),
        Route("127.0.0.2", 443, "query.example.org"),
        Route("127.0.0.2", 8080, "query.example.org"),
        Route("127.0.0.3", 443, "partner.example"),
        Route("::1", 7000, "::1"),
        Route("192.0.2.9", 80, "192.0.2.9"),
    )
    assert routes.names == (("query.example.org", "127.0.0.2"), ("partner.example", "127.0.0.3"))
    assert routes.extra_addresses() == ("192.0.2.9",)
    lines = [line for line in routes.hosts_file().splitlines() if not line.startswith("#")]
    assert lines == ["127.0.0.2 query.example.org", "127.0.0.3 partner.example"]


def test_names_never_take_an_allow_listed_loopback_address() -> None:
    routes = routes_for(("http://127.0.0.2:1/", "http://a.example/", "http://127.0.0.3:2/"))
    assert dict(routes.names) == {"a.example": "127.0.0.4"}


def test_too_many_names_are_refused_clearly() -> None:
    with pytest.raises(RoutesUnavailable, match="more than 253 hosts"):
        routes_for(tuple(f"http://h{n}.example/" for n in range(254)))


# --- the operator's side ------------------------------------------------------------------


def test_kg_serve_refuses_an_allow_list_without_namespaces_unless_allowed(
    monkeypatch, capsys
) -> None:
    from kg import cli
    from kg.web.endpoint.isolation import sandbox

    monkeypatch.setattr(sandbox, "unavailable", lambda: None)
    monkeypatch.setattr(private_network, "unavailable", lambda endpoints=(): "no user namespaces")
    allowing = Settings(service_allowlist=("https://partner.example/sparql",))
    assert not cli._unsandboxed("serve", Settings())  # no allow-list: no namespace needed
    assert cli._unsandboxed("serve", allowing)
    assert "KG_ALLOW_SERVICE_WITHOUT_NAMESPACE=1" in capsys.readouterr().err
    opted_out = dataclasses.replace(allowing, allow_service_without_namespace=True)
    assert not cli._unsandboxed("serve", opted_out)
    assert "WARNING" in capsys.readouterr().err
    started: list[str] = []
    monkeypatch.setattr(cli.os, "execvp", lambda *args: started.append("gunicorn"))
    monkeypatch.setattr("kg.deploy.stack.serve", lambda settings: started.append("nginx") or 0)
    monkeypatch.setenv("KG_SERVICE_ALLOWLIST", "https://partner.example/sparql")
    for command in ("serve", "serve-public"):
        assert cli.main([command]) == 2
        assert "Refusing to serve" in capsys.readouterr().err
    assert started == []


def test_allow_service_without_namespace_is_read_as_a_yes_or_no(monkeypatch) -> None:
    for raw, value in (("1", True), ("true", True), ("0", False), ("no", False)):
        monkeypatch.setenv("KG_ALLOW_SERVICE_WITHOUT_NAMESPACE", raw)
        assert Settings.from_env().allow_service_without_namespace is value


def test_kg_sandbox_says_whether_federating_processes_get_their_network(monkeypatch, capsys):
    """Exit 0 here (both work); 1 where the namespaces fail while the allow-list is set, and
    still 0 (with the line) where they fail but nothing federates."""
    from kg import cli

    monkeypatch.delenv("KG_SERVICE_ALLOWLIST", raising=False)
    assert cli.main(["sandbox"]) == 0
    assert "get a network of their own here" in capsys.readouterr().out
    monkeypatch.setattr(private_network, "unavailable", lambda endpoints=(): "no namespaces")
    assert cli.main(["sandbox"]) == 0
    assert "NO network of their own here: no namespaces" in capsys.readouterr().out
    monkeypatch.setenv("KG_SERVICE_ALLOWLIST", "https://partner.example/sparql")
    assert cli.main(["sandbox"]) == 1
    assert "(KG_SERVICE_ALLOWLIST is set): no namespaces" in capsys.readouterr().out


def test_a_federating_process_and_its_forwarder_die_with_their_worker(built: Settings) -> None:
    """A worker that dies (killed by gunicorn, say) leaves neither its federating process nor
    that process's forwarder behind."""
    import time

    from kg.web.endpoint.execution import _QueryProcess

    settings = dataclasses.replace(
        built, cache_entries=0, service_allowlist=("http://127.0.0.1:9/sparql",)
    )
    engine = bare(open_engine(settings))
    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:  # the web worker: starts a federating process, then dies
        routes = routes_for(settings.service_allowlist)
        child = _QueryProcess(engine, settings, frozenset(), FEDERATING, routes)
        os.write(write_end, f"{child.pid} {child.forwarder}".encode())
        os._exit(0)
    os.close(write_end)
    orphans = [int(pid) for pid in os.read(read_end, 64).split()]
    os.close(read_end)
    os.waitpid(worker, 0)
    assert len(orphans) == 2

    def gone(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        return state in ("Z", "X")

    deadline = time.monotonic() + 60
    try:
        while not all(gone(pid) for pid in orphans):
            assert time.monotonic() < deadline, "an orphan still runs"
            time.sleep(0.05)
    finally:
        for pid in orphans:
            if not gone(pid):
                os.kill(pid, 9)
