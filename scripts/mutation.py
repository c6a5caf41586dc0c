"""Mutation testing of the safety-critical modules: ``make mutation`` (issue 22).

mutmut 3 (configured in ``[tool.mutmut]`` of pyproject.toml) copies the tree into ``mutants/``,
makes one small change at a time to a module (a ``<`` for a ``<=``, a string or a number
altered, a call dropped) and runs the tests that reached the changed function. A mutant the
tests do not notice "survives": a breakage of that kind would go unseen. This script runs
mutmut one module at a time, then reads mutmut's verdicts and prints, per module, the
survivors and the survival rate, and exits 1 when a module's rate is 10 % or more.

Usage: ``python scripts/mutation.py [MODULE ...]`` with module names from :data:`MODULES`
(all of them by default); ``MUTATION_JOBS`` sets the mutants tested at once (default 2, for a
two-core machine). ``--report`` only prints the verdicts of earlier runs. Results are kept in
``mutants/`` between runs: a second run tests again only the survivors and the mutants of
changed functions, so a run after adding a test is quick. ``.venv/bin/mutmut show NAME`` prints
the change a surviving mutant made.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"

#: The modules, by short name, with mutmut's dotted name. Keep in step with ``only_mutate``.
MODULES = {
    "lexer": "kg.lexer",
    "limits": "kg.web.endpoint.limits",
    "answer_cache": "kg.web.endpoint.answer_cache",
    "protocol": "kg.web.endpoint.protocol",
    "nginx": "kg.deploy.nginx",
    "execution": "kg.web.endpoint.execution",
    "slots": "kg.web.endpoint.slots",
}
#: A module fails the check at this share of surviving mutants.
THRESHOLD = 0.10

#: mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped as this report counts them:
#: a timeout is a mutant the tests stopped (mutmut counts it as caught too); a mutant no test
#: reaches is a survivor, for nothing would notice it.
CAUGHT = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", 37: "killed"}  # fmt: skip
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}
NOT_COUNTED = {None: "not checked", 34: "skipped", 2: "interrupted"}


def verdicts(dotted: str) -> dict[str, int | None]:
    """mutmut's exit code per mutant of one module, from its ``.meta`` file."""
    meta = ROOT / "mutants" / "src" / (dotted.replace(".", "/") + ".py.meta")
    if not meta.exists():
        return {}
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


def summarise(name: str, dotted: str) -> float | None:
    """Print one module's survivors and rate; return the rate (None when nothing was tested)."""
    codes = verdicts(dotted)
    counted = {k: v for k, v in codes.items() if v not in NOT_COUNTED}
    survivors = sorted(
        (k for k, v in counted.items() if v in SURVIVED),
        key=lambda k: (k.rsplit("__mutmut_", 1)[0], int(k.rsplit("_", 1)[1])),
    )
    # Neither caught nor survived: "suspicious" (slower than expected) or a crash; shown apart.
    odd = Counter(v for v in counted.values() if v not in CAUGHT and v not in SURVIVED)
    if not counted:
        print(f"{name:13} no results (run: python scripts/mutation.py {name})")
        return None
    rate = len(survivors) / len(counted)
    print(
        f"{name:13} {len(survivors):4} of {len(counted):4} mutants survived ({rate:5.1%})"
        + (f", {len(codes) - len(counted)} not checked" if len(codes) != len(counted) else "")
        + (f", other exit codes {dict(odd)}" if odd else "")
    )
    for key in survivors:
        print(f"    {SURVIVED[codes[key]]:9} {key}")
    return rate


def run(dotted: str, jobs: int) -> int:
    """Test the mutants of one module that have no verdict yet or survived (tests may have
    been added since); mutmut keeps its verdicts in ``mutants/``, and drops a verdict itself
    when the mutated function changes. Named mutants are always tested again, so the names
    are only those: a glob would test every mutant again."""
    codes = verdicts(dotted)
    if codes:
        names = [key for key, code in codes.items() if code is None or code in SURVIVED]
        if not names:
            print(f"{dotted}: every mutant has a verdict and none survived", flush=True)
            return 0
    else:
        names = [f"{dotted}.*"]  # the first run: mutmut makes the mutants
    command = [str(MUTMUT), "run", "--max-children", str(jobs), *names]
    print("$", " ".join(command[:5]), f"... ({len(names)} mutants)", flush=True)
    # The tests share one build per fingerprint of the tree (tests/conftest.py: shared_build):
    # mutmut 3 switches mutants at run time, so the tree and the build stay the same.
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=", ".join(MODULES))
    parser.add_argument("--report", action="store_true", help="only report earlier results")
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    jobs = int(os.environ.get("MUTATION_JOBS", "2"))
    failed_runs = []
    if not args.report:
        for name in names:
            if run(MODULES[name], jobs) != 0:
                failed_runs.append(name)
    print(f"\nSurviving mutants per module (the check fails at {THRESHOLD:.0%} or more):")
    rates = {name: summarise(name, MODULES[name]) for name in names}
    over = [name for name, rate in rates.items() if rate is None or rate >= THRESHOLD]
    if failed_runs:
        print(f"mutmut itself failed on: {', '.join(failed_runs)}", file=sys.stderr)
    if over:
        print(f"At or over {THRESHOLD:.0%}, or untested: {', '.join(over)}", file=sys.stderr)
    return 1 if failed_runs or over else 0


if __name__ == "__main__":
    sys.exit(main())
