"""gunicorn replicas behind the proxy, and the rolling restart that gives them a new build.

A replica is ``kg serve`` (gunicorn with ``kg.web.endpoint.gunicorn_conf``) on a local port, over a
build directory, with no state of its own. A new build reaches the replicas one at a time: a
replica is stopped gracefully (it finishes the requests it has, while nginx sends new ones to
the other replica), started again over the new build, and the next one waits until it answers
``/healthz``, so one replica always serves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import fields
from pathlib import Path

from kg.settings import Settings


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


#: Seconds nginx keeps a replica out after it refused a connection (deploy/nginx.py).
FAIL_TIMEOUT = 2


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as its ``KG_*`` variable, so a replica runs with exactly these settings
    (gunicorn_conf and the app read them from the environment of the new process)."""
    env = {}
    for item in fields(settings):
        value = getattr(settings, item.name)
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        env["KG_" + item.name.upper()] = text
    return env


class Replica:
    """One gunicorn master with its workers, on ``127.0.0.1:port``."""

    def __init__(self, settings: Settings, port: int, build_dir: Path) -> None:
        self.settings = settings
        self.port = port
        self.build_dir = build_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, build_dir: Path | None = None, wait: float = 120.0) -> None:
        """Start over ``build_dir`` (default: the current one) and wait until it answers."""
        self.build_dir = build_dir or self.build_dir
        env = {
            **os.environ,
            **settings_env(self.settings),
            "KG_HOST": "127.0.0.1",
            "KG_PORT": str(self.port),
            "KG_BUILD_DIR": str(self.build_dir),
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", "python:kg.web.endpoint.gunicorn_conf", "server:app"],
            cwd=self.settings.root,
            env=env,
            start_new_session=True,  # its own process group: stop() can reach every child
        )
        self.wait_healthy(wait)

    def wait_healthy(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the replica on port {self.port} exited while starting")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica on port {self.port} did not start in {seconds} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Graceful: gunicorn stops accepting and finishes the requests in progress. Then
        whatever is left of the replica's process group goes too: a query process that
        outlived its worker would keep the port bound, and the restart would fail."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.settings.query_timeout + 10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_replicas(settings: Settings) -> list[Replica]:
    replicas = [
        Replica(settings, free_port(), settings.build_dir) for _ in range(max(settings.replicas, 1))
    ]
    try:
        for replica in replicas:
            replica.start()
    except BaseException:
        for replica in replicas:
            replica.stop()
        raise
    return replicas


def rolling_restart(replicas: list[Replica], build_dir: Path | None = None) -> None:
    """Give every replica ``build_dir`` (default: its own, rebuilt in place), one at a time.

    A replica that fails to start over the new build stops the roll, so the others keep
    serving the old build; the error says which port failed."""
    for index, replica in enumerate(replicas):
        replica.stop()
        replica.start(build_dir)
        if index < len(replicas) - 1:
            # nginx took the stopped replica out for FAIL_TIMEOUT; before the next one stops,
            # it must be back in, or a request could find both out (502).
            time.sleep(FAIL_TIMEOUT + 0.5)
