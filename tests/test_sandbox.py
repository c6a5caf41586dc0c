"""Query processes are sealed off the network by the kernel, bounded, and start clean (issue 23,
items 1 to 3; issue 22's "pool" breakages)."""

from __future__ import annotations

import dataclasses
import datetime
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.settings import Settings
from kg.store import bare, open_engine
from kg.web.endpoint import execution
from kg.web.endpoint.execution import FEDERATING, SEALED, QueryPool, _QueryProcess
from kg.web.endpoint.isolation import sandbox
from kg.web.endpoint.limits import QueryRejected
from tests.canary import Canary, singing

JSON = "application/sparql-results+json"
#: A query no machine finishes before any timeout here, whatever the row cap: COUNT over a
#: six-way product of the whole graph (about 10^23 solutions on the real build) yields no row
#: until the product is done, so the row cap cannot end it early.
ENDLESS = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r }"
)


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    with singing(tmp_path) as bird:
        yield bird


@pytest.fixture
def pool_for_settings(built: Settings):
    pools: list[QueryPool] = []

    def make(**changes) -> QueryPool:
        changes = {"cache_entries": 0, "query_processes": 2, **changes}
        settings = dataclasses.replace(built, **changes)
        pool = QueryPool(bare(open_engine(settings)), settings)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def _in_child(work) -> str:
    """Run ``work()`` in a forked child and return what it returned (a short text)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            message = str(work())
        except BaseException as err:  # the test reads the failure
            message = f"raised {type(err).__name__}: {err}"
        os.write(write_end, message.encode()[:4000])
        os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 4000).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    return answer


def _service_call(url: str) -> str:
    """Oxigraph's SERVICE to ``url``; what it said (the canary's empty answer is an error too)."""
    store = ox.Store()
    try:
        list(store.query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"))
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return "answered"


def test_the_kernel_stops_a_sealed_process_reaching_the_canary(canary: Canary) -> None:
    """The oracle first: an unsealed process does reach the canary, so the test can fail."""
    assert "not permitted" not in _in_child(lambda: _service_call(canary.url))
    assert len(canary.hits) == 1

    def sealed() -> str:
        sandbox.forbid_network()
        return _service_call(canary.url)

    assert "Operation not permitted" in _in_child(sealed)
    assert len(canary.hits) == 1, canary.hits


def _families_opened() -> str:
    """Whether this process may open an IPv4, IPv6, Unix and netlink socket, in that order."""
    outcomes = []
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, socket.AF_NETLINK):
        try:
            socket.socket(family, socket.SOCK_DGRAM).close()
            outcomes.append("opened")
        except PermissionError:
            outcomes.append("refused")
    return " ".join(outcomes)


def test_a_sealed_process_opens_no_socket_of_any_family() -> None:
    def sealed() -> str:
        sandbox.forbid_network()
        return _families_opened()

    # A DNS look-up needs a UDP (or TCP) socket, or a Unix one to a name service daemon.
    assert _in_child(lambda: "opened") == "opened"
    assert _in_child(sealed) == "refused refused refused refused"


def test_the_filter_covers_threads_started_before_it() -> None:
    """A query process starts a watchdog thread before it seals itself; the rule must hold
    in every thread of the process, not only in the one that installed it."""

    def sealed_after_a_thread_started() -> str:
        go, outcome = threading.Event(), []

        def other() -> None:
            go.wait(60)
            outcome.append(_families_opened())

        thread = threading.Thread(target=other)
        thread.start()
        sandbox.forbid_network()
        go.set()
        thread.join(60)
        return outcome[0] if outcome else "no answer"

    assert _in_child(sealed_after_a_thread_started) == "refused refused refused refused"


def test_the_probe_says_the_sandbox_works_here() -> None:
    assert sandbox.unavailable() is None


def test_the_probe_names_a_sandbox_that_cannot_be_installed(monkeypatch) -> None:
    def broken() -> None:
        raise sandbox.SandboxUnavailable("no seccomp in this kernel")

    monkeypatch.setattr(sandbox, "forbid_network", broken)
    assert sandbox.unavailable() == "no seccomp in this kernel"


def _status(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} for {pid}")


def _address_space_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return line.split()[3]
    raise AssertionError(f"no address-space limit line for {pid}")


def _sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += fd.readlink().name.startswith("socket:")
        except OSError:
            continue
    return count


def _wait_for(predicate, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_query_processes_are_started_ahead_sealed_capped_and_clean(
    pool_for_settings, monkeypatch
) -> None:
    """Started with the pool; each under a seccomp filter (mode 2), an address-space cap, and
    holding one socket only (its pipe), even though the worker held a listening socket. The
    grace period is made longer than any run, so a loaded machine cannot get the process that
    answers the ASK demoted and replaced while the test reads it."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        pool = pool_for_settings(query_processes=3, query_grace=1000.0)
        assert len(pool.processes()) == execution.PRESTARTED
        pool.start()  # what each gunicorn worker does before it accepts a connection
    finally:
        listener.close()
    pids = pool.processes()
    assert len(pids) == 3
    pool.query("ASK { ?s ?p ?o }", media_type=JSON)  # each process has served or waited
    for pid in pids:
        _wait_for(lambda pid=pid: _status(pid, "Seccomp") == "2", "the filter is installed")
        assert _address_space_limit(pid) != "unlimited"
        assert _sockets(pid) == 1, sorted(Path(f"/proc/{pid}/fd").iterdir())


def test_allow_listed_service_queries_run_capped_in_their_own_processes(
    pool_for_settings, canary: Canary
) -> None:
    pool = pool_for_settings(service_allowlist=(canary.url,))
    with pytest.raises(QueryRejected):  # the canary answers no SPARQL results
        pool.query(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")
    assert canary.hits, "an allow-listed SERVICE is called"
    # The process that ran it, or its successor if a slow run got it demoted and replaced.
    federating = pool._take(FEDERATING)
    try:
        assert federating.kind == FEDERATING
        assert federating.pid not in [child.pid for child in pool._idle[SEALED]]
        pid = federating.pid
        _wait_for(lambda: _status(pid, "Seccomp") == "2", "internet sockets only")
        assert _address_space_limit(pid) != "unlimited"
    finally:
        federating.kill()


def test_a_demoted_process_is_never_reused(pool_for_settings) -> None:
    """An unprivileged process cannot raise its priority again: a demoted one is replaced."""
    pool = pool_for_settings()
    child = pool._take(SEALED)
    child.demote()
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == execution.DEMOTED_NICE
    assert pool._give_back(child) is child  # killed; its successor once the slot is back
    assert not child.is_alive()
    pool._succeed(child)
    own = os.getpriority(os.PRIO_PROCESS, 0)  # the test may itself run under nice
    for pid in pool.processes():
        assert os.getpriority(os.PRIO_PROCESS, pid) == own
    assert len(pool.processes()) == 2  # replaced
    assert pool.query("ASK { ?s ?p ?o }", media_type=JSON).body


def test_time_waiting_for_a_slot_counts_against_the_timeout(pool_for_settings, monkeypatch) -> None:
    """The query gets what is left of its time after it waited for room, not all of it."""
    pool = pool_for_settings(query_timeout=30.0)
    waited = 2.0
    given: list[float] = []
    real_take, real_run = pool._slots.try_take, pool._run

    def wait_for_room(left: float) -> int | None:
        time.sleep(waited)  # another query is shed meanwhile, and its slot freed
        return real_take()

    def run(child, job, left, timeout, slot):
        given.append(left)
        return real_run(child, job, left, timeout, slot)

    monkeypatch.setattr(pool._slots, "try_take", lambda: None)
    monkeypatch.setattr(pool, "_make_room", wait_for_room)
    monkeypatch.setattr(pool, "_run", run)
    assert pool.query("ASK { ?s ?p ?o }", media_type=JSON).body
    assert len(given) == 1 and given[0] <= 30.0 - waited, given


def test_a_query_that_waited_its_whole_time_is_not_run(pool_for_settings, monkeypatch) -> None:
    pool = pool_for_settings(query_timeout=1.0)
    monkeypatch.setattr(pool._slots, "try_take", lambda: None)
    monkeypatch.setattr(pool, "_make_room", lambda left: (time.sleep(1.5), 0)[1])
    monkeypatch.setattr(pool._slots, "give_back", lambda slot: None)
    with pytest.raises(QueryRejected) as refused:
        pool.query("ASK { ?s ?p ?o }", media_type=JSON)
    assert refused.value.status == 503 and "waited" in refused.value.reason
    assert pool.process_runs == 0


def _cheap_until(instant: datetime.datetime) -> str:
    """Cheap (no solution, decided first) while NOW() is before ``instant``, then ENDLESS."""
    return ENDLESS.replace(
        " }",
        f' FILTER(NOW() > "{instant.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#dateTime>) }}',
    )


def test_a_query_whose_cost_changes_with_the_clock_stays_bounded(pool_for_settings) -> None:
    """Issue 23: a text cheap before an instant and a huge product after it. It was cheap in
    every earlier run; after the instant it still runs in a killable process, and is killed."""
    # Ten seconds: the cheap runs need milliseconds (a thousandfold margin on a loaded machine),
    # and the product after the instant could not finish in a day.
    pool = pool_for_settings(query_timeout=10.0)
    ahead = 5.0
    while True:  # a slow machine gets a later instant, never a wrong verdict
        instant = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=ahead)
        text = _cheap_until(instant)
        answers = [pool.query(text, media_type=JSON) for _ in range(3)]
        if datetime.datetime.now(datetime.UTC) < instant:
            break
        ahead *= 4
    assert all(b'"value":"0"' in answer.body for answer in answers)
    _wait_for(lambda: datetime.datetime.now(datetime.UTC) > instant, "the instant passes")
    runs = pool.process_runs
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(pool.query(text, media_type=JSON))
        except QueryRejected as err:
            outcome.append(err)

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(300)  # thirty times the timeout: an unbounded run fails here instead of hanging
    assert outcome, "the query ran on past its timeout"
    (stopped,) = outcome
    assert isinstance(stopped, QueryRejected), stopped
    assert stopped.status == 503 and "ran longer than 10 s" in stopped.reason
    assert pool.process_runs == runs + 1
    assert pool.query("ASK { ?s ?p ?o }", media_type=JSON).body  # the process was replaced


class _Silent(BaseHTTPRequestHandler):
    """An endpoint that accepts a SERVICE call and never answers it (until the test ends)."""

    release = threading.Event()

    def do_POST(self) -> None:
        self.release.wait(120)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        _Silent.release.set()
        server.shutdown()
        server.server_close()


def test_the_service_timeout_bounds_an_allow_listed_call(pool_for_settings, silent_endpoint):
    pool = pool_for_settings(
        service_allowlist=(silent_endpoint,), service_timeout=1.0, query_timeout=30.0
    )
    with pytest.raises(QueryRejected) as stopped:
        pool.query(f"SELECT * WHERE {{ SERVICE <{silent_endpoint}> {{ ?s ?p ?o }} }}")
    assert stopped.value.status == 503 and "ran longer than 1 s" in stopped.value.reason


def test_a_query_process_that_cannot_seal_itself_evaluates_nothing(
    pool_for_settings, monkeypatch, canary: Canary
) -> None:
    def broken() -> None:
        raise sandbox.SandboxUnavailable("no seccomp")

    monkeypatch.setattr(execution, "forbid_network", broken)
    monkeypatch.setattr(execution, "check_reach", lambda *args, **kwargs: None)
    pool = pool_for_settings()
    with pytest.raises(QueryRejected) as refused:
        pool.query(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")
    assert refused.value.status == 503 and "sandbox" in refused.value.reason
    assert canary.untouched(), canary.hits


def test_kg_serve_refuses_to_start_unsandboxed_unless_allowed(monkeypatch, capsys) -> None:
    from kg import cli

    monkeypatch.setattr(sandbox, "unavailable", lambda: "no seccomp here")
    assert cli._unsandboxed("serve", Settings())
    assert "KG_ALLOW_UNSANDBOXED=1" in capsys.readouterr().err
    assert not cli._unsandboxed("serve", Settings(allow_unsandboxed=True))
    assert "WARNING" in capsys.readouterr().err
    started: list[str] = []  # what would have started serving, had the refusal failed
    monkeypatch.setattr(cli.os, "execvp", lambda *args: started.append("gunicorn"))
    monkeypatch.setattr("kg.deploy.stack.serve", lambda settings: started.append("nginx") or 0)
    for command in ("serve", "serve-public"):
        assert cli.main([command]) == 2
        assert "Refusing to serve" in capsys.readouterr().err
    assert started == []


def test_allow_unsandboxed_is_read_as_a_yes_or_no(monkeypatch) -> None:
    for raw, value in (("1", True), ("true", True), ("0", False), ("no", False)):
        monkeypatch.setenv("KG_ALLOW_UNSANDBOXED", raw)
        assert Settings.from_env().allow_unsandboxed is value
    monkeypatch.setenv("KG_ALLOW_UNSANDBOXED", "maybe")
    with pytest.raises(SystemExit):
        Settings.from_env()


def test_a_process_is_forked_without_the_workers_sockets(built: Settings) -> None:
    """Directly on one process: a client connection open in the worker at fork time is not
    held by the query process (else closing it in the worker would not close it)."""
    settings = dataclasses.replace(built, cache_entries=0)
    engine = bare(open_engine(settings))
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    child = _QueryProcess(engine, settings, frozenset(), SEALED)
    try:
        accepted.close()  # the worker closes the connection...
        client.settimeout(60)
        assert client.recv(1) == b""  # ...and the client sees its end
    finally:
        child.kill()
        client.close()
        server.close()


def test_a_process_is_forked_without_the_workers_pipes(built: Settings) -> None:
    """A pipe another program reads from, open in the worker at fork time, is not held by the
    query process: closing it in the worker ends the reader's input (a browser driver under
    the test runner waited for ever for the end of its stdin while query processes held it)."""
    settings = dataclasses.replace(built, cache_entries=0)
    engine = bare(open_engine(settings))
    reading, writing = os.pipe()
    child = _QueryProcess(engine, settings, frozenset(), SEALED)
    try:
        os.close(writing)  # the worker closes its end...
        ready, _, _ = select.select([reading], [], [], 60)
        assert ready and os.read(reading, 1) == b""  # ...and the reader sees the end
    finally:
        child.kill()
        os.close(reading)


def _exchange(conn: socket.socket, query: str) -> int:
    """Send one GET on a kept-alive connection and read its whole answer; its status."""
    import urllib.parse

    target = "/sparql?" + urllib.parse.urlencode({"query": query})
    conn.sendall(
        f"GET {target} HTTP/1.1\r\nHost: localhost\r\nAccept: {JSON}\r\n\r\n".encode("ascii")
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(65536)
        assert chunk, "the server closed the connection before answering"
        head += chunk
    header, _, body = head.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return int(lines[0].split()[1])


@pytest.mark.integration
@pytest.mark.serial  # an ordinary query under a one-second timeout: the serial pass
def test_an_idle_kept_alive_connection_is_closed_for_the_client(built: Settings) -> None:
    """Issue 23: gunicorn closes an idle keep-alive connection (after 5 s); the client must see
    that end, also after a query timed out on it, so that a query process was killed and
    forked anew while the connection was open (a copy of the socket held there kept it open)."""
    from tests.conftest import free_port, start_gunicorn, stop_process

    port = free_port()
    process = start_gunicorn(built.build_dir, port, KG_WORKERS="1", KG_QUERY_TIMEOUT="1")
    conn = socket.create_connection(("127.0.0.1", port))
    try:
        assert _exchange(conn, "ASK { ?s ?p ?o }") == 200
        assert _exchange(conn, ENDLESS) == 503  # killed after 1 s, and replaced by a fork
        conn.settimeout(60)  # twelve times gunicorn's keep-alive
        assert conn.recv(1) == b"", "the kept-alive connection was never closed"
    finally:
        conn.close()
        stop_process(process)


def test_a_federating_process_reaches_only_the_allow_listed_ports(canary: Canary) -> None:
    """Below the gate: with a TCP rule for the canary's port only, another local port (a
    second canary) cannot be reached even by a SERVICE the gate never saw. The oracle: without
    the rule, the same process reaches it."""
    (canary.file.parent / "other").mkdir()
    other = Canary(canary.file.parent / "other")
    try:
        ports = sandbox.endpoint_ports((canary.url,))

        def federating() -> str:
            sandbox.limit_network(ports)
            return f"{_service_call(canary.url)} | {_service_call(other.url)}"

        assert _in_child(lambda: _service_call(other.url)) and len(other.hits) == 1
        allowed, refused = _in_child(federating).split(" | ")
        assert "not permitted" not in allowed and "denied" not in allowed, allowed
        assert "Permission denied" in refused, refused
        assert len(canary.hits) == 1 and len(other.hits) == 1, (canary.hits, other.hits)
    finally:
        other.close()


def test_a_federating_process_opens_no_unix_or_netlink_socket() -> None:
    def federating() -> str:
        sandbox.limit_network({443})
        return _families_opened()

    assert _in_child(federating) == "opened opened refused refused"


def test_a_query_process_dies_with_its_worker(built: Settings) -> None:
    """A worker that dies mid-query (killed by gunicorn, say) leaves no query process running
    an endless product behind."""
    settings = dataclasses.replace(built, cache_entries=0)
    engine = bare(open_engine(settings))
    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:  # the web worker: starts an endless query, then dies
        child = _QueryProcess(engine, settings, frozenset(), SEALED)
        child.submit(execution._Job(ENDLESS, None, None, None, None, JSON))
        os.write(write_end, str(child.pid).encode())
        os._exit(0)
    os.close(write_end)
    orphan = int(os.read(read_end, 32))
    os.close(read_end)
    os.waitpid(worker, 0)

    def gone() -> bool:
        try:
            state = Path(f"/proc/{orphan}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        return state in ("Z", "X")

    try:
        _wait_for(gone, "the orphaned query process still runs")
    finally:
        if not gone():
            os.kill(orphan, 9)


def test_a_query_process_gzips_the_answer_it_is_asked_to(pool_for_settings) -> None:
    """The worker's threads share one interpreter lock, so the query process compresses the
    answer itself when the client accepts gzip: the same answer, compressed, marked so."""
    import gzip

    pool = pool_for_settings()
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200"
    plain = pool.query(text, media_type=JSON)
    packed = pool.query(text, media_type=JSON, gzip=True)
    assert not plain.gzipped and packed.gzipped
    assert gzip.decompress(packed.body) == plain.body
    assert (packed.rows, packed.truncated) == (plain.rows, plain.truncated) == (200, False)


def test_a_probe_in_a_child_reports_what_its_check_found() -> None:
    """The probes of the sandbox and of the private network run their check in a forked child:
    what the check answers or raises there must reach the caller, and only success is None."""
    from kg.web.endpoint.isolation.sandbox import probe_in_child

    assert probe_in_child(lambda: None) is None
    assert probe_in_child(lambda: "a TCP socket was still allowed") == (
        "a TCP socket was still allowed"
    )

    def raises() -> str | None:
        raise OSError("no libseccomp")

    assert probe_in_child(raises) == "no libseccomp"
