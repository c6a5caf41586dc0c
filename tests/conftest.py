"""Shared fixtures. Expensive things (a build, an app) are session-scoped: the build takes
seconds and every test only reads it."""

from __future__ import annotations

import hashlib
import shutil
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bench.processes import stop as stop_process
from kg.settings import PROJECT_ROOT, Settings

# mutmut's stats run: what forked children (query processes) reach counts for the test.
from tests.mutation_children import (  # noqa: F401
    pytest_runtest_teardown,
    pytest_sessionfinish,
    pytest_sessionstart,
)

# mutmut's clean run: what failed, where mutmut shows nothing (scripts/mutation.py prints it).
from tests.mutation_clean_run import pytest_runtest_logreport  # noqa: F401

# Hypothesis fails a test whose example took over 200 ms, or whose data came slowly: on a
# busy machine that measures the machine, not the code (issue 22; it stopped every mutation
# run of the lexer, whose clean run failed on it). No test here has a deadline.
settings.register_profile("kg", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kg")

ROOT = PROJECT_ROOT


#: Where the session builds below are kept between pytest processes: `make test` runs two
#: (the parallel pass and the serial one) and pytest-xdist starts one per core, and a full
#: build is the most expensive thing the suite does. Never the developer's build/.
SHARED_BUILDS = ROOT / ".pytest_cache" / "kg-builds"


def _fingerprint() -> str:
    """Everything a build depends on: the inputs, the code (not its static files), and the
    versions of the libraries that parse, reason and serialise. Any change gives a new build."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for top in ("ontology", "data", "shapes", "src/kg"):
        for path in sorted((ROOT / top).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if "static" in parts or "__pycache__" in parts or not path.is_file():
                continue
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    for name in ("rdflib", "pyoxigraph", "owlrl", "pyshacl"):
        digest.update(f"{name}={version(name)}".encode())
    return digest.hexdigest()[:20]


def shared_build(reasoner: str) -> Path:
    """The real project built with ``reasoner``, once for every pytest process that asks for
    the same fingerprint (a file lock makes the others wait, then read it). The directory is
    only ever read once it is complete; a new fingerprint gets a new directory."""
    from filelock import FileLock

    from kg.pipeline.build import build

    SHARED_BUILDS.mkdir(parents=True, exist_ok=True)
    target = SHARED_BUILDS / f"{reasoner}-{_fingerprint()}"
    with FileLock(f"{target}.lock"):
        complete = target / ".complete"
        if not complete.exists():
            shutil.rmtree(target, ignore_errors=True)
            build(ROOT, target, force=True, reasoner=reasoner)
            complete.touch()
    return target


@pytest.fixture(scope="session")
def built() -> Settings:
    """The real project built with the reference reasoner (owlrl): the one full build the
    suite's readers share (see :func:`shared_build`)."""
    return Settings(root=ROOT, build_dir=shared_build("owlrl"))


@pytest.fixture(scope="session")
def fast_built() -> Settings:
    """The real project built a second time, with the fast reasoner, into another directory:
    for the tests that compare two builds (determinism, and the two reasoners giving
    byte-identical artifacts)."""
    return Settings(root=ROOT, build_dir=shared_build("fast"), reasoner="fast")


def quick_build(root: Path, out: Path, **options):
    """``kg.pipeline.build.build`` with the fast reasoner, for tests about file handling
    (atomic writes, skips, errors, stores): it gives the same bytes as owlrl in about half the
    time (test_materialise), and the session's :func:`built` keeps the one full owlrl build."""
    from kg.pipeline.build import build

    return build(root, out, reasoner="fast", **options)


#: Seconds a query of the shared test apps may run: far beyond what any of their queries needs
#: on a loaded machine, so an answer never depends on the machine's speed (issue 22).
APP_QUERY_TIMEOUT = 120.0


def for_answers(settings: Settings, **changes: object) -> Settings:
    """``settings`` (with ``changes``) for an app whose tests check answers, not priorities or
    timeouts: the long :data:`APP_QUERY_TIMEOUT` (for a query that calls an allow-listed
    SERVICE too) and a CPU grace as long, so that no query is demoted: a demoted query starves
    behind a loaded machine's other processes until its timeout (issue 22). The tests of
    demotion, shedding and timeouts (test_limits, test_busy_limit, test_execution_unit, ...)
    set their own."""
    from dataclasses import replace

    return replace(
        settings,
        **{
            "query_timeout": APP_QUERY_TIMEOUT,
            "service_timeout": APP_QUERY_TIMEOUT,
            "query_grace": APP_QUERY_TIMEOUT,
            **changes,
        },
    )


#: A browser-less client as curl sends it: every request says what it accepts, so no test
#: depends on an absent Accept header (the adapters must answer realistic requests alike).
CLIENT_HEADERS = {"HTTP_ACCEPT": "*/*", "HTTP_USER_AGENT": "curl/8.5.0"}


@pytest.fixture(
    scope="session",
    params=[("memory", True), ("memory", False), ("rdflib", True)],
    ids=["memory-lean", "memory-flask", "rdflib-lean"],
)
def app(request: pytest.FixtureRequest, built: Settings):
    """One app per engine (their answers must agree) and per adapter of the protocol core:
    the lean WSGI one that the server runs, and Flask's view, which must answer the same."""
    from kg import create_app

    store, lean = request.param
    # The timeout and the grace are not what these apps test (strict apps in test_limits and
    # test_big_queries do): on a loaded machine an rdflib COUNT over the union took over the
    # production 10 s.
    application = create_app(for_answers(built, store=store), lean=lean)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    test_client = app.test_client()
    test_client.environ_base.update(CLIENT_HEADERS)
    return test_client


def wait_until_answers(url: str, process, seconds: float = 120) -> None:
    """Poll ``url`` until a server started by a test answers; fail if it exits or times out
    (the bound is a backstop for a server that never answers: a loaded machine only waits)."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                process.terminate()
                raise AssertionError(f"{url} did not answer within {seconds} s") from None
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_project(target: Path) -> Path:
    """A scratch copy of the project's inputs, for tests that break them on purpose."""
    import shutil

    for name in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / name, target / name)
    return target


def start_gunicorn(build_dir: Path, port: int, **settings: str):
    """A real gunicorn exactly as ``kg serve`` starts it (``kg.web.endpoint.gunicorn_conf``:
    threads, killable query processes, limits), over ``build_dir`` on ``port``, answering when
    this returns. ``settings`` add or replace ``KG_*`` variables; stop it with
    :func:`stop_process`."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "KG_BUILD_DIR": str(build_dir),
        "KG_HOST": "127.0.0.1",
        "KG_PORT": str(port),
        **settings,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--config", "python:kg.web.endpoint.gunicorn_conf", "server:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/healthz", process)
    except BaseException:
        stop_process(process)
        raise
    return process


@pytest.fixture(scope="session")
def gunicorn_url(built: Settings):
    """A real gunicorn serving the built artifact on a free port, shared by the integration
    tests (W3C protocol cases, federation, Python clients, the browser tests): it starts in
    about a second, and they only read."""
    # Its readers test answers, not the timeout or the grace: see for_answers.
    port = free_port()
    process = start_gunicorn(
        built.build_dir,
        port,
        KG_STORE="memory",
        KG_QUERY_TIMEOUT=str(APP_QUERY_TIMEOUT),
        KG_QUERY_GRACE=str(APP_QUERY_TIMEOUT),
    )
    yield f"http://127.0.0.1:{port}/sparql"
    stop_process(process)


@pytest.fixture(scope="session")
def sparql_rows(built: Settings):
    """Run a SELECT on the built graph with the endpoint's default prefixes; rows of plain
    values, so data tests read like the questions they ask."""
    from kg.namespaces import PREFIXES
    from kg.store import Bindings, open_engine

    engine = open_engine(built)
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

    def run(query: str) -> list[dict[str, str]]:
        result = engine.query(prologue + query)
        assert isinstance(result, Bindings)
        return [{k: v.value for k, v in row.items()} for row in result.rows]

    return run


#: Files whose tests measure time or load (a wall-clock bound, a query against a short timeout,
#: the query processes filled on purpose): they run in `make test`'s serial
#: pass, never beside another pytest-xdist worker. A single such test in another file is marked
#: ``@pytest.mark.serial`` itself (test_limits.py).
SERIAL_FILES = frozenset(
    {
        "test_attack.py",
        "test_big_queries.py",
        "test_busy_limit.py",
        "test_canary.py",
        "test_public_stack.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``serial`` every test in :data:`SERIAL_FILES`: `make test` runs
    ``-m "not serial"`` on both cores (pytest-xdist), then ``-m serial`` alone, so a test about
    time or load never shares the cores with another pytest process of the same run. Tests that
    only start servers or a browser and wait for events run on both cores: a module's server is
    kept on one worker by ``xdist_group`` (``--dist loadgroup``), so it is started once."""
    for item in items:
        if item.path.name in SERIAL_FILES:
            item.add_marker(pytest.mark.serial)
    _select_for_mutation(config, items)


#: Set by ``scripts/mutation.py`` for a module whose mutants need only quick unit tests: the
#: test files (space-separated) that may run. A test outside them, or one that needs the built
#: project or an app, is deselected, so that each mutant runs seconds of unit tests rather
#: than minutes of app start-ups that exercise other modules.
MUTATION_TESTS = "KG_MUTATION_TESTS"
#: The fixtures that make a test too slow to run once per mutant (a build, an app's stores).
SLOW_FIXTURES = frozenset({"built", "fast_built", "app", "gunicorn_url", "sparql_rows"})


def _select_for_mutation(config: pytest.Config, items: list[pytest.Item]) -> None:
    import os

    files = os.environ.get(MUTATION_TESTS, "").split()
    if not files:
        return
    keep, drop = [], []
    for item in items:
        wanted = item.nodeid.split("::", 1)[0] in files
        slow = SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        (keep if wanted and not slow else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
