"""Memory of each serving worker with its query processes (PSS, so pages shared copy-on-write
are counted once), after some load, and the cold start to the first answer.

    .venv/bin/python bench/memory.py --build-dir build [--seconds 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: the same server start and load generator


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=run.ROOT / "build")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    process, port, started = run.start_ours(args.build_dir, workers=2, cache=0)
    try:
        print(f"cold start to first answer: {started:.2f} s")
        latencies, _, errors = run.run_load(
            port, "/sparql", run.query_mix(), clients=8, seconds=args.seconds
        )
        print(f"{len(latencies)} queries from 8 clients, {errors} errors")
        for worker in children(process.pid):
            own = pss_mb(worker)
            queries = [pss_mb(child) for child in children(worker)]
            print(
                f"worker {worker}: {own:.0f} MB PSS + {len(queries)} query processes "
                f"{sum(queries):.0f} MB = {own + sum(queries):.0f} MB"
            )
    finally:
        process.terminate()
        process.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
