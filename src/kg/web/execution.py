"""Run queries in child processes that can be killed, behind a gate that never queues.

A Python thread cannot be stopped, and neither engine can be interrupted from outside, so a
catastrophic regex or a cartesian product would hold a web worker for good. Each web worker
therefore owns a few query processes, forked from it after the store is loaded (so they share
its memory, copy-on-write, and start in milliseconds):

- a query that runs past its time is killed with SIGKILL and its process replaced: 503 with
  ``Retry-After``;
- a query still running after a short grace period is moved to the lowest CPU priority, so
  that ordinary queries arriving meanwhile get the cores first;
- each query process has an address-space cap, so a huge sort or cartesian product dies
  alone (and is replaced) instead of dragging the machine into swap;
- at most ``KG_QUERY_PROCESSES`` queries run in query processes at once in the whole server,
  all workers together (:mod:`kg.web.slots`); when every slot is taken, the worker's query
  that has run longest past the grace period is shed (503) to make room; if none has, a new
  query gets 503 with ``Retry-After`` at once instead of waiting in a queue of unknown length.

The checks of :mod:`kg.web.limits` that need the parser run inside the query process too, so
a parse that explodes is stopped by the same timeout. The query process also serialises the
answer in the format the client asked for, so that only bytes cross the pipe: pickling a
result term by term and serialising it again in the web worker cost more than the query.

A query that has proven cheap in a query process (:mod:`kg.web.proven`) runs in the worker's
own thread the next times, when the engine is safe to share between threads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from kg.lexer import Shape, text_key
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
from kg.web.limits import QueryRejected, check_reach, check_text, warm_up
from kg.web.proven import ProvenCheap
from kg.web.results import formats_for, result_kind, serialise
from kg.web.slots import slots_for

log = logging.getLogger(__name__)

#: Seconds a query runs at normal priority before it yields the CPU to newer queries.
GRACE_SECONDS = 0.25
#: ``nice`` value for queries past the grace period (19 is the lowest priority).
DEMOTED_NICE = 19
#: Seconds a new query waits for the slot of a query shed to make room for it.
PREEMPT_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class _Job:
    text: str
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    max_rows: int | None
    base_iri: str | None
    media_type: str | None


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
        siblings: Iterable[_QueryProcess] = (),
    ) -> None:
        self.conn, child_end = multiprocessing.Pipe()
        inherited = [s.conn for s in siblings]
        pid = os.fork()
        if pid == 0:  # the query process
            code = 0
            try:
                self.conn.close()
                for conn in inherited:  # so that each sibling sees EOF when the worker exits
                    with contextlib.suppress(OSError):
                        conn.close()
                _serve(child_end, engine, settings, graph_names)
            except BaseException:  # never return into the web server's code
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        self.pid = pid
        self.demoted = False
        self.started = 0.0

    def is_alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def demote(self) -> None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.pid, DEMOTED_NICE)
            self.demoted = True

    def restore(self) -> bool:
        """Back to normal priority; False where lowering ``nice`` is not allowed (non-root)."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, 0)
        except OSError:
            return False
        self.demoted = False
        return True

    def signal_kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL and reap at once: a killed process dies without running any code."""
        self.signal_kill()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.conn.close()


class QueryPool:
    """The query processes of one web worker and the gate in front of them."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._size = max(1, settings.query_processes)
        self._slots = slots_for(self._size)  # the server's, shared by every worker
        self._lock = threading.Lock()
        self._idle: list[_QueryProcess] = []
        self._running: set[_QueryProcess] = set()
        self._owner = os.getpid()
        # Counted once, before forking, so every child inherits the answer and the parser.
        self._graph_names = frozenset(engine.graph_counts())
        self._proven: ProvenCheap | None = None
        if settings.inline_ms > 0 and getattr(engine, "thread_safe", False):
            self._proven = ProvenCheap(settings.inline_ms / 1000)
        #: Queries run in a query process, and in the worker's thread (for tests and logs).
        self.process_runs = 0
        self.inline_runs = 0
        warm_up()
        _forbid_rdflib_loading()

    @property
    def graph_names(self) -> frozenset[str]:
        return self._graph_names

    def _take(self) -> _QueryProcess:
        with self._lock:
            if self._owner != os.getpid():  # forked (gunicorn --preload): the pipes are not ours
                self._idle, self._owner = [], os.getpid()
            while self._idle:
                child = self._idle.pop()
                if child.is_alive():
                    return child
                child.kill()
            siblings = [*self._idle, *self._running]
        return _QueryProcess(self._engine, self._settings, self._graph_names, siblings)

    def _give_back(self, child: _QueryProcess) -> None:
        if child.demoted and not child.restore():
            child.kill()  # a fresh process is cheaper than a slow one
            return
        with self._lock:
            self._idle.append(child)

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
    ) -> Answer:
        """Check and run one query in a query process; raise :class:`QueryRejected` (4xx for
        the query, 503 for busy, time-out or a crashed process) or ``QuerySyntaxError``.

        ``media_type`` asks the query process to serialise the result; ``shape`` is what
        :func:`~kg.web.limits.check_text` returned if the caller already ran it.
        """
        settings = self._settings
        if shape is None:
            shape = check_text(text, settings, via_url=via_url)
        job = _Job(
            text,
            None if default_graphs is None else list(default_graphs),
            None if named_graphs is None else list(named_graphs),
            max_rows,
            base_iri,
            media_type,
        )
        proven = None if shape.mentions_service else self._proven
        key = (
            text_key(text),  # a hash for a long text: POSTed queries may be a megabyte
            None if job.default_graphs is None else tuple(job.default_graphs),
            None if job.named_graphs is None else tuple(job.named_graphs),
            max_rows,
            base_iri,
            media_type,
        )
        rows = None if proven is None else proven.rows(key)
        if rows is not None:
            return self._inline(job, key, proven, rows)  # type: ignore[arg-type]
        timeout = settings.query_timeout
        if settings.service_allowlist and shape.mentions_service:
            timeout = min(timeout, settings.service_timeout)
        arrived = time.monotonic()
        slot = self._slots.try_take()
        if slot is None:
            slot = self._make_room()
        if slot is None:
            raise QueryRejected(
                503,
                "Every query process is busy; please try again shortly.",
                {"Retry-After": "1"},
            )
        try:
            child = self._take()
            # The time spent waiting for room counts against the query's own time.
            left = max(0.1, timeout - (time.monotonic() - arrived))
            outcome = self._run(child, job, left, slot)
        finally:
            self._slots.give_back(slot)
        self.process_runs += 1
        answer = _unwrap(outcome)
        if proven is not None and not answer.truncated:
            proven.record(key, answer.seconds, len(answer.body or b""), answer.rows)
        return answer

    def _inline(self, job: _Job, key: tuple, proven: ProvenCheap, rows: int) -> Answer:
        """Run a proven-cheap job in this thread. ``check_reach`` passed for this very job when
        it was proven, and its row count is known: the data have not changed since."""
        started = time.perf_counter()
        outcome = _answer(job, self._engine, self._settings, self._graph_names, proven=True)
        seconds = time.perf_counter() - started
        if proven.check(key, seconds):
            log.warning("a query proven cheap took %.3f s in the worker; forgotten", seconds)
        self.inline_runs += 1
        answer = _unwrap(outcome)
        return dataclasses.replace(answer, rows=rows) if answer.rows < 0 else answer

    def _make_room(self) -> int | None:
        """Under overload, shed the server's query that has run longest past the grace period
        (in any worker). Hostile queries are exactly the ones that run long; shedding them
        first keeps ordinary queries answering while several attacks run at once. Returns the
        slot won, if any."""
        slot = self._slots.shed_oldest(DEMOTED_NICE)
        if slot is None:
            return None
        return self._slots.take_reserved(slot, PREEMPT_WAIT_SECONDS)

    def _run(
        self, child: _QueryProcess, job: _Job, timeout: float, slot: int
    ) -> tuple[str, object]:
        retry = {"Retry-After": str(max(1, math.ceil(self._settings.query_timeout)))}
        deadline = time.monotonic() + timeout
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
    ) -> tuple[str, object]:
        try:
            child.conn.send(job)
            if not child.conn.poll(min(GRACE_SECONDS, timeout)):
                child.demote()
                self._slots.mark_demoted(slot, child.pid, child.started)
                if not child.conn.poll(max(0.0, deadline - time.monotonic())):
                    child.kill()
                    return "rejected", QueryRejected(
                        503,
                        f"The query ran longer than {timeout:g} s and was stopped.",
                        retry,
                    )
            outcome = child.conn.recv()
        except (EOFError, OSError):
            child.kill()
            if self._slots.was_shed(slot):
                reason = "The server is overloaded; this long query was stopped to let others run."
            else:
                reason = "The query stopped its process (too much memory?) and was abandoned."
            return "rejected", QueryRejected(503, reason, retry)
        self._give_back(child)
        return outcome

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()


def _unwrap(outcome: tuple[str, object]) -> Answer:
    kind, payload = outcome
    if kind == "ok":
        return payload  # type: ignore[return-value]
    if kind == "syntax":
        raise QuerySyntaxError(payload)
    raise payload  # type: ignore[misc]


def _serve(
    conn: Connection, engine: Engine, settings: Settings, graph_names: frozenset[str]
) -> None:
    """The loop of a query process: one job in, one outcome out, until the pipe closes."""
    # The web server's signal handlers were inherited with the fork; they must not run here.
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _cap_memory(settings.query_memory_mb)
    _forbid_rdflib_loading()
    while True:
        try:
            job: _Job = conn.recv()
        except (EOFError, OSError):
            return  # the web worker is gone
        conn.send(_answer(job, engine, settings, graph_names))


def _answer(
    job: _Job,
    engine: Engine,
    settings: Settings,
    graph_names: frozenset[str],
    *,
    proven: bool = False,
) -> tuple[str, object]:
    started = time.perf_counter()
    try:
        if not proven:  # the web worker ran check_text before sending the job
            check_reach(
                job.text,
                settings,
                graph_names,
                default_graphs=job.default_graphs or (),
                named_graphs=job.named_graphs or (),
            )
        result = query_as(
            engine,
            job.text,
            job.media_type,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            max_rows=job.max_rows,
            base_iri=job.base_iri,
            count_rows=not proven,
        )
        answer = _package(result, job.media_type)
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
