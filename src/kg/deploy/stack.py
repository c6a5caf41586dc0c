"""The production stack of ``kg serve-public``: nginx on ``KG_HOST:KG_PORT`` in front of
``KG_REPLICAS`` gunicorn replicas on local ports.

``serve()`` runs in the foreground until SIGTERM or SIGINT and stops everything it started.
SIGHUP rolls the replicas onto the build in ``KG_BUILD_DIR`` one at a time (after a
successful ``kg build``), so a new build goes live without a failed request.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kg.deploy.nginx import Nginx
from kg.deploy.replicas import Replica, rolling_restart, start_replicas
from kg.settings import Settings


class PublicStack:
    """nginx and its replicas, started together and stopped together."""

    def __init__(self, settings: Settings, access_log: str = "/dev/stdout") -> None:
        self.settings = settings
        self.access_log = access_log
        self.replicas: list[Replica] = []
        self.nginx: Nginx | None = None
        self._rolling = threading.Lock()

    @property
    def url(self) -> str:
        host = self.settings.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a client address
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.settings.port}"

    def start(self) -> None:
        self.replicas = start_replicas(self.settings)
        self.nginx = Nginx(self.settings, [r.port for r in self.replicas], self.access_log)
        self.nginx.start()
        self._wait_for_nginx(30)

    def _wait_for_nginx(self, seconds: float) -> None:
        """Until nginx has bound its port and answers (its replicas already do)."""
        deadline = time.monotonic() + seconds
        while True:
            if self.nginx is None or self.nginx.process.poll() is not None:
                raise RuntimeError(f"nginx exited while starting on {self.url}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # nginx answered (a limit, or a replica's error): it is up
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not answer on {self.url} in {seconds} s"
                    ) from None
                time.sleep(0.05)

    def roll(self, build_dir: Path | None = None) -> None:
        """Restart the replicas one at a time over ``build_dir`` (default: the same one)."""
        with self._rolling:
            rolling_restart(self.replicas, build_dir)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for replica in self.replicas:
            replica.stop()


@contextmanager
def public_stack(settings: Settings, access_log: str = "/dev/stdout") -> Iterator[PublicStack]:
    stack = PublicStack(settings, access_log)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def serve(settings: Settings) -> int:
    """Run the stack until SIGTERM/SIGINT; SIGHUP rolls the replicas onto the current build."""
    stopped = threading.Event()
    roll_requested = threading.Event()
    pidfile = settings.build_dir / f"serve-public-{settings.port}.pid"

    def on_stop(signum: int, frame: object) -> None:
        stopped.set()

    def on_hup(signum: int, frame: object) -> None:
        roll_requested.set()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_hup)
    pidfile.write_text(f"{os.getpid()}\n")  # before the stack: a HUP during start-up waits
    try:
        with public_stack(settings) as stack:
            ports = ", ".join(str(r.port) for r in stack.replicas)
            print(
                f"serving {stack.url} through nginx; replicas on 127.0.0.1:{ports}; "
                f"kill -HUP $(cat {pidfile}) rolls them onto a new build",
                file=sys.stderr,
                flush=True,
            )
            while not stopped.wait(0.5):
                if stack.nginx is not None and stack.nginx.process.poll() is not None:
                    print("nginx exited; stopping the replicas", file=sys.stderr)
                    return 2
                if roll_requested.is_set():
                    roll_requested.clear()
                    stack.roll()
                    print("rolled every replica onto the current build", file=sys.stderr)
    finally:
        pidfile.unlink(missing_ok=True)
    return 0
