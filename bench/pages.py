"""Server time of every kind of HTML page (issue #16, item 8: under 50 ms on the real graph).

Each page is requested ``--requests`` times straight through the WSGI application that gunicorn
runs (``kg.web.create_app`` with the settings of ``kg serve``), so the time is the server's own:
routing, every query, rendering and the body, without the network or a client. Two modes: the
answer cache as served (``KG_CACHE_ENTRIES`` default) and off (``0``), where every query of every
request is evaluated again. Wall-clock time is what a client waits for; on a shared machine it
also counts other processes' turns, so the CPU time this process spent on each request (which
machine noise blurs much less) is reported beside it. Prints a Markdown table of median and p95
per page, to paste into bench/RESULTS.md. Not a test: numbers, not verdicts.

    .venv/bin/python bench/pages.py --build-dir build [--requests 60]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg.settings import Settings  # noqa: E402
from kg.web import create_app  # noqa: E402

#: (kind of page, path): one row per kind, the largest instance where kinds differ in size.
PAGES = [
    ("home", "/?lang=sv"),
    ("profile: edition", "/id/edition/2019.html?lang=en"),
    ("profile: municipality", "/id/municipality/lidingo.html?lang=sv"),
    ("profile: person", "/id/person/daniel-broman.html?lang=en"),
    ("profile: statement", "/id/statement/000-juryns-motivering.html?lang=sv"),
    ("profile: organisation", "/id/organisation/skr.html?lang=en"),
    ("profile: county", "/id/county/stockholms-lan.html?lang=sv"),
    ("profile: initiative", "/id/initiative/falkenberg-inloggningsapp.html?lang=en"),
    ("profile: nomination", "/id/nomination/2019-lidingo.html?lang=sv"),
    ("profile: event", "/id/event/kvalitet-och-fornyelse-samtal-nominerade-2017.html?lang=en"),
    ("profile: publication", "/id/publication/kommunernas-utveckling-i-en-digital-tid.html"),
    ("thing without profile", "/id/award/sveriges-digitaliseringskommun.html?lang=en"),
    ("list: municipality", "/id/municipality/?lang=sv&sort=-wins"),
    ("list: initiative (82)", "/id/initiative/?lang=en"),
    ("list: statement", "/id/statement/?lang=sv"),
    ("list: municipality CSV", "/id/municipality.csv"),
    ("source text", "/id/source/003.html?lang=sv"),
    ("examples", "/examples?lang=en"),
    ("pictures", "/pictures?lang=sv"),
    ("downloads", "/downloads?lang=en"),
    ("ontology", "/ontology?lang=en"),
    ("workbench", "/sparql?lang=en"),
    ("not found", "/id/municipality/nowhere.html"),
    ("map", "/map?lang=sv"),
    ("map: one edition", "/map?edition=2019&lang=en"),
    ("search", "/search?q=lidingo&lang=sv"),
    ("search: misspelt", "/search?q=lidngo&lang=en"),
    ("graph page", "/graph/source-003.html?lang=en"),
    ("graph list", "/graph/?lang=sv"),
]
HEADERS = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]
    status: int

    def cells(self) -> str:
        return " | ".join(
            f"{statistics.median(v):.1f} | {percentile(v, 0.95):.1f}" for v in (self.wall, self.cpu)
        )


def time_pages(settings: Settings, requests: int) -> dict[str, Timing]:
    """Wall-clock and CPU milliseconds of every request, and the status, of each page."""
    client = create_app(settings).test_client()
    results = {}
    for name, path in PAGES:
        for _ in range(3):  # warm: imports, templates, the first compile of each query
            client.get(path, headers=HEADERS)
        wall, cpu = [], []
        for _ in range(requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=HEADERS)
            response.get_data()
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        results[name] = Timing(wall, cpu, response.status_code)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the access log would time the terminal, not the page
    base = replace(Settings.from_env(), root=ROOT, build_dir=args.build_dir.resolve())
    cached = time_pages(base, args.requests)
    uncached = time_pages(replace(base, cache_entries=0), args.requests)
    print(f"{args.requests} requests per page after 3 warm-up requests; times in ms.\n")
    print(
        "| page | status | cached wall p50 | p95 | cached CPU p50 | p95 "
        "| uncached wall p50 | p95 | uncached CPU p50 | p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, _ in PAGES:
        row = (name, str(cached[name].status), cached[name].cells(), uncached[name].cells())
        print("| " + " | ".join(row) + " |")
    for mode, timings in (("cached", cached), ("uncached", uncached)):
        wall = max(percentile(t.wall, 0.95) for t in timings.values())
        cpu = max(percentile(t.cpu, 0.95) for t in timings.values())
        print(f"\nSlowest p95 of any page, {mode}: wall {wall:.1f} ms, CPU {cpu:.1f} ms.")
    print(f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
