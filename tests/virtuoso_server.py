"""Start a real Virtuoso (Debian's ``virtuoso-opensource``) in a temporary directory on free
local ports, for the second-real-store tests.

``virtuoso-t`` runs in the foreground with a generated ``virtuoso.ini``: its database, logs and
ports are the test's own, so the Debian service (and its /var/lib database) is never touched.
A fresh database has the well-known dba password ``dba``; it is changed at once, through
``isql`` reading from stdin, to a random one that only the test knows. ``make test`` installs
Virtuoso (scripts/ensure-virtuoso.sh); the tests skip with a reason where it is missing.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until_answers

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
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
CheckpointInterval = 0

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {dir}
ServerThreads        = 10
MaxClientConnections = 10

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

    @property
    def graph_store(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"


def virtuoso_binaries() -> tuple[str, str]:
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    if not server or not isql:
        pytest.skip(
            "Virtuoso is not installed (make virtuoso, or apt-get install virtuoso-opensource)"
        )
    return server, isql


@contextmanager
def virtuoso_server(directory: Path, seconds: float = 90) -> Iterator[Virtuoso]:
    """Run Virtuoso over a new database in ``directory``; yield its URLs and dba password."""
    server, isql = virtuoso_binaries()
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    log = (directory / "stdout.log").open("wb")
    process = subprocess.Popen(
        [server, "+configfile", str(ini), "+foreground"],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        # A new database takes Virtuoso 10–20 s to create.
        wait_until_answers(base + "/sparql?query=ASK%7B%7D", process, seconds)
        password = secrets.token_urlsafe(16)
        changed = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba"],
            input=f'set password "dba" "{password}";\n',
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert changed.returncode == 0 and "Error" not in changed.stdout, changed.stdout
        yield Virtuoso(base, "dba", password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)
