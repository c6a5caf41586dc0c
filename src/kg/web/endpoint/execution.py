"""Run every query in a killable, sandboxed query process, behind a gate that never queues.

A Python thread cannot be stopped, and neither engine can be interrupted from outside, so a
catastrophic regex or a cartesian product would hold a web worker for good. No query is ever
evaluated in a web worker's thread (not even one that was cheap before: the cost of a text can
change with the clock, through ``NOW()``, ``RAND()`` or ``BNODE()``, issue 23). Each web worker
owns long-lived query processes instead, forked from it after the store is loaded (so they
share its memory, copy-on-write), started ahead of time and reused: a query costs one round
trip over a pipe, not a fork.

- Every query process closes the sockets and pipes it inherited from the worker (the
  listening socket, client connections, its host's pipes) and, before it evaluates anything,
  installs the kernel's rule of :mod:`kg.web.endpoint.isolation.sandbox`: it cannot open a socket,
  so no ``SERVICE`` (and no DNS look-up) reaches the network, whatever the gate of
  :mod:`kg.web.endpoint.limits` let through. Queries that name an allow-listed ``SERVICE`` run
  in a separate class of processes, each in a network namespace of its own where only the
  allow-listed endpoints exist (:mod:`kg.web.endpoint.isolation.private_network`), reached through a
  forwarder forked beside it (:mod:`kg.web.endpoint.isolation.forwarder`).
- A query that runs past its time (``KG_QUERY_TIMEOUT``, or ``KG_SERVICE_TIMEOUT`` for one
  that calls an allow-listed ``SERVICE``; the time spent waiting for a slot counts) is killed
  with SIGKILL and its process replaced: 503 with ``Retry-After``.
- A query that has used a short grace of CPU time (``KG_QUERY_GRACE``) is moved to the lowest
  CPU priority, so that ordinary queries arriving meanwhile get the cores first; an unprivileged
  process cannot raise its priority again, so a demoted process is never reused: it is replaced.
  CPU time, not wall time: on a busy machine a cheap query may wait long before it is even
  scheduled, and demoting it then would starve it behind every other process until its timeout.
  The worker waits on the pipe for at most the grace not yet used (a process uses at most about
  one CPU second per second), then reads the process's CPU time again, with no polling in
  between. A query waiting on the network (an allow-listed ``SERVICE``) uses no CPU, so it is
  never demoted and never shed to make room; its ``KG_SERVICE_TIMEOUT`` bounds it.
- Each query process has an address-space cap (``KG_QUERY_MEMORY_MB``), so a huge sort or
  product dies alone (and is replaced) instead of dragging the machine into swap.
- At most ``KG_QUERY_PROCESSES`` queries run at once in the whole server, all workers together
  (:mod:`kg.web.endpoint.slots`); when every slot is taken, the query that has run longest past the
  grace period is shed (503) to make room; if none has, a new query gets 503 with
  ``Retry-After`` at once instead of waiting in a queue of unknown length. The shed query's
  worker gives the slot back before it forks the successor of the killed process, and the new
  query waits for that slot for as long as its own time allows.

The checks of :mod:`kg.web.endpoint.limits` that need the parser run inside the query process too,
so a parse that explodes is stopped by the same timeout; a text whose tokens (read once, in the web
worker) prove that it holds no ``SERVICE``, ``FROM`` or update is not read again there. The
query process also serialises the answer in the format the client asked for, so that only
bytes cross the pipe: one write each way, a job and an answer in :mod:`marshal`'s compact form
(pickle only for the rare refusal or engine-neutral result).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import marshal
import math
import multiprocessing
import os
import pickle
import select
import signal
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from kg.lexer import Shape
from kg.settings import Settings
from kg.store import (
    Bindings,
    Engine,
    QueryResult,
    QuerySyntaxError,
    Serialised,
    Triples,
    query_as,
)
from kg.web.endpoint.http import gzipped
from kg.web.endpoint.isolation import forwarder, private_network
from kg.web.endpoint.isolation.sandbox import (
    SandboxUnavailable,
    close_inherited_channels,
    endpoint_ports,
    forbid_network,
    limit_network,
)
from kg.web.endpoint.isolation.service_routes import Routes, routes_for
from kg.web.endpoint.limits import QueryRejected, check_graphs, check_reach, check_text, warm_up
from kg.web.endpoint.results import formats_for, result_kind, serialise
from kg.web.endpoint.slots import slots_for

log = logging.getLogger(__name__)

#: ``nice`` value for queries past the grace period (19 is the lowest priority).
DEMOTED_NICE = 19
#: Query processes a new pool starts at once; gunicorn's workers start one per slot
#: (:mod:`kg.web.endpoint.gunicorn_conf`), other users of a pool (tests, ``--debug``) fork more on
#: demand.
PRESTARTED = 2
#: Seconds between two looks of a query process for its web worker (orphans exit).
WATCH_SECONDS = 1.0
#: Clock ticks per second, the unit of the CPU times in ``/proc/<pid>/stat``.
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: The two classes of query process: sealed off the network, or allowed to call SERVICE.
SEALED, FEDERATING = "sealed", "federating"


@dataclass(frozen=True)
class _Job:
    text: str
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    max_rows: int | None
    base_iri: str | None
    media_type: str | None
    #: Whether :func:`~kg.web.endpoint.limits.check_reach` must read the text again (with the
    #: parser); False only when the web worker's lexing proved no SERVICE, FROM or update can be
    #: code.
    needs_parse: bool = True
    #: Whether the client accepts gzip: the query process then compresses the body itself, so
    #: that the web worker (whose threads share one interpreter lock) only copies bytes.
    gzip: bool = False


def _encode_job(job: _Job) -> bytes:
    """A job as it crosses the pipe: strings, numbers and lists only, so :mod:`marshal`
    writes it (several times faster than pickling the dataclass)."""
    # Field by field: dataclasses.astuple deep-copies every list, a tenth of the worker's time.
    return marshal.dumps(
        (
            job.text,
            job.default_graphs,
            job.named_graphs,
            job.max_rows,
            job.base_iri,
            job.media_type,
            job.needs_parse,
            job.gzip,
        )
    )


def _decode_job(data: bytes) -> _Job:
    return _Job(*marshal.loads(data))  # noqa: S302 - written by the worker that forked us


#: How the length of a message precedes it on the pipe (as multiprocessing's own framing).
_LENGTH = struct.Struct("!I")
#: Bytes asked for by the first read of a message: a job or a typical answer, with its length,
#: arrives in that one read instead of two (the length, then the rest).
_FIRST_READ = 65536


def _send_message(fd: int, data: bytes) -> None:
    """One message on the pipe: its length and its bytes in one write (more only if the pipe
    takes less at once)."""
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _recv_message(fd: int) -> bytes:
    """The next message on the pipe; EOFError when the other end is closed. Usually one read:
    the sender wrote the length and the bytes at once. Worker and query process take turns (a
    job, then its reply), so nothing follows a message on the pipe when it is read."""
    data = b""
    while len(data) < _LENGTH.size:
        more = os.read(fd, _FIRST_READ)
        if not more:
            raise EOFError
        data += more
    (size,) = _LENGTH.unpack_from(data)
    end = _LENGTH.size + size
    if len(data) >= end:
        return data[_LENGTH.size : end]
    parts = [data[_LENGTH.size :]]
    left = end - len(data)
    while left:
        more = os.read(fd, left)
        if not more:
            raise EOFError
        parts.append(more)
        left -= len(more)
    return b"".join(parts)


#: First byte of a query process's reply: an answer's bytes, or a pickled outcome.
_BYTES, _PICKLED = b"B", b"P"


@dataclass(frozen=True)
class Answer:
    """What a query process sends back: the serialised ``body`` when the result could be written
    in the media type asked for, else the ``result`` itself for the caller to serialise."""

    kind: str  # select, ask or graph
    rows: int
    truncated: bool
    body: bytes | None = None
    result: QueryResult | None = None
    seconds: float = 0.0  # checking, evaluating and serialising, in the query process
    gzipped: bool = False  # ``body`` is gzip-compressed (asked for, and worth it)


def _encode_outcome(outcome: tuple[str, object]) -> bytes:
    """A query process's reply. An answer already serialised (nearly every one) goes as
    :mod:`marshal` of its fields and body; refusals, syntax errors and an engine-neutral result
    are pickled."""
    tag, payload = outcome
    if tag == "ok" and isinstance(payload, Answer) and payload.result is None:
        fields = (
            payload.kind,
            payload.rows,
            payload.truncated,
            payload.seconds,
            payload.gzipped,
            payload.body,
        )
        return _BYTES + marshal.dumps(fields)
    return _PICKLED + pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)


def _decode_outcome(data: bytes) -> tuple[str, object]:
    if data[:1] == _BYTES:
        # Written by our own query process, as the pickles were before (same trust).
        kind, rows, truncated, seconds, packed, body = marshal.loads(memoryview(data)[1:])  # noqa: S302
        return "ok", Answer(kind, rows, truncated, body=body, seconds=seconds, gzipped=packed)
    return pickle.loads(memoryview(data)[1:])  # noqa: S301 - written by our own query process


class _QueryProcess:
    """One forked child answering jobs over a pipe, one at a time.

    Forked with ``os.fork`` rather than ``multiprocessing.Process``: its exit sentinel is a
    pipe that every later sibling inherits, so ``join`` after a kill would wait for them all.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        graph_names: frozenset[str],
        kind: str,
        routes: Routes | None = None,
    ) -> None:
        """``routes``: a federating process's private network (its forwarder is forked
        first, outside it); None for a sealed one, or where query processes must reach a
        remote store."""
        self.conn, child_end = multiprocessing.Pipe()
        self.kind = kind
        parent = os.getpid()
        fence, self.forwarder = None, None
        if routes is not None:
            fence, theirs = socket.socketpair()
            self.forwarder = _fork_forwarder(theirs, routes, settings, parent)
        pid = os.fork()
        if pid == 0:  # the query process
            code = 0
            try:
                # Every socket and pipe of the worker goes: its clients' connections, the
                # listening socket, the pipes of sibling query processes (so that each sibling
                # sees EOF when the worker exits) and any pipe its host gave it. Only this
                # process's own pipe (and its forwarder's control socket) and the standard
                # streams stay.
                keep = [child_end.fileno()] + ([fence.fileno()] if fence else [])
                close_inherited_channels(*keep)
                # Before any thread starts: unshare(CLONE_NEWUSER) refuses a threaded process.
                unfenced = _enter_private_network(fence, routes) if fence else None
                _die_with(parent)
                _serve(child_end, engine, settings, graph_names, kind=kind, unfenced=unfenced)
            except BaseException:  # never return into the web server's code
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        if fence is not None:
            fence.close()
        # One poll object for the life of the pipe: Connection.poll builds a selector per call.
        self._poller = select.poll()
        self._poller.register(self.conn.fileno(), select.POLLIN)
        self.pid = pid
        self.demoted = False
        self.started = 0.0

    def submit(self, job: _Job) -> None:
        """Hand ``job`` to the process: one write on the pipe."""
        _send_message(self.conn.fileno(), _encode_job(job))

    def ready(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the reply (or the end of the pipe, if the process died)."""
        return bool(self._poller.poll(max(0, math.ceil(seconds * 1000))))

    def reply(self) -> tuple[str, object]:
        """The reply, once :meth:`ready`: one read on the pipe (EOFError if the process died)."""
        return _decode_outcome(_recv_message(self.conn.fileno()))

    def is_alive(self) -> bool:
        """Whether the process (and its forwarder, if it has one) still runs."""
        for pid in (self.pid, self.forwarder):
            if pid is None:
                continue
            try:
                if os.waitpid(pid, os.WNOHANG) != (0, 0):
                    return False
            except ChildProcessError:
                return False
        return True

    def cpu_seconds(self) -> float:
        """CPU seconds the process has used since it started, all its threads together: fields
        14 and 15 of ``/proc/<pid>/stat`` (utime and stime, in clock ticks; ``man 5 proc``),
        read after the command name, which may hold spaces and parentheses. Infinite where
        they cannot be read (the process is gone, or not Linux): it is then treated as past
        its grace."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:  # noqa: PTH123
                fields = stat.read().rpartition(b")")[2].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, ValueError, IndexError):
            return math.inf

    def demote(self) -> None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, DEMOTED_NICE)
            self.demoted = True

    def signal_kill(self) -> None:
        for pid in (self.pid, self.forwarder):
            if pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def reap(self) -> None:
        """Wait for the killed process (and its forwarder) to be gone."""
        for pid in (self.pid, self.forwarder):
            if pid is not None:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    def kill(self) -> None:
        """SIGKILL and reap at once: a killed process dies without running any code."""
        self.signal_kill()
        self.reap()
        self.conn.close()


class QueryPool:
    """The query processes of one web worker and the gate in front of them."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._size = max(1, settings.query_processes)
        self._slots = slots_for(self._size)  # the server's, shared by every worker
        self._lock = threading.Lock()
        self._idle: dict[str, list[_QueryProcess]] = {SEALED: [], FEDERATING: []}
        self._running: set[_QueryProcess] = set()
        self._owner = os.getpid()
        # Counted once, before forking, so every child inherits the answer and the parser.
        self._graph_names = frozenset(engine.graph_counts())
        #: The private network of federating processes (none where they must reach a remote
        #: store, which evaluates queries itself).
        self._routes = (
            routes_for(settings.service_allowlist)
            if settings.service_allowlist and not _is_remote(engine)
            else None
        )
        #: Queries answered by a query process (every query is: for tests and logs).
        self.process_runs = 0
        warm_up()
        _forbid_rdflib_loading()
        self.start(min(self._size, PRESTARTED))

    @property
    def graph_names(self) -> frozenset[str]:
        return self._graph_names

    def start(self, count: int | None = None) -> None:
        """Start sealed query processes ahead of time, up to ``count`` (default: one per slot,
        as this worker may hold every slot of the server), so that no query waits for a fork.
        More are forked on demand, and stay for reuse."""
        wanted = self._size if count is None else count
        with self._lock:
            missing = wanted - len(self._idle[SEALED]) - len(self._running)
        for _ in range(missing):
            child = self._fork(SEALED)
            with self._lock:
                self._idle[SEALED].append(child)

    def processes(self) -> list[int]:
        """The pids of this worker's query processes (for tests and operators)."""
        with self._lock:
            idle = [child.pid for kind in self._idle.values() for child in kind]
            return idle + [child.pid for child in self._running]

    def _fork(self, kind: str) -> _QueryProcess:
        routes = self._routes if kind == FEDERATING else None
        return _QueryProcess(self._engine, self._settings, self._graph_names, kind, routes)

    def _take(self, kind: str) -> _QueryProcess:
        with self._lock:
            if self._owner != os.getpid():  # forked (gunicorn --preload): the pipes are not ours
                self._idle, self._owner = {SEALED: [], FEDERATING: []}, os.getpid()
            idle = self._idle[kind]
            while idle:
                child = idle.pop()
                if child.is_alive():
                    return child
                child.kill()
        return self._fork(kind)

    def _give_back(self, child: _QueryProcess) -> _QueryProcess | None:
        """Keep ``child`` for the next query; or, demoted (only root could raise its priority
        again), kill it and return it for :meth:`_succeed`."""
        if child.demoted:
            child.kill()
            return child
        with self._lock:
            self._idle[child.kind].append(child)
        return None

    def _succeed(self, killed: _QueryProcess) -> None:
        """Start the successor of a killed sealed process, so the next query finds it ready.
        Called once the killed query's slot is given back: a query that shed it waits for that
        slot, and a fork can take long on a busy machine."""
        if killed.kind == SEALED:
            successor = self._fork(SEALED)
            with self._lock:
                self._idle[SEALED].append(successor)

    def query(
        self,
        text: str,
        *,
        via_url: bool = False,
        default_graphs: Iterable[str] | None = None,
        named_graphs: Iterable[str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
        media_type: str | None = None,
        shape: Shape | None = None,
        gzip: bool = False,
    ) -> Answer:
        """Check and run one query in a query process; raise :class:`QueryRejected` (4xx for
        the query, 503 for busy, time-out or a crashed process) or ``QuerySyntaxError``.

        ``media_type`` asks the query process to serialise the result, ``gzip`` to compress it
        too where that is worth it (:attr:`Answer.gzipped`); ``shape`` is what
        :func:`~kg.web.endpoint.limits.check_text` returned if the caller already ran it.
        """
        settings = self._settings
        arrived = time.monotonic()
        if shape is None:
            shape = check_text(text, settings, via_url=via_url)
        job = _Job(
            text,
            None if default_graphs is None else list(default_graphs),
            None if named_graphs is None else list(named_graphs),
            max_rows,
            base_iri,
            media_type,
            shape.needs_parse,
            gzip,
        )
        kind = SEALED
        timeout = settings.query_timeout
        if settings.service_allowlist and shape.mentions_service:
            kind = FEDERATING
            timeout = min(timeout, settings.service_timeout)
        slot = self._slots.try_take()
        if slot is None:
            slot = self._make_room(arrived + timeout - time.monotonic())
        if slot is None:
            raise QueryRejected(
                503,
                "Every query process is busy; please try again shortly.",
                {"Retry-After": "1"},
            )
        killed = None
        try:
            # The time spent waiting for room counts against the query's own time.
            left = timeout - (time.monotonic() - arrived)
            if left <= 0:
                raise QueryRejected(
                    503,
                    f"The query waited {timeout:g} s for a query process and was abandoned.",
                    {"Retry-After": "1"},
                )
            outcome, killed = self._run(self._take(kind), job, left, timeout, slot)
        finally:
            self._slots.give_back(slot)
        if killed is not None:
            self._succeed(killed)
        self.process_runs += 1
        return _unwrap(outcome)

    def _make_room(self, left: float) -> int | None:
        """Under overload, shed the server's query that has run longest past the grace period
        (in any worker). Hostile queries are exactly the ones that run long; shedding them
        first keeps ordinary queries answering while several attacks run at once. Returns the
        slot won, if any: waited for up to ``left``, the query's own time (its owner gives it
        back once it sees the process die, which a busy machine may delay)."""
        slot = self._slots.shed_oldest(DEMOTED_NICE)
        if slot is None:
            return None
        return self._slots.take_reserved(slot, left)

    def _run(
        self, child: _QueryProcess, job: _Job, left: float, timeout: float, slot: int
    ) -> tuple[tuple[str, object], _QueryProcess | None]:
        """The query's outcome, and its process if that was killed (for :meth:`_succeed`)."""
        retry = {"Retry-After": str(max(1, math.ceil(self._settings.query_timeout)))}
        deadline = time.monotonic() + left
        child.started = time.monotonic()
        with self._lock:
            self._running.add(child)
        try:
            return self._wait(child, job, timeout, deadline, retry, slot)
        finally:
            with self._lock:
                self._running.discard(child)

    def _wait(
        self,
        child: _QueryProcess,
        job: _Job,
        timeout: float,
        deadline: float,
        retry: dict,
        slot: int,
    ) -> tuple[tuple[str, object], _QueryProcess | None]:
        try:
            before = child.cpu_seconds()
            child.submit(job)
            if not self._within_grace(child, before, deadline):
                child.demote()
                self._slots.mark_demoted(slot, child.pid, child.started)
                if not child.ready(deadline - time.monotonic()):
                    child.kill()
                    return (
                        "rejected",
                        QueryRejected(
                            503,
                            f"The query ran longer than {timeout:g} s and was stopped.",
                            retry,
                        ),
                    ), child
            outcome = child.reply()
        except (EOFError, OSError):
            child.kill()
            if self._slots.was_shed(slot):
                reason = "The server is overloaded; this long query was stopped to let others run."
            else:
                reason = "The query stopped its process (too much memory?) and was abandoned."
            return ("rejected", QueryRejected(503, reason, retry)), child
        return outcome, self._give_back(child)

    def _within_grace(self, child: _QueryProcess, before: float, deadline: float) -> bool:
        """Wait for the reply while the query has used less than its grace of CPU time (since
        ``before``): True once it is ready, False once the grace is used up or the deadline
        has passed. Each wait lasts the grace not yet used, the least wall time in which the
        process can use it; the pipe's event ends it sooner."""
        grace = self._settings.query_grace
        used = 0.0
        while used < grace:
            left = deadline - time.monotonic()
            if child.ready(min(grace - used, left)):
                return True
            if left <= 0:
                return False
            used = child.cpu_seconds() - before
        return False

    def close(self) -> None:
        """Stop every query process, the running ones too (their queries get 503)."""
        with self._lock:
            children = [child for kind in self._idle.values() for child in kind]
            children += list(self._running)
            self._idle = {SEALED: [], FEDERATING: []}
        for child in children:
            child.signal_kill()
            child.reap()


def _is_remote(engine: Engine) -> bool:
    from kg.store.remote import RemoteEngine

    return isinstance(engine, RemoteEngine)


def _default_signals() -> None:
    """The web server's signal handlers were inherited with the fork; they must not run in a
    query process or a forwarder."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _fork_forwarder(theirs: socket.socket, routes: Routes, settings: Settings, parent: int) -> int:
    """Fork the forwarder of a federating process (:mod:`kg.web.endpoint.isolation.forwarder`), in
    the worker's network; it gets ``theirs``, its end of the control socket, and nothing else of
    the worker's. Return its pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            close_inherited_channels(theirs.fileno())
            _default_signals()
            _die_with(parent)
            forwarder.serve(theirs, routes, settings.service_timeout)
        except BaseException:  # never return into the web server's code
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    return pid


def _enter_private_network(fence: socket.socket, routes: Routes) -> str | None:
    """Move this federating process into its private network and hand the listeners to its
    forwarder over ``fence``; why that failed, or None. ``fence`` stays open either way: the
    forwarder (idle, on failure) ends when this process does, so that a living process always
    has a living forwarder and the worker reuses it (with the operator's opt-out)."""
    try:
        private_network.hand_over(fence, private_network.enter(routes))
    except (private_network.NamespaceUnavailable, OSError) as err:
        return str(err) or type(err).__name__
    return None


def _die_with(parent: int) -> None:
    """Exit when the web worker that forked this process is gone: a query that never reads its
    pipe again (an endless product) would otherwise run on, orphaned. A thread watches, since
    Oxigraph releases the GIL while it evaluates (the kernel's parent-death signal would fire
    when the forking *thread* ends, and request threads may end before the worker does)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="kg-parent-watch", daemon=True).start()


def _unwrap(outcome: tuple[str, object]) -> Answer:
    """The answer of an ``ok`` outcome; raise a ``syntax`` or ``rejected`` one. Each tag is
    named: an outcome of another tag is a defect of the pipe's protocol, not a refusal."""
    kind, payload = outcome
    if kind == "ok":
        return payload  # type: ignore[return-value]
    if kind == "syntax":
        raise QuerySyntaxError(payload)
    if kind == "rejected":
        raise payload  # type: ignore[misc]
    raise TypeError(f"a query process sent an outcome tagged {kind!r}")


def _serve(
    conn: Connection,
    engine: Engine,
    settings: Settings,
    graph_names: frozenset[str],
    *,
    kind: str,
    unfenced: str | None = None,
) -> None:
    """The loop of a query process: one job in, one outcome out, until the pipe closes.
    ``unfenced``: why a federating process could not enter its private network."""
    _default_signals()
    _cap_memory(settings.query_memory_mb)
    _forbid_rdflib_loading()
    refusal = _seal(engine, settings, kind, unfenced)
    while True:
        try:
            job = _decode_job(_recv_message(conn.fileno()))
        except (EOFError, OSError):
            return  # the web worker is gone
        outcome = ("rejected", refusal) if refusal else _answer(job, engine, settings, graph_names)
        _send_message(conn.fileno(), _encode_outcome(outcome))


def _seal(
    engine: Engine, settings: Settings, kind: str, unfenced: str | None = None
) -> QueryRejected | None:
    """Install the network rule of :mod:`kg.web.endpoint.isolation.sandbox` for this ``kind`` of
    process (none at all for a sealed one; the allow-listed ports only for a federating one, which
    is in its private network already); what to answer every query with if it cannot be
    installed, or a federating process has no private network (``unfenced`` says why), and the
    operator did not allow that."""
    if _is_remote(engine):
        return None  # evaluation happens in the remote store, which this process must reach
    if kind == FEDERATING and unfenced is not None:
        if not settings.allow_service_without_namespace:
            log.error("federating query process has no private network: %s", unfenced)
            return QueryRejected(
                503,
                "Queries that call an allow-listed SERVICE are not evaluated on this server: "
                "the kernel gives their process no network of its own (see SECURITY.md, "
                "KG_ALLOW_SERVICE_WITHOUT_NAMESPACE).",
                {"Retry-After": "60"},
            )
        log.warning("federating query process without its private network (%s)", unfenced)
    try:
        if kind == SEALED:
            forbid_network()
        else:
            limit_network(endpoint_ports(settings.service_allowlist))
    except SandboxUnavailable as err:
        if settings.allow_unsandboxed:
            log.warning("query process runs without its network rule (%s)", err)
            return None
        log.error("query process cannot install its network rule: %s", err)
        return QueryRejected(
            503,
            "The query sandbox is not available on this server; queries are not evaluated "
            "(see SECURITY.md, KG_ALLOW_UNSANDBOXED).",
            {"Retry-After": "60"},
        )
    return None


def _answer(
    job: _Job,
    engine: Engine,
    settings: Settings,
    graph_names: frozenset[str],
) -> tuple[str, object]:
    started = time.perf_counter()
    try:
        if job.needs_parse:
            check_reach(
                job.text,
                settings,
                graph_names,
                default_graphs=job.default_graphs or (),
                named_graphs=job.named_graphs or (),
            )
        else:  # the worker's tokens proved there is nothing for the parser to judge
            check_graphs(graph_names, job.default_graphs or (), job.named_graphs or ())
        result = query_as(
            engine,
            job.text,
            job.media_type,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            max_rows=job.max_rows,
            base_iri=job.base_iri,
        )
        answer = _package(result, job.media_type)
        packed = gzipped(answer.body) if job.gzip and answer.body is not None else None
        if packed is not None:
            answer = dataclasses.replace(answer, body=packed, gzipped=True)
        return "ok", dataclasses.replace(answer, seconds=time.perf_counter() - started)
    except QueryRejected as err:
        return "rejected", err
    except QuerySyntaxError as err:
        return "syntax", str(err)
    except MemoryError:
        return "rejected", QueryRejected(
            503, "The query needed more memory than a query may use.", {"Retry-After": "10"}
        )
    except RecursionError:
        return "rejected", QueryRejected(400, "The query nests too deeply to be evaluated.")
    except Exception as err:  # any engine failure is the query's, not a crash
        log.warning("query failed: %s: %s", type(err).__name__, err)
        return "rejected", QueryRejected(
            400, f"The query could not be evaluated ({type(err).__name__})."
        )


def _package(result: Serialised | QueryResult, media_type: str | None) -> Answer:
    if isinstance(result, Serialised):
        return Answer(result.kind, result.rows, result.truncated, body=result.body)
    kind = result_kind(result)
    if isinstance(result, Bindings):
        rows = len(result.rows)
    elif isinstance(result, Triples):
        rows = len(result.triples)
    else:
        rows = 1
    truncated = bool(getattr(result, "truncated", False))
    if media_type and any(f.media_type == media_type for f in formats_for(kind)):
        body = serialise(result, media_type).encode("utf-8")
        return Answer(kind, rows, truncated, body=body)
    return Answer(kind, rows, truncated, result=result)  # the guessed form was wrong


def _cap_memory(megabytes: int) -> None:
    """Cap the address space at what the process already maps plus ``megabytes``."""
    if megabytes <= 0:
        return
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
            mapped = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = mapped * 1024 + megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    except (OSError, ValueError, StopIteration):  # not Linux: the timeout still applies
        log.info("no address-space cap for query processes on this system")


def _forbid_rdflib_loading() -> None:
    """rdflib would fetch every FROM IRI (files included); make FROM only select graphs."""
    try:
        import rdflib.plugins.sparql as rdflib_sparql
    except ImportError:  # pragma: no cover - rdflib is a dependency
        return
    rdflib_sparql.SPARQL_LOAD_GRAPHS = False


def pool_for(app: object) -> QueryPool:
    """The query pool of this web worker: the protocol core's (created on first use, after
    gunicorn forked the worker)."""
    return app.extensions["kg_endpoint"].pool  # type: ignore[attr-defined]
