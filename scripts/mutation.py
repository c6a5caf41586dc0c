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
import ast
import difflib
import json
import os
import subprocess
import sys
import tomllib
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
#: The quick unit tests each module's mutants run against, where the whole selection of
#: ``[tool.mutmut]`` would be slow: tests/conftest.py keeps only these files' tests, and of
#: them only those that need neither the built project nor an app (each mutant runs in a fresh
#: process, where an app loads its stores anew: the lexer's mutants ran 97 s of app tests
#: each). The unit tests call the module directly, and reach everything the apps did.
#: A module not named here runs the whole selection.
TESTS = {
    "lexer": ["tests/test_lexer.py", "tests/test_lexer_edges.py", "tests/test_limits.py",
              "tests/test_limits_boundaries.py"],
    "limits": ["tests/test_limits.py", "tests/test_limits_boundaries.py"],
    "nginx": ["tests/test_nginx_config.py", "tests/test_nginx_template.py"],
    "protocol": ["tests/test_protocol_unit.py"],
    # A tiny store made by the test, forked query processes, no build: seconds per mutant.
    "execution": ["tests/test_execution_unit.py"],
    # Slot files, forked workers and sleep processes; the pool's tests use the slots for real.
    "slots": ["tests/test_slots.py", "tests/test_execution_unit.py"],
}  # fmt: skip
#: A module fails the check at this share of surviving mutants.
THRESHOLD = 0.10

#: mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped as this report counts them:
#: a timeout is a mutant the tests stopped (mutmut counts it as caught too); a mutant no test
#: reaches is a survivor, for nothing would notice it.
CAUGHT = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", 37: "killed"}  # fmt: skip
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}
NOT_COUNTED = {None: "not checked", 34: "skipped", 2: "interrupted"}


def stale(dotted: str) -> bool:
    """Whether the module changed since mutmut last made its mutants (and wrote its verdicts):
    a checkout or merge that touches the file gives it a newer time than the ``.meta`` file."""
    source = ROOT / "src" / (dotted.replace(".", "/") + ".py")
    meta = ROOT / "mutants" / "src" / (dotted.replace(".", "/") + ".py.meta")
    return meta.exists() and source.stat().st_mtime > meta.stat().st_mtime


def verdicts(dotted: str) -> dict[str, int | None]:
    """mutmut's exit code per mutant of one module, from its ``.meta`` file."""
    meta = ROOT / "mutants" / "src" / (dotted.replace(".", "/") + ".py.meta")
    if not meta.exists():
        return {}
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


#: What failed in mutmut's clean run (written by tests/mutation_clean_run.py in mutmut's copy).
CLEAN_RUN_LOG = ROOT / "mutants" / "mutmut-clean-run.log"

#: Mutants that cannot change what the code does, each with the line it changes and why.
EQUIVALENT_FILE = ROOT / "scripts" / "mutation-equivalent.toml"


def equivalents() -> dict[str, dict[str, str]]:
    """The recorded equivalent mutants: name -> ``{"change": line, "why": reason}``."""
    return tomllib.loads(EQUIVALENT_FILE.read_text(encoding="utf-8"))


def changed_lines(dotted: str, key: str) -> set[str]:
    """The lines (stripped) that mutant ``key`` has and the original function has not, read
    from mutmut's copy of the module, where both are kept as functions; for a mutant that
    only drops lines, ``removed: <line>`` for each dropped line."""
    source = (ROOT / "mutants" / "src" / (dotted.replace(".", "/") + ".py")).read_text("utf-8")
    mutant = key.rsplit(".", 1)[1]
    original = mutant.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
    bodies = {
        node.name: (ast.get_source_segment(source, node) or "").splitlines()[1:]  # not the def
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name in (mutant, original)
    }
    if len(bodies) != 2:
        return set()
    diff = list(difflib.ndiff(bodies[original], bodies[mutant]))
    added = {line[2:].strip() for line in diff if line.startswith("+ ")}
    removed = {line[2:].strip() for line in diff if line.startswith("- ")}
    # A mutant that only drops a line (an argument) adds none, or only re-indents a removed
    # one (a closing bracket): its change reads "removed: <the line>". A mutant that also
    # writes something new never matches such an entry.
    if added <= removed:
        return added | {f"removed: {line}" for line in removed - added}
    return added


def summarise(name: str, dotted: str) -> float | None:
    """Print one module's survivors and rate; return the rate (None when nothing was tested,
    or not every mutant was). A survivor recorded as equivalent counts only when it still
    makes the recorded change (mutmut numbers mutants anew when a function changes)."""
    codes = verdicts(dotted)
    counted = {k: v for k, v in codes.items() if v not in NOT_COUNTED}
    recorded = equivalents()
    survivors, equivalent = [], []
    for key in sorted(
        (k for k, v in counted.items() if v in SURVIVED),
        key=lambda k: (k.rsplit("__mutmut_", 1)[0], int(k.rsplit("_", 1)[1])),
    ):
        entry = recorded.get(key)
        if entry and entry["change"].strip() in changed_lines(dotted, key):
            equivalent.append(key)
        else:
            survivors.append(key)
    # Neither caught nor survived: "suspicious" (slower than expected) or a crash; shown apart.
    odd = Counter(v for v in counted.values() if v not in CAUGHT and v not in SURVIVED)
    if not counted:
        print(f"{name:13} no results (run: python scripts/mutation.py {name})")
        return None
    # An equivalent mutant is no test's failure: the rate is of the mutants a test could catch.
    rate = len(survivors) / (len(counted) - len(equivalent))
    unchecked = len(codes) - len(counted)
    print(
        f"{name:13} {len(survivors):4} of {len(counted) - len(equivalent):4} mutants survived"
        f" ({rate:5.1%}); {len(counted) - len(survivors) - len(equivalent)} killed,"
        f" {len(equivalent)} equivalent"
        + (f", {unchecked} not checked (an incomplete run)" if unchecked else "")
        + (f", other exit codes {dict(odd)}" if odd else "")
    )
    for key in survivors:
        print(f"    {SURVIVED[codes[key]]:9} {key}")
    for key in equivalent:
        print(f"    {'equivalent':9} {key}: {recorded[key]['why']}")
    return None if unchecked else rate


def run(name: str, dotted: str, jobs: int) -> int:
    """Test the mutants of one module that have no verdict yet or survived (tests may have
    been added since); mutmut keeps its verdicts in ``mutants/``, and drops a verdict itself
    when the mutated function changes. Named mutants are always tested again, so the names
    are only those: a glob would test every mutant again. The names are read before mutmut
    makes the mutants of functions changed since, so a second pass tests those."""
    for _ in range(2):
        codes = verdicts(dotted)
        if codes:
            recorded = equivalents()
            names = [
                key
                for key, code in codes.items()
                if code is None
                or (code in SURVIVED and key not in recorded)  # an equivalent one stays one
            ]
            if not names and not stale(dotted):
                print(f"{dotted}: every mutant has a verdict and none survived", flush=True)
                return 0
            if not names:
                # The module changed since mutmut made its mutants: the verdicts above are of
                # the old code. Any one name makes mutmut make them anew (and drop the
                # verdicts of changed functions); the second pass tests those.
                names = [next(iter(codes))]
        else:
            names = [f"{dotted}.*"]  # the first run: mutmut makes the mutants
        command = [str(MUTMUT), "run", "--max-children", str(jobs), *names]
        print("$", " ".join(command[:5]), f"... ({len(names)} mutants)", flush=True)
        # The tests share one build per fingerprint of the tree (tests/conftest.py:
        # shared_build): mutmut 3 switches mutants at run time, so the tree stays the same.
        # mutmut keeps one map of which test reaches which function; a module with other
        # tests than the last one run adds its new tests to it and drops the others.
        env = {**os.environ, "KG_MUTATION_TESTS": " ".join(TESTS.get(name, ()))}
        CLEAN_RUN_LOG.unlink(missing_ok=True)
        code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        if code != 0 and CLEAN_RUN_LOG.exists():
            # mutmut says only "Failed to run clean test"; tests/mutation_clean_run.py kept why.
            print(f"Failed in mutmut's clean run ({CLEAN_RUN_LOG}):", file=sys.stderr)
            print(CLEAN_RUN_LOG.read_text(encoding="utf-8"), file=sys.stderr)
        if code != 0 or not any(v is None for v in verdicts(dotted).values()):
            return code
    return code


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
            if run(name, MODULES[name], jobs) != 0:
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
