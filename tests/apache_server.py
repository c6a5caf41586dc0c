"""Start a real Apache httpd (Debian's ``apache2``) on a free local port, for the w3id tests.

The instance has its own ServerRoot, configuration, logs and document root in a temporary
directory, loads only the modules the w3id.org rules need (mod_rewrite, mod_headers) and lets
``.htaccess`` files override everything, as w3id.org does. It is stopped and its directory
removed when the context ends. ``make apache`` (part of ``make test``) installs the package.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port, stop_process, wait_until_answers

MODULES = Path("/usr/lib/apache2/modules")


def apache_binary() -> str:
    found = shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin:/usr/local/sbin")
    if not found:
        pytest.fail("apache2 is missing: `make apache` (part of `make test`) installs it")
    return found


def _config(root: Path, port: int) -> str:
    lines = [
        f'ServerRoot "{root}"',
        f"Listen 127.0.0.1:{port}",
        "ServerName 127.0.0.1",
        f'PidFile "{root}/httpd.pid"',
        f'DefaultRuntimeDir "{root}"',
        f'ErrorLog "{root}/error.log"',
        "LogLevel warn rewrite:info",
        f"LoadModule mpm_event_module {MODULES}/mod_mpm_event.so",
        f"LoadModule authz_core_module {MODULES}/mod_authz_core.so",
        f"LoadModule rewrite_module {MODULES}/mod_rewrite.so",
        f"LoadModule headers_module {MODULES}/mod_headers.so",
        f'DocumentRoot "{root}/htdocs"',
        f'<Directory "{root}/htdocs">',
        "    AllowOverride All",
        "    Options FollowSymLinks",
        "    Require all granted",
        "</Directory>",
    ]
    if os.geteuid() == 0:  # httpd will not serve as root: its children become an ordinary user
        user = "www-data" if _exists("www-data") else "nobody"
        lines += [f"User {user}", f"Group {grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name}"]
    return "\n".join(lines) + "\n"


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


@contextmanager
def apache_server(sites: dict[str, str]) -> Iterator[str]:
    """Serve ``sites`` (directory name → its .htaccess text) under the document root; yield
    the base URL, e.g. ``http://127.0.0.1:PORT``."""
    binary = apache_binary()
    # Not under pytest's 0700 temp root: httpd's children may run as another user.
    root = Path(tempfile.mkdtemp(prefix="kg-apache-"))
    process = None
    try:
        root.chmod(0o755)
        htdocs = root / "htdocs"
        htdocs.mkdir(mode=0o755)
        (htdocs / "ready.txt").write_text("ready\n", encoding="utf-8")
        for name, htaccess in sites.items():
            site = htdocs / name
            site.mkdir(mode=0o755)
            (site / ".htaccess").write_text(htaccess, encoding="utf-8")
        port = free_port()
        conf = root / "httpd.conf"
        conf.write_text(_config(root, port), encoding="utf-8")
        checked = subprocess.run([binary, "-t", "-f", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen(
            [binary, "-f", str(conf), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(base + "/ready.txt", process)
        yield base
    finally:
        if process is not None:
            stop_process(process)
        shutil.rmtree(root, ignore_errors=True)
