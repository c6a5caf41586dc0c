"""Shared fixtures. Expensive things (a build, an app) are session-scoped: the build takes
seconds and every test only reads it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kg.settings import PROJECT_ROOT, Settings

ROOT = PROJECT_ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real project built once into a private directory (never the developer's build/).

    ``KG_TEST_BUILD_DIR`` names a build to reuse instead: ``make mutation`` runs the tests once
    per mutant, and a build each time would cost more than the tests (the mutated modules play
    no part in building). It is brought up to date here, never trusted as it is."""
    from kg.pipeline.build import build

    reuse = os.environ.get("KG_TEST_BUILD_DIR")
    if reuse:
        build(ROOT, Path(reuse))
        return Settings(root=ROOT, build_dir=Path(reuse))
    build_dir = tmp_path_factory.mktemp("build")
    build(ROOT, build_dir, force=True)
    return Settings(root=ROOT, build_dir=build_dir)


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
    from dataclasses import replace

    from kg import create_app

    store, lean = request.param
    application = create_app(replace(built, store=store), lean=lean)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    test_client = app.test_client()
    test_client.environ_base.update(CLIENT_HEADERS)
    return test_client


def wait_until_answers(url: str, process, seconds: float = 30) -> None:
    """Poll ``url`` until a server started by a test answers; fail if it exits or times out."""
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


@pytest.fixture(scope="session")
def gunicorn_url(built: Settings):
    """A real gunicorn serving the built artifact on a free port, shared by the integration
    tests (W3C protocol cases, federation, Python clients, the browser tests): it starts in
    about a second, and they only read."""
    import os
    import subprocess
    import sys

    port = free_port()
    env = {
        **os.environ,
        "KG_BUILD_DIR": str(built.build_dir),
        "KG_STORE": "memory",
        "KG_HOST": "127.0.0.1",
        "KG_PORT": str(port),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # The same configuration as `kg serve` (threads, killable query processes, limits).
    process = subprocess.Popen(
        [str(gunicorn), "--config", "python:kg.web.gunicorn_conf", "server:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_answers(base + "/healthz", process)
    yield base + "/sparql"
    process.terminate()
    process.wait(timeout=10)


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
