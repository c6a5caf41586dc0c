"""The server's busy limit (kg.web.endpoint.slots) on its own: slot files, no server, no pool.

Issue 22, item 3: these are the fast tests mutation testing runs against ``kg.web.endpoint.slots``,
so a mutant costs a second rather than a pool's start-up. Each test states what a worker, a client
or an operator would see go wrong: two queries in one slot, a slot that stays taken, a
reservation that goes to the wrong request, a query process stopped that was not demoted.
Processes stand in for workers (``os.fork``) and ``sleep`` for query processes.

Every wait for another process or thread is bounded (:data:`BOUND`) and fails the test when
the bound is reached: what is waited for takes milliseconds, so a wait that long means a slot
never given back or a mark never written, and a mutant that breaks the code so fails in
seconds rather than hanging until mutmut's own time limit.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kg.web.endpoint import slots as slots_module
from kg.web.endpoint.slots import RESERVED_SECONDS, ServerSlots, share_across_workers, slots_for
from tests.processes import exit_code_within

DEMOTED = 19
#: Seconds any wait here lasts at most: what it waits for (a forked worker taking or giving
#: back a slot, a mark written, a thread returning) needs milliseconds, so this is thousands of
#: times that, even at nice 19 on a loaded machine. Reaching it fails the test.
BOUND = 30.0

#: pytest-timeout's backstop, should a wait inside the code itself never end (a lock, a loop).
pytestmark = pytest.mark.timeout(4 * BOUND)


def fork(body: Callable[[], object]) -> int:
    """Run ``body()`` in a forked process (another worker); return its pid. It exits 0 when
    ``body`` returned something true, 1 for false, 2 when it raised, and never returns into the
    tests' code. It leaves without giving back what it holds, as a killed worker would. Should
    it hang (a failed test left it waiting), it ends itself after a few bounds."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 2
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(int(4 * BOUND))
            code = 0 if body() else 1
        finally:
            os._exit(code)
    return pid


def exit_code(pid: int, what: str) -> int:
    """The exit code of forked process ``pid``, waiting at most :data:`BOUND` seconds."""
    return exit_code_within(pid, BOUND, what)


def in_child(body: Callable[[], object]) -> int:
    """Run ``body()`` in another worker and return its exit code (0: it returned True)."""
    return exit_code(fork(body), "in_child")


def wait_readable(fd: int, what: str) -> None:
    """Wait for a byte from another worker on pipe ``fd``."""
    if not select.select([fd], [], [], BOUND)[0]:
        pytest.fail(f"waited {BOUND:g} s for {what}")


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {BOUND:g} s for {what}")
        time.sleep(0.01)


def join(thread: threading.Thread, what: str) -> None:
    thread.join(BOUND)
    if thread.is_alive():
        pytest.fail(f"waited {BOUND:g} s for {what}")


def run_python(
    script: str, *arguments: str, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (with ``arguments``, after the ``prefix`` command) in a new Python that
    imports the same ``kg`` as this test does (the checkout under test, or mutmut's copy of
    it), and return what it printed."""
    import kg

    source = str(Path(kg.__file__).resolve().parents[1])  # the directory that holds kg/
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [*(prefix or []), sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        timeout=4 * BOUND,
        check=True,
        env=env,
    )


@pytest.fixture
def long_reservations(monkeypatch: pytest.MonkeyPatch) -> float:
    """Reservations that last an hour: a test that checks a reservation still holds must not
    depend on how quickly a busy machine gets from the shedding to the check."""
    monkeypatch.setattr(slots_module, "RESERVED_SECONDS", 3600.0)
    return 3600.0


@pytest.fixture
def sleeper():
    """Stands for a query process: a process that runs until killed."""
    started = []

    def start(nice: int = DEMOTED) -> subprocess.Popen:
        process = subprocess.Popen(["sleep", "300"])
        os.setpriority(os.PRIO_PROCESS, process.pid, nice)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


# --- Taking and giving back ------------------------------------------------------------------


def test_one_process_gets_each_slot_once_then_none(tmp_path: Path) -> None:
    slots = ServerSlots(tmp_path / "s", 3)
    taken = [slots.try_take() for _ in range(3)]
    assert sorted(taken) == [0, 1, 2]
    assert slots.try_take() is None
    assert slots.taken() == 3


def test_a_slot_given_back_can_be_taken_again(tmp_path: Path) -> None:
    slots = ServerSlots(tmp_path / "s", 2)
    first, second = slots.try_take(), slots.try_take()
    slots.give_back(first)
    assert slots.taken() == 1
    assert slots.try_take() == first
    slots.give_back(second)
    slots.give_back(first)
    assert slots.taken() == 0


def test_giving_back_a_slot_not_held_leaves_its_holder_alone(tmp_path: Path, sleeper) -> None:
    """A give-back for a slot this worker does not hold (a second give-back, say) must not
    wipe the holder's demotion mark: its runaway query could then never be shed."""
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()

    def hold_demoted() -> bool:  # another worker holds the slot for a demoted query
        holder = ServerSlots(tmp_path / "s", 1)
        slot = holder.try_take()
        holder.mark_demoted(slot, query.pid, time.monotonic())
        os.write(ready_w, b"x")
        os.read(done_r, 1)
        return True

    pid = fork(hold_demoted)
    try:
        wait_readable(ready_r, "the other worker to hold the slot")
        assert slots.try_take() is None  # this worker has looked at the slots: none is free
        slots.give_back(0)
        assert slots.taken() == 1
        assert slots.shed_oldest(DEMOTED) == 0
        assert query.wait(timeout=BOUND) == -9
    finally:
        os.write(done_w, b"x")
        exit_code(pid, "the other worker to leave")
        for fd in (ready_r, ready_w, done_r, done_w):
            os.close(fd)


def test_a_slot_reserved_for_another_request_is_passed_over_for_a_free_one(
    tmp_path: Path, long_reservations: float
) -> None:
    slots = ServerSlots(tmp_path / "s", 2)
    (slots.directory / "slot-0").write_text(f"1 1.0\nshed 1-2 {time.monotonic():.6f}\n")
    assert slots.try_take() == 1
    assert slots.try_take() is None


def test_a_size_below_one_still_gives_one_slot(tmp_path: Path) -> None:
    for size in (0, -3):
        slots = ServerSlots(tmp_path / f"s{size}", size)
        assert slots.size == 1
        assert slots.try_take() == 0 and slots.try_take() is None


def test_slot_files_are_private_to_the_server_user(tmp_path: Path) -> None:
    """Another local user who could lock or write the slot files could stall the server or get
    its queries shed."""
    old = os.umask(0)
    try:
        slots = ServerSlots(tmp_path / "deep" / "s", 2)
    finally:
        os.umask(old)
    assert stat.S_IMODE(slots.directory.stat().st_mode) == 0o700
    files = sorted(p.name for p in slots.directory.iterdir())
    assert files == ["slot-0", "slot-1"]
    for path in slots.directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_two_openings_of_one_directory_share_one_limit(tmp_path: Path) -> None:
    """Each gunicorn worker opens the master's directory: one limit, not one per opening."""
    first = ServerSlots(tmp_path / "s", 2)
    second = ServerSlots(tmp_path / "s", 2)
    assert first.try_take() is not None
    assert in_child(lambda: second.try_take() is not None and second.try_take() is None) == 0
    assert second.taken() == 1


def test_a_forked_worker_cannot_take_the_slot_its_parent_holds(tmp_path: Path) -> None:
    """A worker forked after its parent opened the slots must lock on its own descriptors:
    a shared descriptor would hand it the very slot the parent holds."""
    slots = ServerSlots(tmp_path / "s", 2)
    held = slots.try_take()
    assert in_child(lambda: slots.try_take() not in (None, held) and slots.try_take() is None) == 0
    # and the slot the dead child took is free again: a descriptor shared with the parent
    # would keep its lock alive
    assert slots.taken() == 1


def test_a_slot_given_back_in_a_forked_child_stays_with_the_parent(tmp_path: Path) -> None:
    """A child cannot give back the slot its parent holds (it never took it)."""
    slots = ServerSlots(tmp_path / "s", 1)
    held = slots.try_take()

    def give_back_parents() -> bool:
        slots.give_back(held)
        return True

    assert in_child(give_back_parents) == 0
    assert slots.taken() == 1
    assert in_child(lambda: slots.try_take() is None) == 0


def test_private_slots_are_removed_when_the_process_exits(tmp_path: Path) -> None:
    script = (
        "from kg.web.endpoint.slots import ServerSlots\n"
        "slots = ServerSlots.private(2)\n"
        "print(slots.directory, slots.size, flush=True)\n"
    )
    done = run_python(script)
    directory, size = done.stdout.split()
    assert size == "2"
    assert Path(directory).name.startswith("kg-slots-")
    assert not Path(directory).exists()


def test_private_slots_register_their_removal_at_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the process runs at exit removes the directory, and raises nothing when a
    temporary-files cleaner removed it first (in this process: the test above sees the real
    exit, this one that what is registered is that removal)."""
    import atexit

    registered: list[tuple] = []
    monkeypatch.setattr(atexit, "register", lambda *call, **named: registered.append((call, named)))
    slots = ServerSlots.private(2)
    ((call, named),) = registered
    function, *arguments = call
    assert slots.directory.is_dir()
    function(*arguments, **named)
    assert not slots.directory.exists()
    function(*arguments, **named)  # gone already: no error


def test_a_server_that_is_the_first_process_of_its_namespace_takes_slots(tmp_path: Path) -> None:
    """A server in a container may run as pid 1: it must still take its slots (pid 1 is no
    marker of "no process yet" for the descriptors)."""
    if subprocess.run(["unshare", "-Urpf", "true"], capture_output=True).returncode != 0:
        pytest.skip("no user and pid namespaces here (unshare -Urpf)")
    ServerSlots(tmp_path / "s", 2)  # the directory, made as gunicorn's master would
    script = (
        "import os, sys\n"
        "from kg.web.endpoint.slots import ServerSlots\n"
        "slots = ServerSlots(sys.argv[1], 2)\n"
        "print(os.getpid(), slots.try_take(), slots.try_take(), slots.try_take())\n"
    )
    done = run_python(script, str(tmp_path / "s"), prefix=["unshare", "-Urpf"])
    assert done.stdout.split() == ["1", "0", "1", "None"]


def test_private_slots_are_named_for_the_operator() -> None:
    """An operator who finds a ``kg-slots-…`` directory in the temporary directory knows
    whose it is."""
    slots = ServerSlots.private(2)
    assert slots.directory.name.startswith("kg-slots-")
    assert slots.directory.parent == Path(tempfile.gettempdir())
    assert slots.size == 2 and slots.try_take() is not None


def test_private_slots_already_removed_make_no_noise_at_exit() -> None:
    """A temporary-files cleaner may remove the directory first: the process still exits
    quietly (no traceback in the server's log)."""
    script = (
        "import shutil\n"
        "from kg.web.endpoint.slots import ServerSlots\n"
        "slots = ServerSlots.private(1)\n"
        "shutil.rmtree(slots.directory)\n"
    )
    done = run_python(script)
    assert done.stderr == ""


def test_slots_for_gives_the_shared_slots_once_the_master_made_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slots_module, "_shared", None)
    private = slots_for(2)
    assert private.size == 2 and slots_for(2).directory != private.directory
    shared = share_across_workers(3)
    try:
        assert shared.size == 3
        assert slots_for(1) is shared and slots_for(5) is shared
        assert shared.directory.name.startswith("kg-slots-")
    finally:
        slots_module.release_shared()
    assert not shared.directory.exists()
    after = slots_for(2)  # after the release: private slots again, that work
    assert after is not shared and after.size == 2 and after.try_take() == 0
    slots_module.release_shared()  # twice: nothing left to remove, no error


def test_releasing_shared_slots_already_removed_raises_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The master's exit hook must not fail when the directory is already gone."""
    monkeypatch.setattr(slots_module, "_shared", None)
    shared = share_across_workers(1)
    shutil.rmtree(shared.directory)
    slots_module.release_shared()
    assert slots_for(1) is not shared


# --- Waiting for a reserved slot --------------------------------------------------------------


def test_take_reserved_waits_until_the_slot_is_free(tmp_path: Path) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    other = ServerSlots(tmp_path / "s", 1)  # another worker, as seen from this one
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()

    def hold_until_told() -> bool:  # the other worker holds the slot until told
        slot = other.try_take()
        os.write(ready_w, b"x")
        os.read(go_r, 1)
        other.give_back(slot)
        return True

    pid = fork(hold_until_told)
    try:
        wait_readable(ready_r, "the other worker to hold the slot")
        result: list[int | None] = []
        waiter = threading.Thread(
            target=lambda: result.append(slots.take_reserved(0, BOUND)), daemon=True
        )
        waiter.start()
        os.write(go_w, b"x")
        join(waiter, "take_reserved to return")
        assert result == [0]
        assert slots.try_take() is None  # now held here
    finally:
        exit_code(pid, "the other worker to leave")
        for fd in (ready_r, ready_w, go_r, go_w):
            os.close(fd)


def test_take_reserved_gives_up_at_its_timeout(tmp_path: Path) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    holder = ServerSlots(tmp_path / "s", 1)
    release_r, release_w = os.pipe()
    ready_r, ready_w = os.pipe()

    def hold_until_released() -> bool:
        holder.try_take()
        os.write(ready_w, b"x")
        os.read(release_r, 1)
        return True

    pid = fork(hold_until_released)
    try:
        wait_readable(ready_r, "the other worker to hold the slot")
        assert slots.take_reserved(0, timeout=0.05) is None
        assert slots.take_reserved(0, timeout=0) is None
    finally:
        os.write(release_w, b"x")
        exit_code(pid, "the other worker to leave")
        for fd in (release_r, release_w, ready_r, ready_w):
            os.close(fd)


def test_take_reserved_does_not_hand_out_a_slot_this_process_already_holds(
    tmp_path: Path,
) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    assert slots.try_take() == 0
    assert slots.take_reserved(0, timeout=0.05) is None


# --- Demotion, shedding and reservations ------------------------------------------------------


def test_the_longest_running_demoted_query_is_shed(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 3)
    newer, older, fresh = sleeper(), sleeper(), sleeper(nice=0)
    held = [slots.try_take() for _ in range(3)]
    now = time.monotonic()
    slots.mark_demoted(held[0], newer.pid, now - 1)
    slots.mark_demoted(held[1], older.pid, now - 5)
    slots.mark_demoted(held[2], fresh.pid, now - 50)  # oldest mark, but no longer demoted
    assert slots.shed_oldest(DEMOTED) == held[1]
    assert older.wait(timeout=BOUND) == -9
    assert newer.poll() is None and fresh.poll() is None
    assert slots.was_shed(held[1]) and not slots.was_shed(held[0])
    assert slots.shed_oldest(DEMOTED) == held[0]  # the next oldest, older is already shed
    assert newer.wait(timeout=BOUND) == -9
    assert slots.shed_oldest(DEMOTED) is None
    assert fresh.poll() is None


def test_a_demoted_query_is_found_past_slots_whose_queries_are_not(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 3)
    query = sleeper()
    *_, third = [slots.try_take() for _ in range(3)]  # two slots whose queries run on
    slots.mark_demoted(third, query.pid, time.monotonic())
    assert slots.shed_oldest(DEMOTED) == third
    assert query.wait(timeout=BOUND) == -9


def test_a_query_at_another_priority_is_never_shed(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper(nice=10)
    slot = slots.try_take()
    slots.mark_demoted(slot, query.pid, time.monotonic())
    assert slots.shed_oldest(DEMOTED) is None
    assert query.poll() is None
    assert not slots.was_shed(slot)


def test_nothing_is_shed_when_no_query_is_demoted(tmp_path: Path) -> None:
    slots = ServerSlots(tmp_path / "s", 2)
    slots.try_take()
    slots.try_take()
    assert slots.shed_oldest(DEMOTED) is None


def test_a_mark_whose_process_is_gone_is_passed_over(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 2)
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = sleeper()
    first, second = slots.try_take(), slots.try_take()
    slots.mark_demoted(first, gone.pid, time.monotonic() - 10)
    slots.mark_demoted(second, alive.pid, time.monotonic())
    assert slots.shed_oldest(DEMOTED) == second
    assert alive.wait(timeout=BOUND) == -9


def test_a_new_demotion_mark_replaces_the_old_one(tmp_path: Path, sleeper) -> None:
    """A slot's second query past its grace overwrites the first one's mark: the shedding
    worker must read one pid and time, not two."""
    slots = ServerSlots(tmp_path / "s", 1)
    first, second = sleeper(), sleeper()
    slot = slots.try_take()
    slots.mark_demoted(slot, first.pid, 10.0**9)  # a longer mark than the next one
    slots.mark_demoted(slot, second.pid, time.monotonic())
    assert slots.shed_oldest(DEMOTED) == slot
    assert second.wait(timeout=BOUND) == -9
    assert first.poll() is None


def test_a_slot_given_back_forgets_its_demoted_query(tmp_path: Path, sleeper) -> None:
    """Once a query is done, its old mark must not get the slot's next query shed."""
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()
    slot = slots.try_take()
    slots.mark_demoted(slot, query.pid, time.monotonic())
    slots.give_back(slot)
    assert slots.shed_oldest(DEMOTED) is None
    assert query.poll() is None


def test_a_slot_whose_mark_cannot_be_emptied_is_still_given_back(
    tmp_path: Path, sleeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O error while emptying a demoted query's mark must neither fail the request (a
    500 from the query's ``finally``) nor keep the slot locked for the life of the worker: the
    slot is unlocked, and the next taker clears the mark."""
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()
    slot = slots.try_take()
    slots.mark_demoted(slot, query.pid, time.monotonic())

    def fails(fd: int, length: int) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:
        patch.setattr(slots_module.os, "ftruncate", fails)
        slots.give_back(slot)
    assert slots.taken() == 0
    assert in_child(lambda: slots.try_take() == 0) == 0
    assert slots.shed_oldest(DEMOTED) is None  # the taker cleared the mark
    assert query.poll() is None


def test_a_slot_held_without_a_mark_is_given_back_without_touching_its_file(
    tmp_path: Path, sleeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ordinary query gives its slot back with one system call (the unlock): only a hold
    that wrote a mark reads and empties the file, even where the slot's previous hold did."""
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()
    slot = slots.try_take()
    slots.mark_demoted(slot, query.pid, time.monotonic())
    slots.give_back(slot)
    assert slots.try_take() == slot  # the next query in the same slot, never demoted
    touched: list[str] = []
    for name in ("pread", "ftruncate"):
        real = getattr(os, name)
        monkeypatch.setattr(
            slots_module.os,
            name,
            lambda *args, _name=name, _real=real: touched.append(_name) or _real(*args),
        )
    slots.give_back(slot)
    monkeypatch.undo()
    assert touched == []
    assert slots.taken() == 0


def test_a_mark_left_by_a_dead_worker_is_cleared_by_the_next_taker(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()

    def demote_and_die() -> bool:
        slot = slots.try_take()
        slots.mark_demoted(slot, query.pid, time.monotonic())
        return slot == 0

    assert in_child(demote_and_die) == 0
    assert slots.try_take() == 0
    assert slots.shed_oldest(DEMOTED) is None
    assert query.poll() is None


def test_a_shed_slot_is_reserved_for_the_thread_that_shed_it(
    tmp_path: Path, sleeper, long_reservations: float
) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()

    def demote_until_shed() -> bool:  # the other worker: gives back once its query is shed
        slot = slots.try_take()
        slots.mark_demoted(slot, query.pid, time.monotonic())
        deadline = time.monotonic() + BOUND
        while not slots.was_shed(slot):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        slots.give_back(slot)
        return slots.was_shed(slot)  # the reservation outlives the give-back

    pid = fork(demote_until_shed)
    try:
        wait_until(
            lambda: slots.taken() == 1 and (slots.directory / "slot-0").read_text() != "",
            "the other worker to hold the slot and mark it demoted",
        )
        assert slots.shed_oldest(DEMOTED) == 0
        code, pid = exit_code(pid, "the other worker to see its query shed"), 0
        assert code == 0
        assert slots.taken() == 0
        others: list[int | None] = []
        thread = threading.Thread(target=lambda: others.append(slots.try_take()), daemon=True)
        thread.start()
        join(thread, "try_take in another thread")
        assert others == [None]  # another request of this worker may not take it
        assert in_child(lambda: slots.try_take() is None) == 0  # nor one of another worker
        assert slots.take_reserved(0, timeout=BOUND) == 0  # the one who shed gets it
        assert not slots.was_shed(0)  # and the reservation is used up
    finally:
        if pid:
            exit_code(pid, "the other worker to leave")


def test_the_thread_that_shed_may_also_take_its_slot_with_try_take(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()
    slot = slots.try_take()
    slots.mark_demoted(slot, query.pid, time.monotonic())
    assert slots.shed_oldest(DEMOTED) == slot
    slots.give_back(slot)  # the reservation stays through the give-back
    assert slots.was_shed(slot)
    assert slots.try_take() == slot


def write_mark(slots: ServerSlots, text: str) -> None:
    (slots.directory / "slot-0").write_text(text, encoding="ascii")


def test_a_reservation_lapses_after_its_time(tmp_path: Path) -> None:
    """A request that shed a query and then went away must not keep the slot for ever."""
    slots = ServerSlots(tmp_path / "s", 1)
    stale = time.monotonic() - RESERVED_SECONDS - 1
    write_mark(slots, f"123 1.0\nshed 1-2 {stale:.6f}\n")
    assert slots.try_take() == 0
    assert not slots.was_shed(0)  # the stale mark is cleared with the take


def test_a_fresh_reservation_for_another_request_holds(
    tmp_path: Path, long_reservations: float
) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    write_mark(slots, f"123 1.0\nshed 1-2 {time.monotonic():.6f}\n")
    assert slots.try_take() is None
    assert slots.taken() == 0  # refused without keeping the lock


def test_a_reservation_lasts_its_full_time(tmp_path: Path, long_reservations: float) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    recent = time.monotonic() - long_reservations / 2
    write_mark(slots, f"123 1.0\nshed 1-2 {recent:.6f}\n")
    assert slots.try_take() is None


def test_a_torn_reservation_mark_reserves_nothing(tmp_path: Path) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    for torn in ("123 1.0\nshed", "123 1.0\nshed 1-2", "123 1.0\nshed 1-2 not-a-time"):
        write_mark(slots, torn)
        slot = slots.try_take()
        assert slot == 0, torn
        slots.give_back(slot)


def test_a_reservation_after_a_long_mark_is_still_seen(
    tmp_path: Path, long_reservations: float
) -> None:
    """The mark of the largest pid and start time, then the reservation, fit in what is read."""
    slots = ServerSlots(tmp_path / "s", 1)
    head = f"{2**22} {10**9:.6f}\n"
    write_mark(slots, f"{head}shed {2**22}-{2**47} {time.monotonic():.6f}\n")
    assert slots.try_take() is None


def test_was_shed_sees_the_mark_after_a_demotion_mark(tmp_path: Path, sleeper) -> None:
    slots = ServerSlots(tmp_path / "s", 1)
    query = sleeper()
    slot = slots.try_take()
    slots.mark_demoted(slot, query.pid, 10**9 + 0.123456)
    assert not slots.was_shed(slot)
    assert slots.shed_oldest(DEMOTED) == slot
    assert slots.was_shed(slot)


def test_a_garbled_reservation_never_fails_a_request(
    tmp_path: Path, long_reservations: float
) -> None:
    """A slot file with bytes that are not ASCII (a disk error, a stray write) must not make
    taking a slot raise: the request would fail with 500."""
    slots = ServerSlots(tmp_path / "s", 1)
    stamp = f"{time.monotonic():.6f}".encode("ascii")
    (slots.directory / "slot-0").write_bytes(b"1 1.0\nshed \xff\xfe-\x80 " + stamp + b"\n")
    assert slots.try_take() is None  # a fresh reservation, for someone else
    assert slots.taken() == 0
