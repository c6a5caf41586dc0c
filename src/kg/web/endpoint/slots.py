"""The busy limit: at most ``KG_QUERY_PROCESSES`` queries in query processes, per server.

gunicorn runs several workers, each with its own query pool; a limit kept in each worker would
let workers × ``KG_QUERY_PROCESSES`` queries run at once. :class:`ServerSlots` is one limit
that every worker of a server shares: a directory of ``size`` slot files, made by gunicorn's
master before it forks the workers (:mod:`kg.web.endpoint.gunicorn_conf`). A query takes a slot by
locking one of the files with ``flock`` and gives it back by unlocking it.

File locks rather than a semaphore in shared memory: the kernel drops a lock when the process
holding it dies, so a worker that gunicorn kills mid-query never leaks its slots, whereas a
semaphore's count would stay taken for good. Each worker opens its own descriptor per slot after
the fork (``flock`` locks belong to an open file description, so descriptors inherited across
a fork would share one lock), and a thread lock keeps two threads off the same descriptor.

Shedding works across workers too: a query still running after its grace period writes its
query process's pid and start time into its slot file (:meth:`ServerSlots.mark_demoted`), so
that a worker with no room can stop the server's longest-running demoted query, whichever
worker runs it (:meth:`ServerSlots.shed_oldest`), and its owner can tell the client why.

Outside gunicorn (tests, ``kg serve --debug``) each query pool makes its own private slots.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

#: Seconds between two looks for a free slot while waiting for one.
POLL_SECONDS = 0.01
#: Seconds a slot freed by shedding stays reserved for the request that shed its query.
RESERVED_SECONDS = 2.0


def _token() -> str:
    """Who reserved a slot: this process and thread."""
    return f"{os.getpid()}-{threading.get_ident()}"


class ServerSlots:
    """``size`` slots shared by every process that opens ``directory``."""

    def __init__(self, directory: Path, size: int) -> None:
        self.directory = Path(directory)
        self.size = max(1, size)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for index in range(self.size):
            (self.directory / f"slot-{index}").touch(mode=0o600)
        self._lock = threading.Lock()
        self._owner = -1
        self._fds: list[int] = []
        self._held: set[int] = set()
        # Slots held now whose file this process wrote a mark into (mark_demoted): only these
        # can hold anything at give_back, so only these are read and emptied then.
        self._marked: set[int] = set()

    @classmethod
    def private(cls, size: int) -> ServerSlots:
        """Slots of this process alone, removed when the process exits."""
        import atexit

        directory = Path(tempfile.mkdtemp(prefix="kg-slots-"))
        slots = cls(directory, size)
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        return slots

    def _descriptors(self) -> list[int]:
        """This process's own descriptors (opened anew after a fork); call with the lock held."""
        if self._owner != os.getpid():
            self._fds = [
                os.open(self.directory / f"slot-{index}", os.O_RDWR | os.O_CLOEXEC)
                for index in range(self.size)
            ]
            self._held, self._marked, self._owner = set(), set(), os.getpid()
        return self._fds

    def try_take(self) -> int | None:
        """A free slot's number, or None at once when every slot of the server is taken."""
        with self._lock:
            fds = self._descriptors()
            for index, fd in enumerate(fds):
                if index in self._held:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                mark = os.pread(fd, 128, 0)
                if self._reserved_for_another(mark):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    continue
                self._held.add(index)
                if mark:  # left by a process that died holding the slot, or a stale reservation
                    os.ftruncate(fd, 0)
                return index
        return None

    @staticmethod
    def _reserved_for_another(mark: bytes) -> bool:
        """Whether the slot was just freed by shedding its query for another request."""
        words = mark.split()
        if b"shed" not in words:
            return False
        try:
            token, when = words[words.index(b"shed") + 1 :][:2]
            fresh = time.monotonic() - float(when) < RESERVED_SECONDS
        except ValueError:  # a torn mark: no reservation
            return False
        return fresh and token.decode("ascii", "replace") != _token()

    def take_reserved(self, slot: int, timeout: float) -> int | None:
        """The slot whose query :meth:`shed_oldest` stopped for this thread, once it is free."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                fd = self._descriptors()[slot]
                if slot not in self._held:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        pass
                    else:
                        self._held.add(slot)
                        os.ftruncate(fd, 0)  # the reservation, used
                        return slot
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_SECONDS)

    def give_back(self, slot: int) -> None:
        """Unlock ``slot``. Its file is empty unless this hold marked it (:meth:`mark_demoted`;
        only a marked slot is ever shed), so only then is it read and emptied: an ordinary
        query gives its slot back with one system call, not three."""
        with self._lock:
            if slot in self._held and self._owner == os.getpid():
                with contextlib.suppress(OSError):
                    try:
                        # a reservation stays for the one who shed
                        if slot in self._marked and not self.was_shed(slot):
                            os.ftruncate(self._fds[slot], 0)
                    finally:  # unlocked even if the mark stays (the next taker clears it)
                        fcntl.flock(self._fds[slot], fcntl.LOCK_UN)
                self._held.discard(slot)
                self._marked.discard(slot)

    def mark_demoted(self, slot: int, pid: int, started: float) -> None:
        """Say that ``slot``'s query (in process ``pid``, since ``started`` on the monotonic
        clock, which all processes share) is past its grace period: it may be shed."""
        fd = self._fds[slot]
        with self._lock:
            self._marked.add(slot)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{pid} {started:.6f}\n".encode("ascii"), 0)

    def was_shed(self, slot: int) -> bool:
        """Whether another query stopped ``slot``'s query to make room."""
        return b"shed" in os.pread(self._fds[slot], 64, 0)

    def shed_oldest(self, demoted_nice: int) -> int | None:
        """Stop the demoted query that has run longest, in any worker, and reserve its slot for
        this thread (:meth:`take_reserved`); None if there is none to stop.

        A process is only killed while it still runs at ``demoted_nice``: its owner restores
        the priority (or replaces the process) before the process takes another query, so a
        stale mark cannot stop a newer query (short of a race of microseconds).
        """
        marked = []
        for index in range(self.size):
            try:
                pid, started = (self.directory / f"slot-{index}").read_text("ascii").split()
                marked.append((float(started), int(pid), index))
            except (OSError, ValueError):  # empty (not demoted) or already shed
                continue
        for _, pid, index in sorted(marked):
            try:
                if os.getpriority(os.PRIO_PROCESS, pid) != demoted_nice:
                    continue
                with (self.directory / f"slot-{index}").open("a", encoding="ascii") as mark:
                    mark.write(f"shed {_token()} {time.monotonic():.6f}\n")
                os.kill(pid, signal.SIGKILL)
            except OSError:  # gone meanwhile
                continue
            return index
        return None

    def taken(self) -> int:
        """How many slots the whole server holds now (for tests and operators)."""
        busy = 0
        for index in range(self.size):
            fd = os.open(self.directory / f"slot-{index}", os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                busy += 1
            finally:
                os.close(fd)  # closing the only descriptor of a probe drops its lock
        return busy


#: The slots every worker of this server shares, set in gunicorn's master before it forks.
_shared: ServerSlots | None = None


def share_across_workers(size: int) -> ServerSlots:
    """Make the server's slots (call in gunicorn's master, before the workers are forked)."""
    global _shared
    _shared = ServerSlots(Path(tempfile.mkdtemp(prefix="kg-slots-")), size)
    return _shared


def release_shared() -> None:
    """Remove the shared slots' directory (gunicorn's master, at exit)."""
    global _shared
    if _shared is not None:
        shutil.rmtree(_shared.directory, ignore_errors=True)
        _shared = None


def slots_for(size: int) -> ServerSlots:
    """The server's shared slots if gunicorn's master made them, else private ones."""
    if _shared is not None:
        return _shared
    return ServerSlots.private(size)
