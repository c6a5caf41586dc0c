"""Server-side time of /search and /reconcile on a build (the real graph by default).

Each request goes through the whole WSGI app in this process (Flask, the index, the templates,
the security headers): the time the access log's ``ms=`` reports, without the network. Every
request is repeated; the first (cold) round is not counted. Target: HTML search under 50 ms.
Not a test: numbers, not verdicts.

    .venv/bin/python bench/search.py --build-dir build [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg import create_app  # noqa: E402
from kg.settings import Settings  # noqa: E402

DK = "https://w3id.org/digikommun/ontology#"
#: What people type: a name without diacritics, a misspelling, a surname, a phrase of a quote,
#: a common word that hits many things.
SEARCHES = ["lidingo", "Lidngö", "broman", "digitalt först", "kommun"]
#: A spreadsheet column as OpenRefine sends it: a batch of ten with a type.
COLUMN = [
    "Lidingö",
    "Lidingo stad",
    "Kungsbacka kommun",
    "Upplands Bro",
    "Stockholms stad",
    "Sundsvalls kommun",
    "Karlskrona",
    "Umeå kommun",
    "Södertälje",
    "Växjö",
]


def timed(client, repeat: int, method: str, path: str, **kwargs) -> list[float]:
    call = getattr(client, method)
    response = call(path, **kwargs)  # cold: templates compiled, caches filled
    assert response.status_code == 200, (path, response.status_code, response.get_data()[:200])
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call(path, **kwargs)
        times.append((time.perf_counter() - started) * 1000)
    return times


def row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    logging.getLogger("kg.access").disabled = True
    settings = replace(Settings.from_env(), build_dir=args.build_dir.resolve())
    client = create_app(settings).test_client()
    print("| request | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for q in SEARCHES:
        for fmt in ("html", "json"):
            times = timed(
                client, args.repeat, "get", "/search", query_string={"q": q, "format": fmt}
            )
            print(row(f"/search {fmt} `{q}`", times))
    batch = {f"q{i}": {"query": cell, "type": DK + "Municipality"} for i, cell in enumerate(COLUMN)}
    times = timed(client, args.repeat, "post", "/reconcile", data={"queries": json.dumps(batch)})
    print(row("/reconcile batch of 10 municipalities", times))
    one = {"q0": {"query": "Daniel Broman", "type": DK + "Person"}}
    times = timed(client, args.repeat, "post", "/reconcile", data={"queries": json.dumps(one)})
    print(row("/reconcile one person", times))


if __name__ == "__main__":
    main()
