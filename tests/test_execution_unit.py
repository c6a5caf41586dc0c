"""The query processes and their pool (kg.web.endpoint.execution) on their own: a tiny store made
here, no build, no app, no server.

Issue 22, item 3: these are the quick tests mutation testing runs against
``kg.web.endpoint.execution``, so that a mutant costs seconds rather than an app's start-up.
Each test states what a client, a worker or an operator would see go wrong: a query that runs
past its time, a process that is reused at the lowest priority or without its memory cap, a
slot that is not given back, an answer that loses a field on its way over the pipe, a
federating process that reaches a canary beside its allow-listed endpoint or outlives half of
itself (its forwarder).

Where a timeout is the subject, the query cannot finish by many orders of magnitude: ENDLESS
is a COUNT over a six-way product of the store (10^12 solutions), which yields no row until
the product is done, so no row cap ends it early. Every other query needs milliseconds and runs
under a timeout of half a minute. Tests wait for events (a mark in a slot file, a process's
state), never for the clock, and every wait for another process or thread is bounded
(:data:`BOUND`) and fails the test at its bound: a mutant that leaves a process running or a
slot taken fails in a minute rather than hanging until mutmut's own time limit. A wait inside
the code itself (a poll, a ``waitpid``) is bounded by pytest-timeout (``pytestmark``).
"""

from __future__ import annotations

import dataclasses
import fcntl
import gzip
import json
import logging
import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest

from kg.settings import Settings
from kg.store import Bindings, Boolean, QuerySyntaxError, Serialised, Term, Triples
from kg.store.embedded import EmbeddedEngine
from kg.store.remote import RemoteEngine
from kg.web.endpoint import execution
from kg.web.endpoint.execution import (
    DEMOTED_NICE,
    FEDERATING,
    PRESTARTED,
    SEALED,
    Answer,
    QueryPool,
    _QueryProcess,
)
from kg.web.endpoint.isolation import private_network
from kg.web.endpoint.isolation.sandbox import SandboxUnavailable, endpoint_ports
from kg.web.endpoint.isolation.service_routes import routes_for
from kg.web.endpoint.limits import QueryRejected
from kg.web.endpoint.results import serialise
from tests.processes import exit_code_within
from tests.test_service_network import Endpoint, _call, _pair_on_one_port

JSON = "application/sparql-results+json"
EX = "http://example.org/"
G1, G2 = EX + "g1", EX + "g2"
#: COUNT over a six-way product of the store's 100 triples: 10^12 solutions, and no row until
#: the product is done; no machine finishes it within any timeout of these tests.
ENDLESS = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
    "?m ?n1 ?o . ?p ?q ?r }"
)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: Far beyond what a query of 100 triples needs on a loaded machine (milliseconds).
TIMEOUT = 30.0
#: Seconds any wait of these tests for another process or thread lasts at most: what it waits
#: for needs milliseconds (a query here, at most TIMEOUT), so reaching it is a defect.
BOUND = 2 * TIMEOUT
#: pytest-timeout's backstop, for a wait inside the code that never ends (a poll without a
#: limit, a ``waitpid`` for a process never killed): above any bound or timeout a test sets.
pytestmark = pytest.mark.timeout(3 * BOUND)
BASE = Settings(query_timeout=TIMEOUT, query_processes=2, cache_entries=0)


def _store() -> ox.Store:
    """60 triples in graph G1, 40 in G2, and their union in the default graph (as the build
    writes it)."""
    store = ox.Store()
    quads = [
        ox.Quad(ox.NamedNode(f"{EX}{name}{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), graph)
        for name, graph, count in (("s", ox.NamedNode(G1), 60), ("t", ox.NamedNode(G2), 40))
        for i in range(count)
    ]
    store.extend(quads)
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    return store


@pytest.fixture(scope="module")
def engine() -> EmbeddedEngine:
    return EmbeddedEngine(_store(), "unit")


@pytest.fixture
def make_pool(engine: EmbeddedEngine) -> Iterator[Callable[..., QueryPool]]:
    pools: list[QueryPool] = []

    def make(**changes: object) -> QueryPool:
        pool = QueryPool(engine, dataclasses.replace(BASE, **changes))
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture(autouse=True)
def only_children_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a forked child may leave through ``os._exit``: a test process that ran a query
    process's code by mistake would otherwise end the run at once with status 0, as if every
    test had passed; a child whose ``os._exit`` fails exits with 99 rather than go on running
    the tests. And no process here signals a whole process group (``os.kill(0, …)``, a pid of
    0 taken for a child's): that would stop the test runner itself."""
    test_process, real_exit, real_kill = os.getpid(), os._exit, os.kill

    def exit_child(code: int) -> None:
        if os.getpid() == test_process:
            raise AssertionError(f"the test process itself was made to exit ({code})")
        try:
            real_exit(code)
        finally:  # os._exit refused the code: still never return into the tests' code
            real_exit(99)

    def kill_one(pid: int, signum: int) -> None:
        if pid <= 0:
            raise AssertionError(f"signal {signum} to a process group ({pid})")
        real_kill(pid, signum)

    monkeypatch.setattr(os, "_exit", exit_child)
    monkeypatch.setattr(os, "kill", kill_one)


def count_of(answer: Answer) -> int:
    return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])


def wait_for(predicate: Callable[[], bool], what: str, seconds: float = BOUND) -> None:
    """Wait for an event; the bound only keeps a broken build from hanging the run."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def exit_status(pid: int, what: str) -> int:
    """The exit code of child ``pid``, waiting at most :data:`BOUND`."""
    return exit_code_within(pid, BOUND, what)


def read_from(fd: int, size: int, what: str) -> bytes:
    """One read from a child's pipe, waiting at most :data:`BOUND` for it."""
    if not select.select([fd], [], [], BOUND)[0]:
        pytest.fail(f"waited {BOUND:g} s for {what}")
    return os.read(fd, size)


def join(thread: threading.Thread, what: str = "the query's thread") -> None:
    thread.join(BOUND)
    if thread.is_alive():
        pytest.fail(f"waited {BOUND:g} s for {what} to return")


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited and been reaped (no zombie left)."""
    return not Path(f"/proc/{pid}").exists()


def dead(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie not yet reaped counts). For a child of this
    process the kernel's own answer (``waitid`` without reaping): /proc of a dying process can
    fail to read before it is a zombie that ``waitpid`` sees (fresh15 was fooled once)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # not our child (or reaped already): read /proc
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def in_background(pool: QueryPool, text: str, **options: object):
    """Run a query in a thread; returns the thread and the list its outcome lands in."""
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(pool.query(text, **options))
        except (QueryRejected, QuerySyntaxError) as err:
            outcome.append(err)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    return thread, outcome


def wait_for_demotion(pool: QueryPool, child: _QueryProcess, thread: threading.Thread) -> None:
    """Wait until ``child``'s query (ENDLESS, in ``thread``) is marked demoted in the slot file.
    How long that takes in wall time is the machine's affair (on a loaded one, a minute): the
    wait is bounded by the CPU time the process uses (ten graces), by its query's timeout
    (the thread ends) and, as a backstop, by pytest-timeout."""
    mark = pool._slots.directory / "slot-0"
    bound = child.cpu_seconds() + 10 * pool._settings.query_grace
    while not mark.read_text().strip():
        assert thread.is_alive(), "the query ended before it was demoted"
        assert child.cpu_seconds() < bound, "the query used ten graces of CPU, never demoted"
        time.sleep(0.01)


def running_child(pool: QueryPool) -> _QueryProcess:
    wait_for(lambda: len(pool._running) == 1, "the query runs")
    (child,) = list(pool._running)
    return child


def in_child(work: Callable[[], object]) -> str:
    """Run ``work()`` in a forked child and return what it returned, as text."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            message = repr(work())
        except BaseException as err:
            message = f"raised {type(err).__name__}: {err}"
        os.write(write_end, message.encode()[:4000])
        os._exit(0)
    os.close(write_end)
    try:
        answer = read_from(read_end, 4000, "the forked child's answer").decode()
    finally:
        os.close(read_end)
        exit_status(pid, "the forked child")
    return answer


# --- The pipe's protocol ------------------------------------------------------------------------


def test_a_job_crosses_the_pipe_field_for_field() -> None:
    job = execution._Job("ASK {}", [G1], [G2], 7, EX + "base/", JSON, needs_parse=False, gzip=True)
    assert execution._decode_job(execution._encode_job(job)) == job


def _written_then_closed(*chunks: bytes, after_each: Callable[[int], None] = lambda fd: None):
    """A pipe whose write end gets ``chunks`` from a thread (``after_each(read_end)`` runs
    after each) and is then closed: a reader that asks for more than was written gets EOF at
    once instead of waiting for ever. Returns the read end and the thread."""
    read_end, write_end = os.pipe()

    def write() -> None:
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(write_end, view) :]
                after_each(read_end)
        except OSError:  # the reader gave up (a failed test)
            pass
        finally:
            os.close(write_end)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return read_end, writer


def test_an_answer_longer_than_a_pipe_holds_arrives_whole_in_many_reads() -> None:
    """An answer of a quarter megabyte crosses in many reads (a pipe holds 64 KiB): every
    part in order, no byte more or less."""
    answer = bytes(range(256)) * 1024
    read_end, writer = _written_then_closed(execution._LENGTH.pack(len(answer)) + answer)
    try:
        assert execution._recv_message(read_end) == answer
        join(writer, "the writer")
    finally:
        os.close(read_end)


def test_an_empty_message_is_read_from_its_length_alone() -> None:
    read_end, writer = _written_then_closed(execution._LENGTH.pack(0))
    try:
        assert execution._recv_message(read_end) == b""
        join(writer, "the writer")
    finally:
        os.close(read_end)


def test_a_length_that_arrives_in_two_reads_is_put_together() -> None:
    """The writer's one write can reach the reader in parts: here the first two bytes of the
    length, read alone, then the rest."""

    def drained(fd: int) -> None:  # the reader has taken what was written so far
        wait_for(
            lambda: struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0] == 0,
            "the reader to take the first part",
        )

    message = b"an answer"
    framed = execution._LENGTH.pack(len(message)) + message
    read_end, writer = _written_then_closed(framed[:2], framed[2:], after_each=drained)
    try:
        assert execution._recv_message(read_end) == message
        join(writer, "the writer")
    finally:
        os.close(read_end)


def test_an_answer_crosses_the_pipe_as_marshalled_bytes() -> None:
    answer = Answer("select", 3, True, body=b"{}", seconds=0.5, gzipped=True)
    data = execution._encode_outcome(("ok", answer))
    assert data[:1] == b"B"  # marshal, not pickle: the common case is the quick one
    assert execution._decode_outcome(data) == ("ok", answer)


def test_refusals_syntax_errors_and_engine_neutral_results_cross_pickled(engine) -> None:
    result = engine.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 2")
    for outcome in (
        ("ok", Answer("select", 2, False, result=result)),
        ("rejected", QueryRejected(503, "busy", {"Retry-After": "1"})),
        ("syntax", "error at line 1"),
    ):
        data = execution._encode_outcome(outcome)
        assert data[:1] == b"P", outcome
        assert execution._decode_outcome(data) == outcome


def test_unwrap_returns_answers_and_raises_refusals_and_syntax_errors() -> None:
    answer = Answer("ask", 1, False, body=b"true")
    assert execution._unwrap(("ok", answer)) is answer
    refusal = QueryRejected(400, "no")
    with pytest.raises(QueryRejected) as raised:
        execution._unwrap(("rejected", refusal))
    assert raised.value is refusal
    with pytest.raises(QuerySyntaxError, match=r"^error at line 1$"):
        execution._unwrap(("syntax", "error at line 1"))
    with pytest.raises(TypeError, match="'other'"):  # a defect of the protocol, not a refusal
        execution._unwrap(("other", refusal))


# --- Packaging an answer -------------------------------------------------------------------------


def test_package_keeps_what_the_engine_wrote() -> None:
    written = Serialised("graph", 4, True, b"<a> <b> <c> .")
    assert execution._package(written, "text/turtle") == Answer("graph", 4, True, body=written.body)


def test_package_counts_rows_triples_and_a_boolean_as_one() -> None:
    term = Term("uri", EX + "s")
    rows = Bindings(["s"], [{"s": term}] * 3, truncated=True)
    triples = Triples([(term, term, term)] * 2)
    assert execution._package(rows, None) == Answer("select", 3, True, result=rows)
    assert execution._package(triples, None) == Answer("graph", 2, False, result=triples)
    # A Boolean has no row cap (no ``truncated`` attribute): never truncated.
    assert execution._package(Boolean(True), None) == Answer("ask", 1, False, result=Boolean(True))


def test_package_serialises_in_the_media_type_asked_for() -> None:
    rows = Bindings(["s"], [{"s": Term("literal", "Åre")}], truncated=True)
    answer = execution._package(rows, JSON)
    assert answer == Answer("select", 1, True, body=serialise(rows, JSON).encode("utf-8"))


def test_package_leaves_a_media_type_of_another_kind_to_the_caller() -> None:
    rows = Bindings(["s"], [{"s": Term("uri", EX + "s")}])
    assert execution._package(rows, "text/turtle") == Answer("select", 1, False, result=rows)


# --- Answering a job (what a query process does with it) ----------------------------------------

NAMES = frozenset({G1, G2})


def job(text: str = COUNT, **fields: object) -> execution._Job:
    values = {
        "default_graphs": None,
        "named_graphs": None,
        "max_rows": None,
        "base_iri": None,
        "media_type": JSON,
        **fields,
    }
    return execution._Job(text, **values)  # type: ignore[arg-type]


def answer_of(engine, work: execution._Job, settings: Settings = BASE) -> Answer:
    tag, payload = execution._answer(work, engine, settings, NAMES)
    assert tag == "ok", payload
    return payload  # type: ignore[return-value]


def refusal_of(engine, work: execution._Job, settings: Settings = BASE) -> QueryRejected:
    tag, payload = execution._answer(work, engine, settings, NAMES)
    assert tag == "rejected", payload
    return payload  # type: ignore[return-value]


def test_answer_runs_the_text_and_times_itself(engine) -> None:
    before = time.perf_counter()
    answer = answer_of(engine, job())
    elapsed = time.perf_counter() - before
    assert count_of(answer) == 100
    assert answer.body == engine.query_as(COUNT, JSON).body
    assert (answer.kind, answer.rows, answer.truncated, answer.gzipped) == (
        "select",
        1,
        False,
        False,
    )
    assert 0 < answer.seconds <= elapsed  # its own time, measured inside the call


@pytest.mark.parametrize("needs_parse", [True, False])
def test_answer_selects_the_protocol_graphs(engine, needs_parse: bool) -> None:
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count_of(answer_of(engine, job(needs_parse=needs_parse))) == 100
    assert count_of(answer_of(engine, job(default_graphs=[G1], needs_parse=needs_parse))) == 60
    assert count_of(answer_of(engine, job(named, named_graphs=[G2], needs_parse=needs_parse))) == 40
    for graphs in ({"default_graphs": [EX + "nope"]}, {"named_graphs": [EX + "nope"]}):
        refused = refusal_of(engine, job(needs_parse=needs_parse, **graphs))
        assert (refused.status, refused.reason) == (
            400,
            f"<{EX}nope> names no graph in this dataset.",
        )


def test_answer_reads_from_with_the_parser(engine) -> None:
    assert (
        count_of(
            answer_of(engine, job(f"SELECT (COUNT(*) AS ?n) FROM <{G1}> WHERE {{ ?s ?p ?o }}"))
        )
        == 60
    )
    refused = refusal_of(engine, job(f"SELECT * FROM <{EX}nope> WHERE {{ ?s ?p ?o }}"))
    assert refused.status == 400 and refused.reason.startswith(f"FROM <{EX}nope> names no graph")


def test_answer_caps_rows_and_resolves_against_the_base(engine) -> None:
    capped = answer_of(engine, job("SELECT * WHERE { ?s ?p ?o }", max_rows=10, needs_parse=False))
    assert (capped.rows, capped.truncated) == (10, True)
    based = answer_of(
        engine, job('SELECT (IRI("x") AS ?i) {}', base_iri=EX + "base/", needs_parse=False)
    )
    assert json.loads(based.body)["results"]["bindings"][0]["i"]["value"] == EX + "base/x"


def test_answer_gives_an_engine_neutral_result_without_a_media_type(engine) -> None:
    neutral = answer_of(engine, job(media_type=None, needs_parse=False, gzip=True))
    assert neutral.body is None and not neutral.gzipped
    assert isinstance(neutral.result, Bindings) and neutral.result.rows[0]["n"].value == "100"


def test_answer_gzips_only_when_asked_and_worth_it(engine) -> None:
    text = "SELECT * WHERE { ?s ?p ?o }"
    plain = answer_of(engine, job(text, needs_parse=False))
    packed = answer_of(engine, job(text, needs_parse=False, gzip=True))
    assert not plain.gzipped and packed.gzipped
    assert gzip.decompress(packed.body) == plain.body
    small = answer_of(engine, job("ASK {}", needs_parse=False, gzip=True))  # under 512 bytes
    assert not small.gzipped and b"true" in small.body


def test_answer_reports_a_syntax_error_with_the_parsers_message(engine) -> None:
    tag, message = execution._answer(job("SELECT * WHERE { ?s ?p }"), engine, BASE, NAMES)
    assert tag == "syntax"
    assert message != "None" and "1" in message  # the parser's position


class Failing:
    """An engine whose every query fails with ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def query(self, *args: object, **kwargs: object) -> None:
        raise self.error


def test_answer_maps_engine_failures_to_refusals(caplog: pytest.LogCaptureFixture) -> None:
    work = job(needs_parse=False)
    memory = refusal_of(Failing(MemoryError()), work)
    assert memory == QueryRejected(
        503, "The query needed more memory than a query may use.", {"Retry-After": "10"}
    )
    deep = refusal_of(Failing(RecursionError()), work)
    assert deep == QueryRejected(400, "The query nests too deeply to be evaluated.")
    with caplog.at_level(logging.WARNING, logger=execution.__name__):
        other = refusal_of(Failing(RuntimeError("boom")), work)
    assert other == QueryRejected(400, "The query could not be evaluated (RuntimeError).")
    assert [r.getMessage() for r in caplog.records] == ["query failed: RuntimeError: boom"]


# --- Sealing a process off the network ----------------------------------------------------------


@pytest.fixture
def network_rules(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record the network rules a process would install, instead of installing them."""
    installed: list[object] = []
    monkeypatch.setattr(execution, "forbid_network", lambda: installed.append("none"))
    monkeypatch.setattr(execution, "limit_network", lambda ports: installed.append(ports))
    return installed


def test_a_sealed_process_forbids_the_network_a_federating_one_limits_it(
    engine, network_rules: list[object]
) -> None:
    allowed = ("https://query.example.org/sparql", "http://127.0.0.1:8890/sparql")
    settings = dataclasses.replace(BASE, service_allowlist=allowed)
    assert execution._seal(engine, settings, SEALED) is None
    assert execution._seal(engine, settings, FEDERATING) is None
    assert network_rules == ["none", endpoint_ports(allowed)] == ["none", {443, 8890}]


def test_a_process_over_a_remote_store_is_left_its_network(network_rules: list[object]) -> None:
    remote = RemoteEngine("http://127.0.0.1:9/sparql")
    assert execution._seal(remote, BASE, SEALED) is None
    assert network_rules == []


def test_a_process_that_cannot_seal_itself_refuses_every_query_unless_allowed(
    engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise SandboxUnavailable("no seccomp")

    monkeypatch.setattr(execution, "forbid_network", broken)
    with caplog.at_level(logging.INFO, logger=execution.__name__):
        refusal = execution._seal(engine, BASE, SEALED)
        allowed = dataclasses.replace(BASE, allow_unsandboxed=True)
        assert execution._seal(engine, allowed, SEALED) is None
    assert refusal == QueryRejected(
        503,
        "The query sandbox is not available on this server; queries are not evaluated "
        "(see SECURITY.md, KG_ALLOW_UNSANDBOXED).",
        {"Retry-After": "60"},
    )
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "query process cannot install its network rule: no seccomp"),
        (logging.WARNING, "query process runs without its network rule (no seccomp)"),
    ]


# --- The memory cap -------------------------------------------------------------------------------


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
        return next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))


def test_the_memory_cap_is_what_the_process_maps_plus_the_allowance() -> None:
    def capped() -> tuple[int, int, int, int]:
        before = _vm_size()
        execution._cap_memory(1000)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        return before, soft, hard, _vm_size()

    before, soft, hard, after = eval(in_child(capped))  # noqa: S307 - our own child's repr
    allowance = 1000 * 1024 * 1024
    assert before * 1024 + allowance <= soft <= after * 1024 + allowance
    assert hard == resource.RLIM_INFINITY  # the operator's own limit is left alone


def test_an_allowance_of_one_megabyte_is_a_cap_and_zero_is_none() -> None:
    def limit_after(megabytes: int) -> Callable[[], int]:
        def work() -> int:
            execution._cap_memory(megabytes)
            return resource.getrlimit(resource.RLIMIT_AS)[0]

        return work

    unlimited = resource.getrlimit(resource.RLIMIT_AS)[0]
    assert in_child(limit_after(0)) == repr(unlimited)
    assert in_child(limit_after(1)) != repr(unlimited)


def test_without_proc_the_operator_is_told_there_is_no_cap(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_proc(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("/proc/self/status")

    monkeypatch.setattr(execution, "open", no_proc, raising=False)
    before = resource.getrlimit(resource.RLIMIT_AS)
    with caplog.at_level(logging.INFO, logger=execution.__name__):
        execution._cap_memory(100)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert [r.getMessage() for r in caplog.records] == [
        "no address-space cap for query processes on this system"
    ]


# --- One query process ----------------------------------------------------------------------------


def test_a_query_process_exits_cleanly_when_its_worker_closes_the_pipe(engine) -> None:
    child = _QueryProcess(engine, BASE, NAMES, SEALED)
    child.conn.close()
    assert exit_status(child.pid, "the query process") == 0


def test_a_query_process_that_fails_never_returns_into_the_workers_code(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(keep: int) -> None:
        raise RuntimeError("cannot close")

    monkeypatch.setattr(execution, "close_inherited_channels", fails)
    child = _QueryProcess(engine, BASE, NAMES, SEALED)
    assert exit_status(child.pid, "the failed query process") == 1
    child.conn.close()


def test_ready_waits_for_the_reply_up_to_its_time(engine) -> None:
    child = _QueryProcess(engine, BASE, NAMES, SEALED)
    try:
        before = time.monotonic()
        assert not child.ready(0.3)  # no job yet: nothing to read
        assert time.monotonic() - before >= 0.3  # it did wait (a lower bound only)
        assert not child.ready(-1.0)  # a deadline already passed: no wait, and no hang
        child.submit(job())
        assert child.ready(TIMEOUT)
        tag, answer = child.reply()
        assert tag == "ok" and count_of(answer) == 100
    finally:
        child.kill()


def test_demote_lowers_the_priority_for_good_and_kill_reaps(engine) -> None:
    child = _QueryProcess(engine, BASE, NAMES, SEALED)
    assert child.is_alive() and not child.demoted
    child.demote()
    assert child.demoted and os.getpriority(os.PRIO_PROCESS, child.pid) == DEMOTED_NICE
    child.kill()
    assert gone(child.pid)  # reaped at once: no zombie
    assert not child.is_alive()
    child.kill()  # twice (a pool that closes after a timeout did): no error
    child.signal_kill()
    later = _QueryProcess(engine, BASE, NAMES, SEALED)
    later.kill()
    later.demote()  # a process already gone cannot be demoted, and says so
    assert not later.demoted


def test_signals_meant_for_the_worker_do_not_reach_the_query_code(engine) -> None:
    """The worker's handlers are not inherited (SIGTERM stops the process as the kernel
    would), and Ctrl-C is the worker's to handle: the query process ignores it."""
    previous = signal.signal(signal.SIGTERM, lambda *args: None)
    try:
        child = _QueryProcess(engine, BASE, NAMES, SEALED)
    finally:
        signal.signal(signal.SIGTERM, previous)
    try:
        for _ in range(2):  # the first answer shows the process is in its loop
            child.submit(job())
            assert child.ready(TIMEOUT)
            assert count_of(child.reply()[1]) == 100
            os.kill(child.pid, signal.SIGINT)
        os.kill(child.pid, signal.SIGTERM)
        assert exit_status(child.pid, "the query process") == -signal.SIGTERM
    finally:
        child.signal_kill()
        child.conn.close()


def test_a_query_process_dies_with_its_worker(engine) -> None:
    """A worker that dies mid-query leaves no query process running an endless product."""
    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:  # pragma: no cover - the web worker: starts an endless query, then dies
        child = _QueryProcess(engine, BASE, NAMES, SEALED)
        child.submit(job(ENDLESS))
        os.write(write_end, str(child.pid).encode())
        os._exit(0)
    os.close(write_end)
    orphan = int(read_from(read_end, 32, "the worker's query process"))
    os.close(read_end)
    exit_status(worker, "the worker")
    try:
        wait_for(lambda: dead(orphan), "the orphaned query process still runs")
    finally:
        if not dead(orphan):
            os.kill(orphan, signal.SIGKILL)


# --- The pool ------------------------------------------------------------------------------------


def test_a_pool_starts_processes_ahead_and_reuses_them(make_pool, monkeypatch) -> None:
    # No demotion however slow the machine: a query past the grace period is demoted, and a
    # demoted process is replaced rather than reused (at nice 19 under load, a first query
    # took longer than the quarter second once, and mutmut's clean run failed on it).
    pool = make_pool(query_processes=3, query_grace=1000.0)
    assert pool.graph_names == NAMES
    started = sorted(pool.processes())
    assert len(started) == PRESTARTED == 2
    assert pool.process_runs == 0
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    assert pool.process_runs == 2
    assert sorted(pool.processes()) == started  # the same processes answered, and stay
    pool.start(1)
    assert sorted(pool.processes()) == started
    pool.start()  # what each gunicorn worker does: one process per slot
    assert len(pool.processes()) == 3


def test_a_pool_used_in_a_forked_worker_starts_its_own_processes(make_pool) -> None:
    """gunicorn --preload forks workers from a process that may hold a pool: a worker must
    not write to query processes whose pipes its parent holds too."""
    pool = make_pool()
    parents = set(pool.processes())

    def work() -> bool:
        answer = pool.query(COUNT, media_type=JSON)
        own = set(pool.processes())
        pool.close()  # this worker's own processes (the parent's are not its children)
        return count_of(answer) == 100 and len(own) == 1 and not own & parents

    assert in_child(work) == "True"
    assert sorted(pool.processes()) == sorted(parents)
    assert not any(dead(pid) for pid in parents)  # the worker left its parent's alone
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100


def test_a_pool_with_one_slot_starts_one_process(make_pool) -> None:
    for size in (1, 0):
        pool = make_pool(query_processes=size)
        assert len(pool.processes()) == 1
        assert pool._slots.size == 1


def test_each_query_gives_its_slot_back(make_pool) -> None:
    pool = make_pool(query_processes=1)
    for _ in range(3):
        assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    assert pool._slots.taken() == 0


def test_every_field_of_a_query_reaches_its_process(make_pool) -> None:
    pool = make_pool()
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count_of(pool.query(COUNT, default_graphs=[G1], media_type=JSON)) == 60
    assert count_of(pool.query(named, named_graphs=iter([G2]), media_type=JSON)) == 40
    capped = pool.query("SELECT * WHERE { ?s ?p ?o }", max_rows=10, media_type=JSON)
    assert (capped.rows, capped.truncated) == (10, True)
    based = pool.query('SELECT (IRI("x") AS ?i) {}', base_iri=EX + "b/", media_type=JSON)
    assert json.loads(based.body)["results"]["bindings"][0]["i"]["value"] == EX + "b/x"
    neutral = pool.query(COUNT)
    assert neutral.body is None and neutral.result.rows[0]["n"].value == "100"
    text = "SELECT * WHERE { ?s ?p ?o }"
    plain, packed = pool.query(text, media_type=JSON), pool.query(text, media_type=JSON, gzip=True)
    assert not plain.gzipped and packed.gzipped
    assert gzip.decompress(packed.body) == plain.body


def test_from_an_unknown_graph_is_refused_in_the_process(make_pool) -> None:
    pool = make_pool()
    with pytest.raises(QueryRejected) as refused:
        pool.query(f"SELECT * FROM <{EX}nope> WHERE {{ ?s ?p ?o }}", media_type=JSON)
    assert refused.value.status == 400 and "names no graph" in refused.value.reason
    assert pool.process_runs == 1


def test_a_syntax_error_comes_back_as_one(make_pool) -> None:
    pool = make_pool()
    with pytest.raises(QuerySyntaxError) as raised:
        pool.query("SELECT * WHERE { ?s ?p }", media_type=JSON)
    assert str(raised.value) not in ("", "None")


def test_an_over_long_query_is_413_in_a_body_and_414_in_a_url(make_pool) -> None:
    pool = make_pool(max_query_length=50)
    text = "ASK {}" + " " * 50
    for options, status in (({}, 413), ({"via_url": True}, 414)):
        with pytest.raises(QueryRejected) as refused:
            pool.query(text, **options)
        assert refused.value.status == status
    assert pool.process_runs == 0


def test_a_query_past_its_time_is_stopped_and_its_process_replaced(make_pool) -> None:
    pool = make_pool(query_timeout=0.5)
    before = pool.processes()
    with pytest.raises(QueryRejected) as stopped:
        pool.query(ENDLESS, media_type=JSON)
    assert stopped.value == QueryRejected(
        503, "The query ran longer than 0.5 s and was stopped.", {"Retry-After": "1"}
    )
    after = pool.processes()
    assert len(after) == len(before)  # its successor is started at once
    (killed,) = set(before) - set(after)
    assert gone(killed)
    assert pool._slots.taken() == 0
    assert pool.process_runs == 1


def test_retry_after_a_timeout_is_the_timeout_rounded_up(make_pool) -> None:
    pool = make_pool(query_timeout=1.5)
    with pytest.raises(QueryRejected) as stopped:
        pool.query(ENDLESS, media_type=JSON)
    assert stopped.value.headers == {"Retry-After": "2"}
    assert stopped.value.reason == "The query ran longer than 1.5 s and was stopped."


def test_the_deadline_bounds_the_grace_period(make_pool, monkeypatch) -> None:
    pool = make_pool(query_timeout=0.3, query_grace=1000.0)
    with pytest.raises(QueryRejected) as stopped:
        pool.query(ENDLESS, media_type=JSON)
    assert stopped.value.reason == "The query ran longer than 0.3 s and was stopped."


def test_a_demoted_process_is_never_reused(make_pool) -> None:
    """An unprivileged process cannot raise its priority again: a demoted one is replaced."""
    pool = make_pool()
    child = pool._take(SEALED)
    child.demote()
    assert pool._give_back(child) is child  # killed; its successor once the slot is back
    assert gone(child.pid)
    assert len(pool.processes()) == 1
    pool._succeed(child)
    own = os.getpriority(os.PRIO_PROCESS, 0)  # the test may itself run under nice
    assert len(pool.processes()) == 2
    for pid in pool.processes():
        assert os.getpriority(os.PRIO_PROCESS, pid) == own
    assert pool.query("ASK {}", media_type=JSON).body


def test_a_dead_idle_process_is_passed_over_and_reaped(make_pool) -> None:
    pool = make_pool()
    victim = pool._idle[SEALED][-1].pid  # the one the next query would take
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: dead(victim), "the process dies")
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    assert victim not in pool.processes()
    assert gone(victim)


def test_close_stops_every_process_even_one_reaped_elsewhere(make_pool) -> None:
    """A host that reaps children itself (SIGCHLD ignored) must not make close() fail."""
    pool = make_pool(query_processes=3)
    pool.start()
    reaped, *others = pool.processes()
    os.kill(reaped, signal.SIGKILL)
    os.waitpid(reaped, 0)
    pool.close()
    assert pool.processes() == []
    for pid in others:
        assert gone(pid)


def test_young_queries_in_every_slot_make_a_new_query_wait_for_nothing(
    make_pool, monkeypatch
) -> None:
    """No queue: with every slot taken by queries still in their grace period, a new query
    gets 503 at once. A query process that dies under its query (the memory cap, or an
    operator's kill) gets 503 too, and the pool answers again."""
    pool = make_pool(query_processes=1, query_timeout=60.0, query_grace=1000.0)
    thread, outcome = in_background(pool, ENDLESS, media_type=JSON)
    child = running_child(pool)
    with pytest.raises(QueryRejected) as busy:
        pool.query("ASK {}", media_type=JSON)
    assert busy.value == QueryRejected(
        503, "Every query process is busy; please try again shortly.", {"Retry-After": "1"}
    )
    os.kill(child.pid, signal.SIGKILL)
    join(thread)
    assert outcome == [
        QueryRejected(
            503,
            "The query stopped its process (too much memory?) and was abandoned.",
            {"Retry-After": "60"},
        )
    ]
    assert gone(child.pid)
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100


def test_start_counts_the_processes_running_queries(make_pool, monkeypatch) -> None:
    pool = make_pool(query_processes=3, query_grace=1000.0)
    thread, _ = in_background(pool, ENDLESS, media_type=JSON)
    child = running_child(pool)
    pool.start()
    assert len(pool.processes()) == 3 and child.pid in pool.processes()
    os.kill(child.pid, signal.SIGKILL)
    join(thread)


def test_the_longest_demoted_query_is_shed_for_a_new_one(make_pool, monkeypatch) -> None:
    pool = make_pool(query_processes=1, query_timeout=2 * BOUND)
    thread, outcome = in_background(pool, ENDLESS, media_type=JSON)
    child = running_child(pool)
    wait_for_demotion(pool, child, thread)
    mark = pool._slots.directory / "slot-0"
    pid, started = mark.read_text().split()
    assert int(pid) == child.pid and float(started) == pytest.approx(child.started, abs=1e-6)
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == DEMOTED_NICE
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100  # it took the shed query's slot
    join(thread)
    assert outcome == [
        QueryRejected(
            503,
            "The server is overloaded; this long query was stopped to let others run.",
            {"Retry-After": "120"},
        )
    ]


# --- Demotion on CPU time, not wall time (issue 22) ---------------------------------------------


def test_cpu_seconds_reads_utime_and_stime_after_a_name_with_spaces_and_parentheses() -> None:
    """The process's own CPU time, as the kernel reports it to ``os.times``, even when its
    name would shift the fields of a naive split; a process that is gone has used up its
    grace (infinite)."""
    comm = Path("/proc/self/comm")
    name = comm.read_text().strip()
    comm.write_text("x) 1 2 3 4 5 6")  # 14 characters: the kernel keeps 15
    try:
        spent = time.process_time() + 0.3
        while time.process_time() < spent:  # CPU time for the fields to show
            pass
        read = _QueryProcess.cpu_seconds(SimpleNamespace(pid=os.getpid()))
        times = os.times()
    finally:
        comm.write_text(name)
    # A tick or two apart: the kernel's counter is read twice, in clock ticks (1/100 s).
    assert abs(read - (times.user + times.system)) < 0.1, (read, times)
    assert read >= 0.3
    assert _QueryProcess.cpu_seconds(SimpleNamespace(pid=2**22 + 1)) == float("inf")


class _ScriptedChild:
    """What :meth:`QueryPool._within_grace` sees of a query process: replies that are not
    ready until the script says so, and the CPU time it reads, from lists."""

    def __init__(self, ready: list[bool], cpu: list[float]) -> None:
        self._ready, self._cpu = list(ready), list(cpu)
        self.waits: list[float] = []

    def ready(self, seconds: float) -> bool:
        assert self._ready, f"waited once more ({seconds:g} s) than the script allows"
        self.waits.append(seconds)
        return self._ready.pop(0)

    def cpu_seconds(self) -> float:
        assert self._cpu, "read the CPU time once more than the script allows"
        return self._cpu.pop(0)


def _within_grace(child: _ScriptedChild, before: float, deadline: float, grace: float = 0.25):
    owner = SimpleNamespace(_settings=dataclasses.replace(BASE, query_grace=grace))
    return QueryPool._within_grace(owner, child, before, deadline)


def test_each_wait_lasts_the_grace_not_yet_used_and_an_answer_ends_them() -> None:
    child = _ScriptedChild(ready=[False, False, True], cpu=[5.125, 5.1875])
    assert _within_grace(child, before=5.0, deadline=time.monotonic() + 100) is True
    assert child.waits == pytest.approx([0.25, 0.125, 0.0625])


def test_a_query_without_cpu_near_its_deadline_is_not_demoted() -> None:
    """Less than a second left, no CPU used: it waits on, however near its deadline."""
    child = _ScriptedChild(ready=[False, True], cpu=[3.0])
    assert _within_grace(child, before=3.0, deadline=time.monotonic() + 0.5) is True
    assert child.waits[0] == pytest.approx(0.25)


def test_the_grace_ends_when_exactly_used_and_a_passed_deadline_ends_it_at_once() -> None:
    child = _ScriptedChild(ready=[False], cpu=[1.25])
    assert _within_grace(child, before=1.0, deadline=time.monotonic() + 100) is False
    passed = _ScriptedChild(ready=[False], cpu=[])
    assert _within_grace(passed, before=0.0, deadline=time.monotonic() - 1) is False
    assert passed.waits[0] < 0  # no wait at all (ready() waits for max(0, ...))


@pytest.fixture
def busy_machine() -> Iterator[list[subprocess.Popen]]:
    """The load of a busy machine: one more CPU-bound process than there are cores, at the
    test's own priority, each stopped (and reaped) at the end whatever happened."""
    loops: list[subprocess.Popen] = []
    try:
        for _ in range(max(3, (os.cpu_count() or 2) + 1)):
            loops.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        yield loops
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait(BOUND)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_cheap_query_on_a_busy_machine_is_not_demoted(make_pool, busy_machine, monkeypatch):
    """A cheap query that the machine's load keeps off the CPU for longer than the grace uses
    no CPU meanwhile: it is not demoted (at nice 19 among busy processes it would starve until
    its timeout: issue 22's 503s of cheap queries), its process answers and is reused.

    Besides the busy loops, the query's process is held stopped (SIGSTOP, as a process the
    scheduler never picks) until the worker's first wait for it has run out, so the wait is
    past the grace in wall time whatever the machine; then it is let go."""
    pool = make_pool(query_processes=1, query_timeout=TIMEOUT)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    (child,) = pool._idle[SEALED]
    for _ in range(10):
        assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    waits: list[bool] = []
    real_submit, real_ready = _QueryProcess.submit, _QueryProcess.ready

    def submit(self: _QueryProcess, work: execution._Job) -> None:
        os.kill(self.pid, signal.SIGSTOP)
        wait_for(lambda: _state(self.pid) == "T", "the query process stops")
        real_submit(self, work)

    def ready(self: _QueryProcess, seconds: float) -> bool:
        answered = real_ready(self, seconds)
        waits.append(answered)
        if not answered:
            os.kill(self.pid, signal.SIGCONT)
        return answered

    monkeypatch.setattr(_QueryProcess, "submit", submit)
    monkeypatch.setattr(_QueryProcess, "ready", ready)
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    assert waits[0] is False and waits[-1] is True, "the process was held past its grace"
    monkeypatch.undo()
    assert not child.demoted
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == own
    assert pool.processes() == [child.pid]  # the same process, kept for the next query
    assert (pool._slots.directory / "slot-0").read_text() == ""  # never marked sheddable


def test_a_query_that_keeps_the_cpu_busy_is_demoted_once_it_used_its_grace(
    make_pool, monkeypatch
) -> None:
    """A query that yields nothing until it is done (ENDLESS) is demoted and marked sheddable
    after it has used its grace of CPU time, not before. How long that takes in wall time is
    the machine's affair (on a loaded one, minutes): the wait is for the mark, bounded by the
    CPU time the process used (ten times the grace) and, as a backstop, by pytest-timeout."""
    pool = make_pool(query_processes=1, query_timeout=2 * BOUND, query_grace=0.2)
    (child,) = pool._idle[SEALED]
    before = child.cpu_seconds()
    spent: list[float] = []
    real_demote = _QueryProcess.demote

    def demote(self: _QueryProcess) -> None:
        spent.append(self.cpu_seconds() - before)
        real_demote(self)

    monkeypatch.setattr(_QueryProcess, "demote", demote)
    thread, outcome = in_background(pool, ENDLESS, media_type=JSON)
    wait_for_demotion(pool, child, thread)
    assert child.demoted and os.getpriority(os.PRIO_PROCESS, child.pid) == DEMOTED_NICE
    assert len(spent) == 1 and spent[0] >= 0.2, spent
    os.kill(child.pid, signal.SIGKILL)
    join(thread)
    assert isinstance(outcome[0], QueryRejected) and outcome[0].status == 503


def test_the_shed_querys_slot_comes_back_before_its_successor_is_forked(make_pool, monkeypatch):
    """Under overload a new query sheds the demoted one and waits for its slot. The shed
    query's thread gives that slot back before it forks the successor of the killed process
    (a fork can take long on a busy machine): here that fork waits until the new query has
    its answer, which it gets. Forking first, the new query would wait for the fork."""
    pool = make_pool(query_processes=1, query_timeout=2 * BOUND)
    thread, outcome = in_background(pool, ENDLESS, media_type=JSON)
    child = running_child(pool)
    wait_for_demotion(pool, child, thread)
    answered = threading.Event()
    real_fork = pool._fork

    def fork(kind: str) -> _QueryProcess:
        if threading.current_thread() is thread:  # the successor of the shed query's process
            answered.wait(BOUND)
        return real_fork(kind)

    monkeypatch.setattr(pool, "_fork", fork)
    try:
        assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    finally:
        answered.set()
    join(thread)
    assert gone(child.pid)
    assert outcome[0].reason.startswith("The server is overloaded")
    assert len(pool.processes()) == 2  # the new query's own process, and the successor
    assert [spare.kind for spare in pool._idle[SEALED]] == [SEALED, SEALED]


def test_a_new_query_waits_for_the_shed_slot_as_long_as_its_own_time_allows(
    make_pool, monkeypatch
) -> None:
    """Not a fixed second: what is left of the query's timeout (from its arrival)."""
    pool = make_pool(query_processes=1, query_timeout=40.0)
    waits: list[float] = []
    monkeypatch.setattr(pool._slots, "try_take", lambda: None)
    monkeypatch.setattr(pool._slots, "shed_oldest", lambda nice: 0 if nice == DEMOTED_NICE else 5)
    monkeypatch.setattr(
        pool._slots, "take_reserved", lambda slot, seconds: (waits.append(seconds), None)[1]
    )
    with pytest.raises(QueryRejected) as busy:
        pool.query("ASK {}", media_type=JSON)
    assert busy.value.status == 503
    assert len(waits) == 1 and 30.0 < waits[0] <= 40.0, waits


def test_time_waiting_for_a_slot_counts_against_the_timeout(make_pool, monkeypatch) -> None:
    pool = make_pool()
    waited = 0.2
    given: list[float] = []
    real_take, real_run = pool._slots.try_take, pool._run

    def wait_for_room(left: float) -> int | None:
        time.sleep(waited)  # another query is shed meanwhile, and its slot freed
        return real_take()

    def run(child, work, left, timeout, slot):
        given.append(left)
        return real_run(child, work, left, timeout, slot)

    monkeypatch.setattr(pool._slots, "try_take", lambda: None)
    monkeypatch.setattr(pool, "_make_room", wait_for_room)
    monkeypatch.setattr(pool, "_run", run)
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100
    assert len(given) == 1 and 0 < given[0] <= TIMEOUT - waited, given


def test_a_query_with_little_time_left_is_still_run(make_pool, monkeypatch) -> None:
    """A second, of which checking the text takes microseconds."""
    pool = make_pool(query_timeout=1.0)
    given: list[float] = []

    def run(child, work, left, timeout, slot):
        given.append(left)
        return ("ok", Answer("ask", 1, False, body=b"true")), pool._give_back(child)

    monkeypatch.setattr(pool, "_run", run)
    assert pool.query("ASK {}", media_type=JSON).body == b"true"
    assert len(given) == 1 and 0 < given[0] <= 1.0


def test_a_query_that_waited_its_whole_time_is_not_run(make_pool, monkeypatch) -> None:
    pool = make_pool(query_timeout=0.2)
    real_take = pool._slots.try_take

    def wait_too_long(left: float) -> int | None:
        time.sleep(0.3)
        return real_take()

    monkeypatch.setattr(pool._slots, "try_take", lambda: None)
    monkeypatch.setattr(pool, "_make_room", wait_too_long)
    with pytest.raises(QueryRejected) as refused:
        pool.query("ASK {}", media_type=JSON)
    assert refused.value == QueryRejected(
        503, "The query waited 0.2 s for a query process and was abandoned.", {"Retry-After": "1"}
    )
    assert pool.process_runs == 0
    assert pool._slots.taken() == 0  # the slot it won is given back


class _Silent(BaseHTTPRequestHandler):
    """An endpoint that accepts a SERVICE call and never answers it (until the test ends)."""

    release = threading.Event()

    def do_POST(self) -> None:
        self.release.wait(BOUND)

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


def test_service_queries_run_in_their_own_processes_under_the_service_timeout(
    make_pool, silent_endpoint: str
) -> None:
    pool = make_pool(service_allowlist=(silent_endpoint,), service_timeout=0.5)
    sealed = sorted(pool.processes())
    assert pool.query("ASK {}", media_type=JSON).body  # no SERVICE: a sealed process
    assert sorted(pool.processes()) == sealed
    with pytest.raises(QueryRejected) as stopped:
        pool.query(f"SELECT * WHERE {{ SERVICE <{silent_endpoint}> {{ ?s ?p ?o }} }}")
    assert stopped.value == QueryRejected(
        503, "The query ran longer than 0.5 s and was stopped.", {"Retry-After": "30"}
    )
    assert sorted(pool.processes()) == sealed  # the federating one is gone, not replaced


def test_each_kind_of_process_installs_its_own_network_rule(
    make_pool, monkeypatch, tmp_path: Path
) -> None:
    record = tmp_path / "rules"

    def note(text: str) -> None:
        with record.open("a") as out:
            out.write(text + "\n")

    monkeypatch.setattr(execution, "forbid_network", lambda: note("none"))
    monkeypatch.setattr(execution, "limit_network", lambda ports: note(f"ports {sorted(ports)}"))
    closed = "http://127.0.0.1:9/sparql"  # the discard port: nothing listens
    pool = make_pool(service_allowlist=(closed,), query_processes=1)
    assert pool.query("ASK {}", media_type=JSON).body
    with pytest.raises(QueryRejected):
        pool.query(f"SELECT * WHERE {{ SERVICE <{closed}> {{ ?s ?p ?o }} }}")
    assert record.read_text().splitlines() == ["none", "ports [9]"]


class _Store(BaseHTTPRequestHandler):
    """A remote SPARQL store that knows one graph and answers every other query ``true``."""

    def do_POST(self) -> None:
        text = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if "GROUP+BY" in text:  # graph_counts
            n = {"type": "literal", "value": "1"}
            bindings = [{"g": {"type": "uri", "value": G1}, "n": n}]
            answer = {"head": {"vars": ["g", "n"]}, "results": {"bindings": bindings}}
        else:
            answer = {"head": {}, "boolean": True}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_query_processes_over_a_remote_store_can_reach_it(engine) -> None:
    """The store is the network there: a sealed process could not ask it anything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    remote = RemoteEngine(f"http://127.0.0.1:{server.server_address[1]}/sparql")
    pool = QueryPool(remote, BASE)
    try:
        assert pool.graph_names == frozenset({G1})
        answer = pool.query("ASK { ?s ?p ?o }", media_type=JSON)
        assert json.loads(answer.body)["boolean"] is True
    finally:
        pool.close()
        server.shutdown()
        server.server_close()


def test_a_process_that_cannot_seal_itself_evaluates_nothing(make_pool, monkeypatch) -> None:
    def broken() -> None:
        raise SandboxUnavailable("no seccomp")

    monkeypatch.setattr(execution, "forbid_network", broken)
    pool = make_pool()
    with pytest.raises(QueryRejected) as refused:
        pool.query("ASK {}", media_type=JSON)
    assert refused.value.status == 503 and refused.value.reason.startswith(
        "The query sandbox is not available"
    )


def test_a_query_over_the_memory_cap_is_stopped_and_its_process_replaced(make_pool) -> None:
    """A GROUP_CONCAT over a 10^6-row product needs some hundred megabytes; the process may
    add 16. (Without the cap it would answer, after a second or two.)"""
    pool = make_pool(query_memory_mb=16, query_processes=1, query_timeout=120.0)
    hungry = (
        "SELECT (STRLEN(GROUP_CONCAT(?x)) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
        'BIND(CONCAT(STR(?a), STR(?d), STR(?g), "-----------------------------") AS ?x) }'
    )
    with pytest.raises(QueryRejected) as stopped:
        pool.query(hungry, media_type=JSON)
    assert stopped.value.status == 503 and "memory" in stopped.value.reason
    assert count_of(pool.query(COUNT, media_type=JSON)) == 100


def test_a_pool_forbids_rdflib_to_load_graphs(make_pool, monkeypatch) -> None:
    import rdflib.plugins.sparql as rdflib_sparql

    monkeypatch.setattr(rdflib_sparql, "SPARQL_LOAD_GRAPHS", True)
    make_pool()
    assert rdflib_sparql.SPARQL_LOAD_GRAPHS is False


def test_pool_for_is_the_endpoints_pool() -> None:
    pool = object()
    app = SimpleNamespace(extensions={"kg_endpoint": SimpleNamespace(pool=pool)})
    assert execution.pool_for(app) is pool


# --- Federating processes: a private network, reached through a forwarder ----------------------
#
# The tests switch the gate off (``check_reach`` in the query process does nothing), so that
# only the kernel stands between a SERVICE call and a canary; the endpoints and ``_call`` are
# those of tests/test_service_network.py, whose tests cover the same path over the built graph.


@pytest.fixture
def partners() -> Iterator[SimpleNamespace]:
    """The allow-listed endpoint on 127.0.0.1:P, a canary on 127.0.0.2:P (the same port) and
    one on 127.0.0.1:Q (another port)."""
    allowed, same_port = _pair_on_one_port()
    other_port = Endpoint("other-port", "127.0.0.1")
    try:
        yield SimpleNamespace(
            allowed=allowed,
            same_port=same_port,
            other_port=other_port,
            same_port_url=f"http://127.0.0.2:{allowed.port}/sparql",
        )
    finally:
        for endpoint in (allowed, same_port, other_port):
            endpoint.close()


@pytest.fixture
def federating(make_pool, partners, monkeypatch: pytest.MonkeyPatch) -> Callable[..., QueryPool]:
    """A pool over the tiny store allow-listing ``partners.allowed``, the gate switched off in
    its query processes (forked after the patch) and no demotion however slow the machine (a
    demoted process would be replaced rather than reused)."""
    monkeypatch.setattr(execution, "check_reach", lambda *args, **kwargs: None)

    def make(**changes: object) -> QueryPool:
        return make_pool(
            service_allowlist=(partners.allowed.url,),
            service_timeout=TIMEOUT,
            **{"query_grace": 1000.0, **changes},
        )

    return make


def _namespace_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the namespace step fail in every query process forked from now on."""

    def refused(routes: object) -> None:
        raise private_network.NamespaceUnavailable("switched off by the test")

    monkeypatch.setattr(private_network, "enter", refused)


def test_an_allow_listed_service_is_answered_through_the_forwarder_and_no_canary(
    federating, partners
) -> None:
    """The federating process lives in a network of its own, its forwarder in the worker's;
    only the allow-listed host:port is reached, not the same port at another address (which the
    port rule alone would let through), nor another port. The process is reused."""
    pool = federating()
    assert pool._routes == routes_for((partners.allowed.url,))
    assert [child.forwarder for child in pool._idle[SEALED]] == [None] * PRESTARTED
    assert _call(pool, partners.allowed.url) == "allowed"
    (child,) = pool._idle[FEDERATING]
    own = Path("/proc/self/ns/net").readlink()
    assert Path(f"/proc/{child.pid}/ns/net").readlink() != own
    assert Path(f"/proc/{child.forwarder}/ns/net").readlink() == own
    assert child.is_alive()
    assert _call(pool, partners.same_port_url).startswith("refused 400")
    assert _call(pool, partners.other_port.url).startswith("refused 400")
    assert pool._idle[FEDERATING] == [child]
    assert len(partners.allowed.hits) == 1
    assert not partners.same_port.hits and not partners.other_port.hits


def test_a_pool_has_a_private_network_only_with_an_allow_list(make_pool) -> None:
    assert make_pool()._routes is None


@pytest.mark.parametrize("killed", ["query process", "forwarder"])
def test_a_federating_process_is_dead_when_either_half_is_and_is_replaced(
    federating, partners, killed: str
) -> None:
    """Killing the query process ends its forwarder too (its control socket closes); a
    process whose forwarder died is dead as well. The next query passes it over, reaps both
    and forks a new pair."""
    pool = federating()
    assert _call(pool, partners.allowed.url) == "allowed"
    (child,) = pool._idle[FEDERATING]
    os.kill(child.pid if killed == "query process" else child.forwarder, signal.SIGKILL)
    wait_for(lambda: dead(child.forwarder), "the forwarder outlived its query process")
    if killed == "query process":  # the forwarder ended by itself, cleanly
        how = os.waitid(os.P_PID, child.forwarder, os.WEXITED | os.WNOWAIT)  # not reaped yet
        assert (how.si_code, how.si_status) == (os.CLD_EXITED, 0)
    assert not child.is_alive()
    assert not child.is_alive()  # asked again, once a half is reaped
    assert _call(pool, partners.allowed.url) == "allowed"
    assert gone(child.pid) and gone(child.forwarder)
    (successor,) = pool._idle[FEDERATING]
    assert successor.pid != child.pid and successor.forwarder != child.forwarder
    assert successor.is_alive()


def _stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def test_signal_kill_kills_both_halves_reap_and_kill_reap_them(federating, partners) -> None:
    """The forwarder is stopped first, so that it cannot end on its own when its query
    process dies: only a SIGKILL sent to it ends it."""
    pool = federating()
    assert _call(pool, partners.allowed.url) == "allowed"
    child = pool._idle[FEDERATING].pop()
    try:
        os.kill(child.forwarder, signal.SIGSTOP)
        wait_for(lambda: _stopped(child.forwarder), "the forwarder stops")
        child.signal_kill()
        for pid in (child.pid, child.forwarder):
            wait_for(lambda pid=pid: dead(pid), f"{pid} survived SIGKILL")
            how = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # not reaped yet
            assert (how.si_code, how.si_status) == (os.CLD_KILLED, signal.SIGKILL)
        child.reap()
        assert gone(child.pid) and gone(child.forwarder)
    finally:
        for pid in (child.pid, child.forwarder):
            if not dead(pid):
                os.kill(pid, signal.SIGKILL)
        child.conn.close()
    assert _call(pool, partners.allowed.url) == "allowed"
    later = pool._idle[FEDERATING].pop()
    later.kill()
    assert gone(later.pid) and gone(later.forwarder) and later.conn.closed


def _descriptors() -> list[str]:
    return sorted(path.name for path in Path("/proc/self/fd").iterdir())


def test_a_federating_process_leaves_no_descriptor_in_its_worker(engine) -> None:
    """The worker keeps only its end of the process's pipe, and kill closes that: neither
    end of the forwarder's control socket stays open in the worker."""
    settings = dataclasses.replace(BASE, service_allowlist=("http://127.0.0.1:9/sparql",))
    before = _descriptors()
    child = _QueryProcess(
        engine, settings, NAMES, FEDERATING, routes_for(settings.service_allowlist)
    )
    try:
        assert len(_descriptors()) == len(before) + 1
        child.submit(job())
        assert child.ready(TIMEOUT)
        assert count_of(child.reply()[1]) == 100
    finally:
        child.kill()
    assert _descriptors() == before


def test_a_forwarder_that_fails_exits_and_never_returns_into_the_workers_code(
    engine, monkeypatch
) -> None:
    from kg.web.endpoint.isolation import forwarder

    def broken(*args: object) -> None:
        raise RuntimeError("the forwarder broke")

    monkeypatch.setattr(forwarder, "serve", broken)
    routes = routes_for(("http://127.0.0.1:9/sparql",))
    child = _QueryProcess(engine, BASE, NAMES, FEDERATING, routes)
    try:
        wait_for(lambda: dead(child.forwarder), "the broken forwarder still runs")
        how = os.waitid(os.P_PID, child.forwarder, os.WEXITED | os.WNOWAIT)
        assert (how.si_code, how.si_status) == (os.CLD_EXITED, 1)
        assert not child.is_alive()
    finally:
        child.kill()


def test_without_a_namespace_a_federating_query_gets_503_and_calls_nothing(
    federating, partners, monkeypatch
) -> None:
    _namespace_fails(monkeypatch)
    pool = federating()
    with pytest.raises(QueryRejected) as refused:
        pool.query(f"SELECT ?x WHERE {{ SERVICE <{partners.allowed.url}> {{ ?s ?p ?x }} }}")
    assert refused.value == QueryRejected(
        503,
        "Queries that call an allow-listed SERVICE are not evaluated on this server: "
        "the kernel gives their process no network of its own (see SECURITY.md, "
        "KG_ALLOW_SERVICE_WITHOUT_NAMESPACE).",
        {"Retry-After": "60"},
    )
    assert not partners.allowed.hits


def test_with_the_opt_out_a_process_without_its_namespace_federates_and_is_reused(
    federating, partners, monkeypatch
) -> None:
    """The oracle for the canary tests: without its private network the process is held only
    by the port rule, so the same-port canary is reached. Its idle forwarder lives as long as
    it does, so the worker reuses the pair."""
    _namespace_fails(monkeypatch)
    pool = federating(allow_service_without_namespace=True)
    assert _call(pool, partners.same_port_url) == "same-port"
    (child,) = pool._idle[FEDERATING]
    assert Path(f"/proc/{child.pid}/ns/net").readlink() == Path("/proc/self/ns/net").readlink()
    assert child.is_alive()
    assert _call(pool, partners.allowed.url) == "allowed"
    assert pool._idle[FEDERATING] == [child]
    assert len(partners.same_port.hits) == 1


def test_a_federating_process_without_its_network_refuses_unless_the_operator_allows(
    engine, network_rules: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    allowed = ("http://127.0.0.1:8890/sparql",)
    settings = dataclasses.replace(BASE, service_allowlist=allowed)
    opted_out = dataclasses.replace(settings, allow_service_without_namespace=True)
    with caplog.at_level(logging.INFO, logger=execution.__name__):
        refusal = execution._seal(engine, settings, FEDERATING, "no user namespaces")
        assert network_rules == []  # nothing is evaluated: no rule needed
        assert execution._seal(engine, opted_out, FEDERATING, "no user namespaces") is None
        assert execution._seal(engine, settings, SEALED, "ignored for a sealed process") is None
    assert refusal is not None and refusal.status == 503
    assert "KG_ALLOW_SERVICE_WITHOUT_NAMESPACE" in refusal.reason
    assert network_rules == [{8890}, "none"]
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "federating query process has no private network: no user namespaces"),
        (
            logging.WARNING,
            "federating query process without its private network (no user namespaces)",
        ),
    ]


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (private_network.NamespaceUnavailable("unshare: EPERM"), "'unshare: EPERM'"),
        (private_network.NamespaceUnavailable(), "'NamespaceUnavailable'"),
        (OSError(), "'OSError'"),
        (None, "None, 1 listener"),
    ],
)
def test_entering_the_private_network_says_why_it_failed(
    monkeypatch, failure: BaseException | None, said: str
) -> None:
    """In a forked (single-threaded) child, as in a federating process. On success the
    listener is handed over to the forwarder's end of the control socket."""
    if failure is not None:

        def refused(routes: object) -> None:
            raise failure

        monkeypatch.setattr(private_network, "enter", refused)
    routes = routes_for(("http://127.0.0.1:8890/sparql",))

    def enter() -> str:
        fence, theirs = socket.socketpair()
        why = execution._enter_private_network(fence, routes)
        if why is not None:
            return repr(why)
        fence.close()
        _message, fds, _flags, _address = socket.recv_fds(theirs, 16, 4)
        return f"None, {len(fds)} listener"

    assert in_child(enter) == repr(said)


def _signal_dispositions(pid: int) -> tuple[set[int], set[int]]:
    """The signals ``pid`` catches and those it ignores, as the kernel says."""
    masks = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("SigCgt", "SigIgn"):
            masks[name] = int(value, 16)
    return tuple(  # type: ignore[return-value]
        {n for n in range(1, 65) if masks[name] >> (n - 1) & 1} for name in ("SigCgt", "SigIgn")
    )


WORKER_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def test_default_signals_drops_the_workers_handlers_and_ignores_ctrl_c() -> None:
    def in_a_fork() -> str:
        for signum in (*WORKER_SIGNALS, signal.SIGINT):
            signal.signal(signum, lambda *args: None)
        execution._default_signals()
        return " ".join(
            "default"
            if signal.getsignal(s) == signal.SIG_DFL
            else "ignored"
            if signal.getsignal(s) == signal.SIG_IGN
            else "handled"
            for s in (*WORKER_SIGNALS, signal.SIGINT)
        )

    assert in_child(in_a_fork) == repr("default " * 5 + "ignored")


def test_neither_half_of_a_federating_process_keeps_the_workers_handlers(
    federating, partners
) -> None:
    """The worker's handlers are installed before the pool forks; once a query is answered
    (both halves are in their loops), neither catches them, and both ignore Ctrl-C."""
    previous = {signum: signal.signal(signum, lambda *args: None) for signum in WORKER_SIGNALS}
    try:
        pool = federating()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    assert _call(pool, partners.allowed.url) == "allowed"
    (child,) = pool._idle[FEDERATING]
    for pid in (child.pid, child.forwarder):
        caught, ignored = _signal_dispositions(pid)
        assert not caught.intersection(WORKER_SIGNALS), pid
        assert signal.SIGINT in ignored, pid


def test_is_remote_tells_the_two_engines_apart(engine) -> None:
    assert execution._is_remote(RemoteEngine("http://127.0.0.1:9/sparql"))
    assert not execution._is_remote(engine)


def test_federating_processes_over_a_remote_store_keep_its_network(engine, monkeypatch) -> None:
    """The remote store evaluates the SERVICE itself: the federating process must reach it, so
    it gets no private network and no forwarder."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    # No demotion however slow the machine: a demoted process is replaced, not reused.
    settings = dataclasses.replace(BASE, service_allowlist=(url,), query_grace=1000.0)
    pool = QueryPool(RemoteEngine(url), settings)
    try:
        assert pool._routes is None
        answer = pool.query(f"ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", media_type=JSON)
        assert json.loads(answer.body)["boolean"] is True
        (child,) = pool._idle[FEDERATING]
        assert child.forwarder is None
    finally:
        pool.close()
        server.shutdown()
        server.server_close()
