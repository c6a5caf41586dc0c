"""What the kernel says about a server's processes (``/proc``), for tests that check its workers
and query processes without trusting what the server reports about itself."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    nice: int


def live_processes() -> list[Process]:
    """Every process that is neither a zombie nor dead, read from ``/proc/<pid>/stat``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # the command name in parentheses may hold spaces: read the fields after it
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if fields[0] not in ("Z", "X"):
            found.append(Process(int(entry.name), int(fields[1]), int(fields[16])))
    return found


#: ``PF_EXITING`` in ``/proc/<pid>/stat``'s flags: the process is inside ``exit()``.
_EXITING = 0x4
#: SIGKILL's bit in ``/proc/<pid>/status``'s pending-signal masks.
_SIGKILL = 1 << (9 - 1)


def is_being_killed(pid: int) -> bool:
    """Whether ``pid`` has a SIGKILL pending or is already exiting (or is gone): it runs no more
    of its own code, though on a loaded machine it can take a while to release its memory and
    become a zombie. True for a process that is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    if stat[0] in ("Z", "X") or int(stat[6]) & _EXITING:
        return True
    pending = 0
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            pending |= int(line.split()[1], 16)
    return bool(pending & _SIGKILL)


def children(pid: int) -> list[Process]:
    """The live child processes of ``pid`` (gunicorn's master: its workers)."""
    return [p for p in live_processes() if p.parent == pid]


def grandchildren(pid: int) -> list[Process]:
    """The live children of ``pid``'s live children (a worker's query processes)."""
    table = live_processes()
    middle = {p.pid for p in table if p.parent == pid}
    return [p for p in table if p.parent in middle]


def exit_code_within(pid: int, bound: float, what: str) -> int:
    """The exit code of child ``pid`` once it has exited, waiting at most ``bound`` seconds; a
    child still running then is killed and the test fails, so a hang fails fast."""
    deadline = time.monotonic() + bound
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"waited {bound:g} s for {what} to exit")
        time.sleep(0.01)
