"""Benchmark our server (gunicorn + Flask + the chosen engine) against an Oxigraph server and,
with ``--virtuoso``, Debian's Virtuoso (bench/virtuoso.py).

All serve the same build on free local ports; the same query mix (every example query plus
bench/queries/*.rq) is sent by 1 and by 8 concurrent keep-alive clients, alternating between
the servers in short rounds so that machine noise falls on all alike. First every server is
asked each query once, and a query that one cannot run or answers with another number of rows
than ours leaves the mix of all of them, with the reason printed (bench/parity.py). Prints
throughput, p50 and p99 for each server and ours' ratios to each yardstick, the CPU each server
spent per request (the whole process tree, from /proc: a figure the shared machine blurs less
than throughput), and the cold start. Not a test: numbers, not verdicts.

    .venv/bin/python bench/run.py --build-dir build [--rounds 3 --seconds 5]
        [--clients 8] [--examples] [--virtuoso] [--versus /tmp/old-checkout/src]

``--versus`` serves a second checkout's code (``git archive REV | tar -x -C DIR``) in the same
interleaved rounds, so that an old and a new request path meet the same machine noise.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # bench.* modules, as the tests import them

from bench import load, parity, virtuoso  # noqa: E402
from bench.processes import stop  # noqa: E402
from kg.namespaces import PREFIXES  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


def query_paths(examples_only: bool = False) -> list[Path]:
    paths = sorted(ROOT.glob("queries/*.rq"))
    return paths if examples_only else paths + sorted(ROOT.glob("bench/queries/*.rq"))


def query_mix(examples_only: bool = False) -> list[tuple[str, str]]:
    """Every example query and bench query (or the examples of ``queries/`` alone), with the
    media type to ask for: SPARQL JSON for SELECT and ASK, Turtle for CONSTRUCT and DESCRIBE.
    Our prefixes are declared in each text, so both servers receive the same bytes."""
    from kg.lexer import shape

    prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
    mix = []
    for path in query_paths(examples_only):
        text = path.read_text(encoding="utf-8")
        graph = shape(text).form in ("CONSTRUCT", "DESCRIBE")
        mix.append((prologue + text, TURTLE if graph else JSON))
    return mix


def wait_until_up(port: int, path: str, process: subprocess.Popen, seconds: float = 60) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if process.poll() is not None:
            raise SystemExit(f"server on {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return time.monotonic() - start
        except OSError:
            time.sleep(0.02)
    stop(process)
    raise SystemExit(f"server on {port} did not start")


def gunicorn_conf(pythonpath: str | None) -> str:
    """The gunicorn configuration module of the code served: a ``--versus`` checkout from before
    issue 28 keeps it at ``kg.web.gunicorn_conf``."""
    if pythonpath and (Path(pythonpath) / "kg" / "web" / "gunicorn_conf.py").exists():
        return "kg.web.gunicorn_conf"
    return "kg.web.endpoint.gunicorn_conf"


def start_ours(
    build_dir: Path, workers: int, cache: int, pythonpath: str | None = None
) -> tuple[subprocess.Popen, int, float]:
    """Our server; ``pythonpath`` serves another checkout's ``src`` (``--versus``)."""
    port = free_port()
    env = {
        **os.environ,
        **({"PYTHONPATH": pythonpath} if pythonpath else {}),
        "KG_BUILD_DIR": str(build_dir),
        "KG_CACHE_ENTRIES": str(cache),
        "KG_WORKERS": str(workers),
        "KG_HOST": "127.0.0.1",
        "KG_PORT": str(port),
    }
    started = time.monotonic()
    # Exactly as `kg serve` runs it, every limit on: threads, killable query processes.
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", f"python:{gunicorn_conf(pythonpath)}", "server:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(port, "/sparql?query=ASK%7B%7D", process)
    return process, port, time.monotonic() - started


def start_oxigraph(build_dir: Path, workdir: Path) -> tuple[subprocess.Popen, int, float]:
    """Oxigraph loaded as ``kg publish`` leaves a store: named graphs plus their union."""
    import pyoxigraph as ox

    artifact = build_dir / "kg.nq"
    union = workdir / "union.nt"
    triples = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(artifact), format=ox.RdfFormat.N_QUADS)
    }
    ox.serialize(triples, str(union), format=ox.RdfFormat.N_TRIPLES)
    location = workdir / "oxigraph"
    for file in (artifact, union):
        subprocess.run(
            [str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(file)],
            check=True,
            capture_output=True,
        )
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(BIN / "oxigraph"),
            "serve-read-only",
            *("--location", str(location), "--bind", f"127.0.0.1:{port}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(port, "/query?query=ASK%7B%7D", process)
    return process, port, time.monotonic() - started


def run_load(
    port: int,
    path: str,
    queries: list[tuple[str, str]],
    clients: int,
    seconds: float,
    threads: bool = False,
):
    """``clients`` keep-alive clients, each in a process of its own (``threads``: the former
    threads of ``http.client``), cycling through the mix (bench/load.py)."""
    urls = [(parity.request_url(path, q), accept) for q, accept in queries]
    return load.run(port, urls, clients, seconds, threads=threads)


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants (Linux ``/proc``): the server's
    cost per request, which machine noise and the load generator's own share do not blur.
    Descendants already reaped (a killed query process) count through their parent's
    ``cutime``/``cstime``."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += cpu.get(pid, 0.0)
        stack += children.get(pid, [])
    return total


@dataclass
class Tally:
    """What one server did over the rounds of one cell: latencies, wall time, CPU, errors."""

    pid: int
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    errors: int = 0

    def run(
        self, port: int, path: str, queries, clients: int, seconds: float, threads: bool
    ) -> None:
        before = tree_cpu_seconds(self.pid)
        latencies, elapsed, errors = run_load(port, path, queries, clients, seconds, threads)
        self.cpu += tree_cpu_seconds(self.pid) - before
        self.latencies += latencies
        self.seconds += elapsed
        self.errors += errors

    def summary(self) -> dict[str, float]:
        return summarise(self.latencies, self.seconds, self.cpu)


def summarise(latencies: list[float], elapsed: float, cpu: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    return {
        "cpu_us": cpu / len(ordered) * 1e6 if ordered else float("nan"),
        "rps": len(ordered) / elapsed if elapsed else 0.0,
        "p50": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p99": p99 * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and server")
    parser.add_argument(
        "--examples", action="store_true", help="the example queries of queries/ only"
    )
    parser.add_argument(
        "--virtuoso",
        action="store_true",
        help="also measure Debian's Virtuoso, loaded with the same build (bench/virtuoso.py)",
    )
    parser.add_argument(
        "--versus",
        metavar="SRC",
        help="also serve another checkout's src/ (e.g. an older commit) in the same rounds",
    )
    parser.add_argument(
        "--threaded-client",
        action="store_true",
        help="the former load generator (threads of http.client in one process), for "
        "comparing with runs recorded before it (bench/load.py, bench/RESULTS.md of 2026-12-06)",
    )
    args = parser.parse_args()
    threads = args.threaded_client
    args.build_dir = args.build_dir.resolve()  # a --versus checkout runs from its own root

    queries = query_mix(args.examples)
    names = [str(path.relative_to(ROOT)) for path in query_paths(args.examples)]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    with (args.build_dir / "kg.nq").open("rb") as quads:
        print(f"build: {args.build_dir} ({sum(1 for _ in quads)} quads)")
    print(f"mix: {len(queries)} queries; {args.rounds} rounds × {args.seconds} s per server\n")

    # Every server is stopped and the directory removed however the run ends: an exception,
    # Ctrl-C, or SIGTERM (made an exit, so that the same clean-up runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        oxi, oxi_port, oxi_start = start_oxigraph(args.build_dir, tmp)
        stack.callback(stop, oxi)
        yardsticks = {"oxigraph": (oxi.pid, oxi_port, "/query")}  # name: pid, port, path
        if args.virtuoso:
            virt = stack.enter_context(virtuoso.serve(args.build_dir, tmp / "virtuoso"))
            yardsticks["virtuoso"] = (virt.pid, virt.port, virt.path)
            print(
                f"virtuoso: new database in {virt.start_seconds:.1f} s, {virt.quads} quads "
                f"loaded with kg publish in {virt.load_seconds:.1f} s"
            )
        servers = {}
        for label, cache in (("uncached", 0), ("cached", 1024)):
            servers[label] = start_ours(args.build_dir, args.workers, cache)
            stack.callback(stop, servers[label][0])
            if args.versus:
                servers[f"{label} versus"] = start_ours(
                    args.build_dir, args.workers, cache, pythonpath=args.versus
                )
                stack.callback(stop, servers[f"{label} versus"][0])
        print(
            f"cold start to first answer: ours {servers['uncached'][2]:.2f} s "
            f"(gunicorn, {args.workers} workers), oxigraph {oxi_start:.2f} s\n"
        )
        endpoints = [parity.Endpoint("ours", servers["uncached"][1], "/sparql")] + [
            parity.Endpoint(name, port, path) for name, (_, port, path) in yardsticks.items()
        ]
        queries, left_out = parity.common_mix(endpoints, names, queries)
        for name, reason in left_out.items():
            print(f"left out of every server's mix: {name}: {reason}")
        print(f"mix timed: {len(queries)} of {len(names)} queries, answered alike by all\n")
        if not queries:
            raise SystemExit("no query is answered alike by every server")
        columns = ["req/s", *(f"vs {y}" for y in yardsticks), "p50 ms", "p99 ms"]
        columns += [*(f"p99 vs {y}" for y in yardsticks), "CPU µs/req", "errors"]
        print("| mode | clients | server | " + " | ".join(columns) + " |")
        print("|---" * (len(columns) + 3) + "|")
        for label, (process, port, _) in list(servers.items()):
            if label.endswith("versus"):
                continue
            other = servers.get(f"{label} versus")
            for clients in args.clients:
                run_load(port, "/sparql", queries, clients, 1.0, threads)  # warm-up
                for _, y_port, y_path in yardsticks.values():
                    run_load(y_port, y_path, queries, clients, 1.0, threads)
                ours = Tally(process.pid)
                theirs = {name: Tally(pid) for name, (pid, _, _) in yardsticks.items()}
                versus = Tally(other[0].pid) if other else None
                if other:
                    run_load(other[1], "/sparql", queries, clients, 1.0, threads)
                for _ in range(args.rounds):  # interleaved: noise is shared
                    ours.run(port, "/sparql", queries, clients, args.seconds, threads)
                    for name, (_, y_port, y_path) in yardsticks.items():
                        theirs[name].run(y_port, y_path, queries, clients, args.seconds, threads)
                    if versus and other:
                        versus.run(other[1], "/sparql", queries, clients, args.seconds, threads)
                rows = [("ours", ours)] + ([("ours versus", versus)] if versus else [])
                bases = {name: tally.summary() for name, tally in theirs.items()}
                for name, tally in rows + list(theirs.items()):
                    a = tally.summary()  # type: ignore[union-attr]
                    cells = [
                        f"{a['rps']:.0f}",
                        *(f"{a['rps'] / b['rps']:.2f}×" for b in bases.values()),
                    ]
                    cells += [f"{a['p50']:.1f}", f"{a['p99']:.1f}"]
                    cells += [f"{a['p99'] / b['p99']:.2f}×" for b in bases.values()]
                    cells += [f"{a['cpu_us']:.0f}", str(tally.errors)]  # type: ignore[union-attr]
                    print(
                        f"| {label} | {clients} | {name} | " + " | ".join(cells) + " |", flush=True
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
