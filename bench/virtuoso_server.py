"""Start a real Virtuoso (Debian's ``virtuoso-opensource``) in a directory of its own on free
local ports: for the second-real-store tests (tests/test_virtuoso.py) and for the serving
benchmark, which measures our endpoint against it (bench/virtuoso.py). One starter for both,
so that what the benchmark measures is the Virtuoso the suite checks answers against.

``virtuoso-t`` runs in the foreground with a generated ``virtuoso.ini``: its database, logs and
ports are the caller's own, so the Debian service (and its /var/lib database) is never touched.
A fresh database has the well-known dba password ``dba``; it is changed at once, through
``isql`` reading from stdin, to a random one that only the caller knows. ``make test``
installs Virtuoso (scripts/ensure-virtuoso.sh); callers skip with :func:`virtuoso_missing`'s
reason where it is missing. Nothing here imports pytest: the benchmark is not a test.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.processes import stop

INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
DirsAllowed        = {dir}
; 8 KiB pages, allocated as they are used: the buffer pool that holds the database in memory.
NumberOfBuffers    = {buffers}
MaxDirtyBuffers    = {dirty}
CheckpointInterval = 0

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {dir}
ServerThreads        = 10
MaxClientConnections = 10
; Keep-alive as Debian's virtuoso.ini sets it, so that clients reuse their connections.
MaxKeepAlives        = 10
KeepAliveTimeout     = 10

[SPARQL]
; Above our own row cap (KG_MAX_ROWS), so that our front, not Virtuoso, truncates answers.
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = 60
"""


@dataclass(frozen=True)
class Virtuoso:
    base: str  # http://127.0.0.1:PORT
    user: str
    password: str
    pid: int  # virtuoso-t: one process, every thread in it (the benchmark reads its CPU)

    @property
    def graph_store(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"


def virtuoso_missing() -> str:
    """Why Virtuoso cannot be started here, or ``""`` when it can."""
    if shutil.which("virtuoso-t") and (shutil.which("isql-vt") or shutil.which("isql")):
        return ""
    return "Virtuoso is not installed (make virtuoso, or apt-get install virtuoso-opensource)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answers(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own local server
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds} s") from None
            time.sleep(0.05)


@contextmanager
def virtuoso_server(
    directory: Path, seconds: float = 90, buffers: int = 10_000
) -> Iterator[Virtuoso]:
    """Run Virtuoso over a new database in ``directory``; yield its URLs and dba password.

    On leaving, however it is left (an exception, Ctrl-C), the server is stopped and
    ``directory`` removed."""
    if missing := virtuoso_missing():
        raise RuntimeError(missing)
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    assert server and isql
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = _free_port(), _free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        INI.format(
            dir=directory,
            sql_port=sql_port,
            http_port=http_port,
            buffers=buffers,
            dirty=buffers * 3 // 4,
        )
    )
    base = f"http://127.0.0.1:{http_port}"
    with (directory / "stdout.log").open("wb") as log:
        process = subprocess.Popen(
            [server, "+configfile", str(ini), "+foreground"],
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # A new database takes Virtuoso 10–20 s to create.
            _wait_until_answers(base + "/sparql?query=ASK%7B%7D", process, seconds)
            password = secrets.token_urlsafe(16)
            changed = subprocess.run(
                [isql, f"127.0.0.1:{sql_port}", "dba", "dba"],
                input=f'set password "dba" "{password}";\n',
                capture_output=True,
                text=True,
                timeout=30,
            )
            if changed.returncode != 0 or "Error" in changed.stdout:
                raise RuntimeError(f"isql could not set the dba password: {changed.stdout}")
            yield Virtuoso(base, "dba", password, process.pid)
        finally:
            stop(process, seconds=30)
            shutil.rmtree(directory, ignore_errors=True)
