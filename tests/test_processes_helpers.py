"""The tests' own reading of ``/proc``: a process that was killed is not taken for one that runs."""

from __future__ import annotations

import os
import signal
import time

from tests.processes import is_being_killed, live_processes


def test_a_running_process_is_not_being_killed_and_a_killed_one_is() -> None:
    child = os.fork()
    if child == 0:
        while True:
            time.sleep(1)
    try:
        assert not is_being_killed(child)
        assert child in {p.pid for p in live_processes()}
        os.kill(child, signal.SIGKILL)
        os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)  # a zombie now, not yet reaped
        assert is_being_killed(child)
        assert child not in {p.pid for p in live_processes()}
    finally:
        os.kill(child, signal.SIGKILL)  # no-op on a zombie
        os.waitpid(child, 0)
    assert is_being_killed(child)  # gone


def test_a_stopped_process_is_not_taken_for_a_killed_one() -> None:
    """A query process that the scheduler keeps waiting still holds its query."""
    child = os.fork()
    if child == 0:
        while True:
            time.sleep(1)
    try:
        os.kill(child, signal.SIGSTOP)
        os.waitid(os.P_PID, child, os.WSTOPPED | os.WNOWAIT)
        assert not is_being_killed(child)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
