"""Build benchmark: wall time and peak memory of each build phase over `kg synth` sizes.

    .venv/bin/python bench/build.py 1000000 3000000 [--mode stream] [--reasoner fast]

For each size it writes a synthetic project (``kg synth``), builds it with ``kg build --force
--timings`` and samples the resident memory of the whole process tree (the build and anything
it starts: the lint and reasoner processes, GNU sort) from ``/proc`` every quarter second, for
the tree and for each process by its role (``proctree``). Each phase line the build prints
closes a phase: its seconds, the highest tree RSS and each role's highest RSS sampled during
it are recorded.
The table, the slopes (seconds per million triples; peak memory against size) and the command
are appended to ``bench/RESULTS.md`` (``--results`` to write elsewhere, ``-`` for stdout only).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG = ROOT / ".venv" / "bin" / "kg"
sys.path.insert(0, str(ROOT))  # bench.* modules, as the tests import them

from bench.proctree import RolePeaks, TreeSampler  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and of the children it has waited for (GNU
    sort): on a shared machine this, not wall time, says what the build costs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK  # utime stime cutime cstime


@dataclass
class Run:
    size: int
    asserted: int = 0
    inferred: int = 0
    synth_seconds: float = 0.0
    seconds: float = 0.0
    cpu: float = 0.0
    peak: int = 0
    phases: list[tuple[str, float, float, int]] = field(default_factory=list)
    #: Each phase's peaks by process role (the same order as ``phases``).
    phase_roles: list[dict[str, RolePeaks]] = field(default_factory=list)
    roles: dict[str, RolePeaks] = field(default_factory=dict)
    role_cpu: dict[str, float] = field(default_factory=dict)


def measure_build(env: dict[str, str], size: int) -> Run:
    """Run one ``kg build`` and attribute the sampled RSS (of the tree, and of each process by
    its role, :mod:`proctree`) to the phase it fell in."""
    run = Run(size)
    command = [str(KG), "build", "--force", "--timings"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeSampler(process.pid)
    lock = threading.Lock()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with lock:
                sampler.sample()
            done.wait(0.25)

    thread = threading.Thread(target=sample, daemon=True)
    start = last = time.monotonic()
    last_cpu = 0.0
    thread.start()
    tail: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        tail = [*tail, line][-20:]
        print(f"  [{size:,}] {line}", end="", flush=True)  # progress, for a run cut short
        if ": " in line and " s (RSS " in line:
            now, cpu = time.monotonic(), cpu_seconds(process.pid)
            name = line.split(": ", 1)[0]
            with lock:
                sampler.sample()
                peak, roles = sampler.close_phase()
            run.phases.append((name, now - last, cpu - last_cpu, peak))
            run.phase_roles.append(roles)
            last, last_cpu = now, cpu
    stdout = process.stdout.read() if process.stdout else ""
    run.cpu = cpu_seconds(process.pid) or last_cpu
    code = process.wait()
    done.set()
    thread.join()
    run.seconds = time.monotonic() - start
    run.peak = sampler.tree_peak
    run.roles = sampler.roles
    run.role_cpu = sampler.cpu_by_role()
    if code != 0:
        raise SystemExit(f"kg build failed ({code}):\n{stdout}{''.join(tail)}")
    return run


def gib(n: int) -> str:
    return f"{n / 2**30:.2f}"


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys against xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def report(runs: list[Run], command: str, mode: str, reasoner: str) -> str:
    lines = [
        f"## Build: {mode} mode, {reasoner} reasoner ({time.strftime('%Y-%m-%d %H:%M UTC')})",
        "",
        f"Command: `{command}`. Machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PHYS_PAGES') * PAGE / 2**30:.0f} GiB, shared with other engineers' "
        "builds and tests while it ran (load average at the start: "
        f"{os.getloadavg()[0]:.1f}). Peak memory is the resident set of the build's whole "
        "process tree, sampled every 0.25 s from /proc.",
        "",
        "| size asked | asserted | inferred | synth s | build s (wall) | build CPU s | "
        "wall s per M | CPU s per M | peak GiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        million = r.asserted / 1e6
        lines.append(
            f"| {r.size:,} | {r.asserted:,} | {r.inferred:,} | {r.synth_seconds:.0f} | "
            f"{r.seconds:.0f} | {r.cpu:.0f} | {r.seconds / million:.0f} | "
            f"{r.cpu / million:.0f} | {gib(r.peak)} |"
        )
    if len(runs) > 1:
        xs = [r.asserted / 1e6 for r in runs]
        lines += [
            "",
            f"Slopes over the sizes (least squares, per million asserted triples): "
            f"wall time {slope(xs, [r.seconds for r in runs]):.0f} s, "
            f"CPU time {slope(xs, [r.cpu for r in runs]):.0f} s, "
            f"peak memory {slope(xs, [r.peak / 2**30 for r in runs]):.2f} GiB.",
        ]
    for r in runs:
        lines += [
            "",
            f"Processes at {r.asserted:,} asserted triples (each role's largest "
            "process; anonymous = resident minus file-backed pages):",
            "",
        ]
        lines += ["| process | peak GiB | peak anonymous GiB | CPU s |", "|---|---:|---:|---:|"]
        lines += [
            f"| {role} | {gib(p.rss)} | {gib(p.anon)} | {r.role_cpu.get(role, 0.0):.1f} |"
            for role, p in sorted(r.roles.items(), key=lambda kv: -kv[1].rss)
        ]
        roles = [role for role, _ in sorted(r.roles.items(), key=lambda kv: -kv[1].rss)]
        lines += [
            "",
            f"Phases at {r.asserted:,} asserted triples (peak GiB of the tree, then "
            "of each process role during the phase):",
            "",
        ]
        lines += [
            "| phase | wall s | CPU s | tree | " + " | ".join(roles) + " |",
            "|---|---:|---:|---:|" + "---:|" * len(roles),
        ]
        for (name, sec, cpu, peak), by_role in zip(r.phases, r.phase_roles, strict=True):
            cells = [gib(by_role[role].rss) if role in by_role else "" for role in roles]
            lines.append(
                f"| {name} | {sec:.1f} | {cpu:.1f} | {gib(peak)} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 3_000_000])
    parser.add_argument("--mode", default="stream", choices=("stream", "memory", "auto"))
    parser.add_argument("--reasoner", default="fast", choices=("fast", "owlrl"))
    parser.add_argument("--workdir", type=Path, help="where the synthetic projects go")
    parser.add_argument("--keep", action="store_true", help="keep the projects and builds")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kg-bench-build-"))
    workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    try:
        for size in args.sizes:
            project, out = workdir / f"synth-{size}", workdir / f"build-{size}"
            started = time.monotonic()
            subprocess.run(
                [str(KG), "synth", "--triples", str(size), "--out", str(project)], check=True
            )
            synth_seconds = time.monotonic() - started
            env = {
                **os.environ,
                "KG_ROOT": str(project),
                "KG_BUILD_DIR": str(out),
                "KG_BUILD_MODE": args.mode,
                "KG_REASONER": args.reasoner,
            }
            run = measure_build(env, size)
            run.synth_seconds = synth_seconds
            triples = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["triples"]
            run.asserted, run.inferred = triples["asserted"], triples["inferred"]
            runs.append(run)
            print(report([run], "", args.mode, args.reasoner), flush=True)
            if not args.keep:
                shutil.rmtree(project, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    command = "nice .venv/bin/python bench/build.py " + shlex.join(sys.argv[1:])
    text = report(runs, command, args.mode, args.reasoner)
    if args.results == "-":
        print(text)
    else:
        with Path(args.results).open("a", encoding="utf-8") as results:
            results.write("\n" + text)
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
