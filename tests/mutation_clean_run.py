"""Keep what failed in mutmut's clean run, where mutmut itself shows nothing of it.

Before it tests any mutant, mutmut runs the selected tests once unmutated (``MUTANT_UNDER_TEST``
set and empty) and stops with only "Failed to run clean test" when one fails: that run is a
forked child whose output mutmut's spinner swallows. Here, in that run only, each failing test's
report is appended to ``mutmut-clean-run.log`` at the project root of mutmut's copy
(``mutants/``); ``scripts/mutation.py`` removes the file before it runs mutmut and prints it
when mutmut fails.
"""

from __future__ import annotations

import os

import pytest

from kg.settings import PROJECT_ROOT

LOG = PROJECT_ROOT / "mutmut-clean-run.log"


def _clean_run() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST", None) == ""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _clean_run() and report.failed:
        with LOG.open("a", encoding="utf-8") as log:
            log.write(f"FAILED ({report.when}) {report.nodeid}\n{report.longreprtext}\n\n")
