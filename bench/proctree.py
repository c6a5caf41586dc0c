"""Peak memory and CPU of each process of a build's tree, by its role, read from ``/proc``.

The streaming build runs in several processes at once (the build itself, ``kg lint`` and the
fast reasoner in processes of their own, GNU sort, multiprocessing's resource tracker), so the
whole tree's resident set says that memory grows but not where. A :class:`TreeSampler` walks
the tree at each :meth:`~TreeSampler.sample` and keeps, for each role, the highest resident set
(and the highest anonymous part of it: what is not file-backed pages such as a mapped store)
of any one process in that role, overall and since the last :meth:`~TreeSampler.close_phase`,
and the CPU time each process had used when last seen.

A role is read from the process: the tree's root is the build; a process started by
``kg.pipeline.background`` names itself after its step (``/proc/<pid>/comm``), others are named
by their command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")

#: Roles by the name a process gives itself (``/proc/<pid>/comm``).
ROLES = {
    "lint_on_disk": "lint process",
    "reason_over": "reasoner process",
    "sort": "GNU sort",
}


@dataclass
class Seen:
    """One process at one sample."""

    pid: int
    role: str
    rss: int
    anon: int
    cpu: float


def _read(pid: int) -> tuple[int, int, float, list[int]] | None:
    """Resident bytes, anonymous resident bytes, CPU seconds and children of ``pid``."""
    try:
        resident, shared = (int(n) for n in Path(f"/proc/{pid}/statm").read_text().split()[1:3])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
    except (OSError, ValueError):
        return None  # the process ended between two reads
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # its own utime + stime
    return resident * PAGE, (resident - shared) * PAGE, cpu, children


def role_of(pid: int, root: int) -> str:
    """What the process does in the build."""
    if pid == root:
        return "build (main process)"
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "ended"
    if comm in ROLES:
        return ROLES[comm]
    if "resource_tracker" in command:
        return "multiprocessing resource tracker"
    if "spawn_main" in command:
        return "spawned step (not yet named)"
    return comm


def walk(root: int, roles: dict[int, str]) -> list[Seen]:
    """Every process of the tree under ``root`` now; ``roles`` caches each pid's role once it
    is known (a spawned step names itself a moment after it starts)."""
    seen = []
    stack = [root]
    while stack:
        pid = stack.pop()
        read = _read(pid)
        if read is None:
            continue
        rss, anon, cpu, children = read
        stack += children
        role = roles.get(pid) or role_of(pid, root)
        if not role.startswith("spawned step"):
            roles[pid] = role
        seen.append(Seen(pid, role, rss, anon, cpu))
    return seen


@dataclass
class RolePeaks:
    rss: int = 0
    anon: int = 0

    def update(self, seen: Seen) -> None:
        self.rss = max(self.rss, seen.rss)
        self.anon = max(self.anon, seen.anon)


@dataclass
class TreeSampler:
    """Peaks of the tree and of each role, overall and per phase (see the module)."""

    root: int
    tree_peak: int = 0
    phase_tree_peak: int = 0
    roles: dict[str, RolePeaks] = field(default_factory=dict)
    phase_roles: dict[str, RolePeaks] = field(default_factory=dict)
    cpu: dict[int, tuple[str, float]] = field(default_factory=dict)
    _known: dict[int, str] = field(default_factory=dict)

    def sample(self) -> int:
        """Read the tree once; returns its resident bytes."""
        seen = walk(self.root, self._known)
        total = sum(s.rss for s in seen)
        self.tree_peak = max(self.tree_peak, total)
        self.phase_tree_peak = max(self.phase_tree_peak, total)
        for s in seen:
            self.roles.setdefault(s.role, RolePeaks()).update(s)
            self.phase_roles.setdefault(s.role, RolePeaks()).update(s)
            self.cpu[s.pid] = (s.role, s.cpu)
        return total

    def close_phase(self) -> tuple[int, dict[str, RolePeaks]]:
        """The tree's peak and each role's peaks since the last call; starts a new phase."""
        closed = (self.phase_tree_peak, self.phase_roles)
        self.phase_tree_peak, self.phase_roles = 0, {}
        return closed

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds of each role's processes when last sampled (a process that lived less
        than one sampling interval is missed)."""
        out: dict[str, float] = {}
        for role, cpu in self.cpu.values():
            out[role] = out.get(role, 0.0) + cpu
        return out
