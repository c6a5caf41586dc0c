"""A new build rolled through the replicas of ``kg serve-public`` under load: zero failed requests?

Starts the public stack (nginx in front of two gunicorn replicas) over ``--build-dir``, runs a
bounded load generator against nginx on 127.0.0.1 (``--clients`` threads, each from its own
loopback address, and the per-client rate limit raised so that it does not throttle it, each
sending GET and POST queries that are new to the server's caches), and after a few seconds
rolls every replica, one at a time, onto a second build (``--new-build-dir``, or a synthetic
project built for the purpose). Prints every status seen, the latency percentiles before,
during and after the roll, how long the roll took, and which dataset version answered.

    .venv/bin/python bench/rolling.py --build-dir build [--seconds 20 --clients 6]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import itertools
import math
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg.settings import Settings  # noqa: E402

#: A count is new to every cache each time (a different LIMIT), and it names the data it saw.
COUNT = "SELECT (COUNT(*) AS ?n) WHERE {{ SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {limit} }}"
TOTAL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class Sample:
    started: float
    seconds: float
    status: int  # 0: no HTTP answer at all (connection refused, reset, timeout)
    version: str = ""


@dataclass
class Load:
    """``clients`` threads asking ``base`` (nginx) until stopped; every answer is kept."""

    base: str
    clients: int = 4
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        limits = itertools.count(1)
        for index in range(self.clients):
            source = f"127.0.1.{index + 1}"  # one loopback address per client
            thread = threading.Thread(target=self._run, args=(source, limits), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> list[Sample]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return sorted(self.samples, key=lambda s: s.started)

    def _run(self, source: str, limits: itertools.count) -> None:
        parts = urllib.parse.urlsplit(self.base)
        conn = None
        for n in limits:
            if self._stop.is_set():
                break
            if conn is None:
                conn = http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=30, source_address=(source, 0)
                )
            query = COUNT.format(limit=n)
            started = time.monotonic()
            try:
                if n % 2:
                    path = "/sparql?" + urllib.parse.urlencode({"query": query})
                    conn.request("GET", path, headers={"Accept": "text/csv"})
                else:
                    conn.request(
                        "POST",
                        "/sparql",
                        body=query.encode(),
                        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
                    )
                response = conn.getresponse()
                response.read()
                etag = response.getheader("ETag", "") or ""
                sample = Sample(started, time.monotonic() - started, response.status)
                sample.version = etag.strip('"').split("-")[0]
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                sample = Sample(started, time.monotonic() - started, 0)
                if conn is not None:
                    conn.close()
                conn = None
            with self._lock:
                self.samples.append(sample)
        if conn is not None:
            conn.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def synthetic_build(directory: Path, triples: int = 300) -> Path:
    """A second, different build to roll onto: a synthetic project, really built."""
    from kg.pipeline.build import build
    from kg.pipeline.synth import synthesise

    project = synthesise(directory / "project", triples, seed=2, project_root=ROOT).root
    build(project, directory / "build", force=True)
    return directory / "build"


def summarise(samples: list[Sample], roll: tuple[float, float]) -> dict:
    begun, ended = roll
    phases = {
        "before": [s for s in samples if s.started < begun],
        "during": [s for s in samples if begun <= s.started < ended],
        "after": [s for s in samples if s.started >= ended],
    }
    summary: dict = {
        "requests": len(samples),
        "statuses": dict(Counter(s.status for s in samples)),
        "failed": sum(1 for s in samples if s.status != 200),
        "roll_seconds": round(ended - begun, 2),
    }
    for name, phase in phases.items():
        if phase:
            ms = [s.seconds * 1000 for s in phase]
            summary[name] = {
                "requests": len(phase),
                "p50_ms": round(statistics.median(ms), 1),
                "p99_ms": round(percentile(ms, 0.99), 1),
                "max_ms": round(max(ms), 1),
                "versions": dict(Counter(s.version for s in phase)),
            }
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--new-build-dir", type=Path, help="default: a synthetic build")
    parser.add_argument("--seconds", type=float, default=20.0, help="load before + after")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per replica")
    args = parser.parse_args()

    from kg.deploy.replicas import free_port
    from kg.deploy.stack import public_stack

    with tempfile.TemporaryDirectory(prefix="kg-rolling-") as scratch:
        new_build = args.new_build_dir or synthetic_build(Path(scratch))
        settings = dataclasses.replace(
            Settings.from_env(),
            build_dir=args.build_dir.resolve(),
            port=free_port(),
            host="127.0.0.1",
            replicas=2,
            workers=args.workers,
            # The roll is measured here, not the per-client rate limit (tests/test_public_stack.py).
            proxy_rate=100_000,
        )
        with public_stack(settings, access_log=f"{scratch}/access.log") as stack:
            load = Load(stack.url, clients=args.clients)
            load.start()
            time.sleep(args.seconds / 2)
            begun = time.monotonic()
            stack.roll(new_build)
            ended = time.monotonic()
            time.sleep(args.seconds / 2)
            samples = load.stop()
    summary = summarise(samples, (begun, ended))
    import json

    print(json.dumps(summary, indent=2))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
