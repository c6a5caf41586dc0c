"""In mutmut's stats run, credit what forked children ran to the test that forked them.

mutmut (``make mutation``) first runs every selected test once and records, per test, which
functions of the mutated modules it reached; each mutant then runs only the tests that reached
its function. It records the calls in the memory of the test's own process, so a function
that runs only in a child the test forked (a query process's loop,
:func:`kg.web.endpoint.execution._serve`, and everything it calls) would be reached by no
test, and all its mutants would count as survivors, though the tests catch them. Here, during
that one stats run only, each call a forked child records is also appended to a file, and the
test process adds those names to its own record before mutmut reads it at the test's teardown.

Nothing happens outside mutmut's stats run (``MUTANT_UNDER_TEST=stats``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


class _ForkAwareHits(set):
    """mutmut's set of reached functions; in a forked child, each name also goes to a file."""

    def __init__(self, names: set[str], path: Path, owner: int) -> None:
        super().__init__(names)
        self.path = path
        self.owner = owner

    def add(self, name: str) -> None:
        if os.getpid() != self.owner:
            # One short append per line: lines of several children never mix.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, name.encode() + b"\n")
            finally:
                os.close(fd)
        super().add(name)

    def take_children(self) -> None:
        """Add what children recorded since the last call."""
        try:
            names = self.path.read_text().split()
            self.path.write_text("")
        except OSError:
            return
        super().update(names)


def _hits() -> _ForkAwareHits | None:
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return None
    try:
        from mutmut.state import state
    except ImportError:  # an older mutmut: no stats of children
        return None
    current = state()._stats
    if not isinstance(current, _ForkAwareHits):
        path = Path(tempfile.mkstemp(prefix="kg-mutmut-children-")[1])
        current = state()._stats = _ForkAwareHits(set(current), path, os.getpid())
    return current


def pytest_sessionstart(session: pytest.Session) -> None:
    _hits()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """Before mutmut's own teardown hook reads the record of this test (a wrapper runs first)."""
    hits = _hits()
    if hits is not None:
        hits.take_children()
    yield


def pytest_sessionfinish(session: pytest.Session) -> None:
    hits = _hits()
    if hits is not None:
        hits.path.unlink(missing_ok=True)
