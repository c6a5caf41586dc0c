"""One build step run in a process of its own, so that the build uses both cores.

The streaming build's lint and reasoner read only what is on disk (the input files; a backup
of the working store) and do not depend on validation, so they run beside it. A step started
here is a fresh interpreter (``spawn``: a fork would copy the parent's open Oxigraph stores and
their threads), its answer or its exception comes back through a pipe, and :meth:`stop` ends
it at once when the build fails elsewhere, so that a refused build does not wait for a
reasoner whose result nobody will read. Which step's error is reported first stays the
caller's choice (it asks for the results in a fixed order), so the output is deterministic.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

_SPAWN = multiprocessing.get_context("spawn")


def _name_process(name: str) -> None:
    """Name this process after its step (``/proc/self/comm``, 15 bytes at most), so that
    ``ps`` and ``bench/build.py`` can tell the lint process from the reasoner's."""
    # not Linux, or a name that does not fit: the step runs unnamed
    with contextlib.suppress(OSError, UnicodeError):
        Path("/proc/self/comm").write_text(name[:15], encoding="ascii")


def _run(connection: Connection, function: Callable[..., Any], args: tuple) -> None:
    _name_process(getattr(function, "__name__", "build step"))
    try:
        answer: tuple[str, object] = ("ok", function(*args))
    except BaseException as error:  # every failure goes back to the parent
        answer = ("error", error)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    try:
        connection.send((*answer, cpu))
    except Exception as unpicklable:  # an error whose arguments cannot pickle
        connection.send(("error", RuntimeError(f"{answer[1]!r} ({unpicklable})"), cpu))
    connection.close()


class Background:
    """``function(*args)`` in a spawned process; :meth:`result` waits for it and returns its
    value or raises its exception (the same type and message as in the child).
    :attr:`cpu_seconds` is then the CPU time the step used in its process."""

    def __init__(self, function: Callable[..., Any], *args: object) -> None:
        self._receive, send = _SPAWN.Pipe(duplex=False)
        self._process = _SPAWN.Process(target=_run, args=(send, function, args), daemon=True)
        self._process.start()
        send.close()  # the child holds the only sending end: its death ends the pipe
        self.cpu_seconds = 0.0

    def result(self) -> Any:
        try:
            status, value, self.cpu_seconds = self._receive.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(
                f"a build step in a process of its own ended without an answer "
                f"(exit code {self._process.exitcode})"
            ) from None
        finally:
            self._receive.close()
        self._process.join()  # reaped here, so its CPU time is counted from now on
        if status == "error":
            raise value  # type: ignore[misc]
        return value

    def stop(self) -> None:
        """End the step now (the build failed elsewhere); harmless once it has ended."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()
